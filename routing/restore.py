"""Rebuild an `Engine` from the Redis store when a controller (re)starts.

`snapshot(store, queues)` reads the store and returns the events that, replayed into
a fresh engine in order, give it the store's state: agents logged in (then paused),
connected calls with their agents (`CallRestored`), and waiting calls in queue order
with their original enqueue time, so every caller keeps their place. Calls the store
shows as *offered* are not replayed: whether the agent's phone is still ringing is
known only to Asterisk, so they (and their agents) are left out and returned for the
call control to settle in the store (`RoutingStore.release` puts the call back at its
place, `RoutingStore.answer` connects it); then it takes the snapshot again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from routing import messages as m
from routing.engine import Engine
from routing.model import AgentState, Call, CallState
from routing.store import RoutingStore


@dataclass(frozen=True, slots=True)
class Snapshot:
    #: Events to replay, in order, into a fresh engine.
    events: tuple[m.Event, ...]
    #: Calls offered to an agent when the snapshot was taken (the control settles them).
    offered: tuple[Call, ...]


async def snapshot(store: RoutingStore, queues: Iterable[str]) -> Snapshot:
    everyone = await store.agents()
    agents = [a for a in everyone if a.state not in (AgentState.LOGGED_OUT, AgentState.OFFERED)]
    offered = [await store.call(a.call_id) for a in everyone
               if a.state is AgentState.OFFERED and a.call_id is not None]
    logins: list[m.Event] = [m.AgentLoggedIn(a.id, a.employee_id, a.device, dict(a.skills),
                                             a.queues) for a in agents]
    pauses: list[m.Event] = [m.AgentPaused(a.id, a.pause_reason or "")
                             for a in agents if a.state is AgentState.PAUSED]
    restored: list[m.Event] = []
    for agent in agents:
        if agent.call_id is None:
            continue
        call = await store.call(agent.call_id)
        if call.state is CallState.CONNECTED and call.answered_at is not None:
            restored.append(m.CallRestored(call.id, call.queue, agent.id, call.enqueued_at,
                                           call.answered_at, call.requirements, call.priority,
                                           call.caller))
    waiting: list[m.Event] = []
    for queue in queues:
        for call_id in await store.waiting(queue):
            call = await store.call(call_id)
            waiting.append(m.CallEnqueued(call.id, call.queue, call.requirements, call.priority,
                                          call.caller, call.last_agent, call.enqueued_at,
                                          call.callback_requested))
    return Snapshot(tuple(logins + restored + pauses + waiting), tuple(offered))


def replay(engine: Engine, events: Iterable[m.Event], now: float) -> list[m.Command]:
    """Feed `events` at `now`; return every command (offers the restored state implies)."""
    out: list[m.Command] = []
    for event in events:
        out += engine.handle(event, now)
    return out

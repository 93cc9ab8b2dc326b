"""The queue engine's state and the moves that keep it consistent (pure).

`EngineState` holds the calls, agents, queue places, agent pools, handle times, sticky
history and timers of `routing.engine.Engine`, answers queries about them (position,
estimated wait, `next_deadline`), and owns the primitive moves every event handler is
built from: wait, unwait, return, forget, move a call or an agent (each checked against
the tables in `routing.states`), record, and matching (`_dispatch`, by the rule in
`routing.matcher`). Invariants: an agent is in the available, staffed and logged-in pools
exactly when its state says so; a call is in the call index and its queue's places
exactly while it waits; every move appends its `RecordEvent` to the pending commands.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from routing import messages as m
from routing.errors import UnknownAgent, UnknownCall
from routing.estimate import HandleTimes, estimate_wait
from routing.index import AgentPool, CallIndex
from routing.model import (
    Agent,
    AgentState,
    Call,
    CallState,
    QueueConfig,
    requirements_at,
)
from routing.states import next_agent_state, next_call_state
from routing.timers import Timers

_STAFFED = frozenset({AgentState.AVAILABLE, AgentState.OFFERED, AgentState.ON_CALL,
                      AgentState.WRAP_UP})


class EngineState:
    """The engine's state, queries and primitive moves; see the module docstring."""

    def __init__(self, queues: Iterable[QueueConfig]) -> None:
        self._queues = {q.name: q for q in queues}
        self._agents: dict[str, Agent] = {}
        self._calls: dict[str, Call] = {}
        self._index = CallIndex()
        self._available = AgentPool()
        self._staffed = AgentPool()
        self._logged_in = AgentPool()
        self._places: dict[str, list[tuple[int, float, int]]] = {q: [] for q in self._queues}
        self._handle = {q.name: HandleTimes(q.handle_window, q.default_handle_s)
                        for q in self._queues.values()}
        self._timers = Timers()
        self._last_agent: dict[str, tuple[str, float]] = {}
        self._max_sticky_s = max((q.sticky_window_s for q in self._queues.values()), default=0)
        self._seq = itertools.count()
        self._out: list[m.Command] = []
        self._dirty_calls: dict[str, frozenset[str]] = {}
        self._dirty_agents: list[str] = []
        self._greet: list[str] = []

    # ------------------------------------------------------------ queries

    def next_deadline(self) -> float | None:
        return self._timers.next_deadline()

    def agent(self, agent_id: str) -> Agent:
        try:
            return self._agents[agent_id]
        except KeyError:
            raise UnknownAgent(agent_id) from None

    def call(self, call_id: str) -> Call:
        try:
            return self._calls[call_id]
        except KeyError:
            raise UnknownCall(call_id) from None

    def agents(self) -> Iterator[Agent]:
        return iter(self._agents.values())

    def calls(self) -> Iterator[Call]:
        return iter(self._calls.values())

    def waiting(self) -> Iterator[Call]:
        return self._index.calls()

    def position(self, call: Call) -> int:
        """1-based place of a waiting call among its queue's waiting calls."""
        return bisect.bisect_left(self._places[call.queue], call.order_key()) + 1

    def estimated_wait(self, call: Call, now: float) -> float | None:
        """See `routing.estimate`: position * AHT / staffed eligible agents."""
        staffed = sum(1 for _ in self._staffed.candidates(call.queue, requirements_at(call, now)))
        aht = self._handle[call.queue].average()
        return estimate_wait(self.position(call), aht, staffed)

    def average_handle_s(self, queue: str) -> float:
        """The queue's average handle time now (the configured default before any call)."""
        return self._handle[queue].average()

    def sticky_callers(self) -> int:
        """How many callers the sticky-agent history remembers."""
        return len(self._last_agent)

    def __repr__(self) -> str:
        names = ",".join(sorted(self._queues))
        return f"<Queue {names}: {len(self._index)} waiting, {len(self._available)} agents free>"

    # ------------------------------------------------------------ matching

    def _dispatch(self, now: float) -> None:
        while self._dirty_calls or self._dirty_agents:
            calls, self._dirty_calls = self._dirty_calls, {}
            for call_id, exclude in sorted(
                calls.items(), key=lambda item: self._calls[item[0]].order_key()
                if item[0] in self._calls else (0, 0.0, 0)
            ):
                call = self._calls.get(call_id)
                if call is not None and call.state is CallState.WAITING:
                    agent = self._available.best_for(call, now, exclude)
                    if agent is not None:
                        self._offer(call, agent, now)
            agents, self._dirty_agents = self._dirty_agents, []
            for agent_id in agents:
                agent = self._agents[agent_id]
                if agent.state is AgentState.AVAILABLE:
                    found = self._index.best_for(agent)
                    if found is not None:
                        self._offer(found, agent, now)
        greet, self._greet = self._greet, []
        for call_id in greet:
            call = self._calls.get(call_id)
            if call is not None and call.state is CallState.WAITING:
                self._announce(call, now)

    def _offer(self, call: Call, agent: Agent, now: float) -> None:
        queue = self._queues[call.queue]
        self._unwait(call)
        self._move_call(call, "Offer", now, agent_id=agent.id)
        self._move_agent(agent, "Offer", now, call_id=call.id)
        self._timers.arm("ring", call.id, now + queue.ring_timeout_s)
        self._out.append(m.OfferCall(call.id, agent.id, agent.device, queue.ring_timeout_s,
                                     callback=call.callback_requested, caller=call.caller))

    def _announce(self, call: Call, now: float) -> None:
        self._out.append(m.AnnounceWait(call.id, self.position(call),
                                        self.estimated_wait(call, now)))

    # ------------------------------------------------------------ state helpers

    def _wait(self, call: Call, now: float) -> None:
        self._index.add(call, now)
        bisect.insort(self._places[call.queue], call.order_key())
        self._dirty_calls.setdefault(call.id, frozenset())

    def _unwait(self, call: Call) -> None:
        if self._index.remove(call.id) is not None:
            places = self._places[call.queue]
            del places[bisect.bisect_left(places, call.order_key())]

    def _return(self, call: Call, event: str, now: float, exclude: frozenset[str]) -> None:
        """Put an offered call back at its place; try other agents first."""
        returned = self._move_call(call, event, now, agent_id=None)
        self._wait(returned, now)
        self._dirty_calls[call.id] = exclude

    def _forget(self, call: Call, now: float, kind: str) -> None:
        self._unwait(call)
        del self._calls[call.id]
        for timer in ("step", "announce", "callback", "max_wait", "ring"):
            self._timers.cancel(timer, call.id)
        self._record(kind, now, call_id=call.id, state="gone")

    def _move_call(self, call: Call, event: str, now: float, **changes: Any) -> Call:
        state = next_call_state(call.id, call.state, event)
        assert state is not None  # leaving calls go through _forget
        moved = replace(call, state=state, **changes)
        self._calls[call.id] = moved
        self._record("call_state", now, call_id=call.id, agent_id=moved.agent_id,
                     state=state.value, cause=event)
        return moved

    def _move_agent(self, agent: Agent, event: str, now: float, **changes: Any) -> Agent:
        state = next_agent_state(agent.id, agent.state, event)
        moved = replace(agent, state=state, **changes)
        self._agents[agent.id] = moved
        for pool, member in ((self._available, state is AgentState.AVAILABLE),
                             (self._staffed, state in _STAFFED),
                             (self._logged_in, state is not AgentState.LOGGED_OUT)):
            if member:
                pool.put(moved)
            else:
                pool.discard(agent.id)
        if state is AgentState.AVAILABLE:
            self._dirty_agents.append(agent.id)
        self._record("agent_state", now, agent_id=agent.id, call_id=moved.call_id,
                     state=state.value, cause=event)
        return moved

    def _record(self, kind: str, now: float, **fields: str | None) -> None:
        self._out.append(m.RecordEvent(kind, now, **fields))

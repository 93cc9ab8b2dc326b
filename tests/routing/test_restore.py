"""A controller restarting rebuilds its engine from the Redis store, places kept."""

from __future__ import annotations

import pytest

from routing import messages as m
from routing.engine import Engine
from routing.model import Agent, AgentState, Call, CallState
from routing.restore import replay, snapshot

from .scripting import KC, offers, queue

pytestmark = pytest.mark.integration


def agent(agent_id: str) -> Agent:
    return Agent(agent_id, f"e-{agent_id}", f"PJSIP/{agent_id}", {"topic:bygglov": 3},
                 frozenset({KC}))


async def test_restart_keeps_places_busy_agents_and_pauses(store):
    for a in ("busy", "paused", "ringing"):
        await store.login(agent(a), 0)
    for i, prio in enumerate([0, 5, 0, 0, 0]):
        await store.enqueue(Call(f"c{i}", KC, ("topic:bygglov",), prio, enqueued_at=10.0 + i,
                                 caller=f"070{i}"))
    await store.claim("c0", "busy", 20)
    await store.answer("c0", "busy", 21)
    await store.claim("c2", "ringing", 22)
    await store.pause("paused", "lunch", 23)

    snap = await snapshot(store, [KC])
    assert [c.id for c in snap.offered] == ["c2"]
    engine = Engine([queue()])
    out = replay(engine, snap.events, now=100)
    assert offers(out) == []  # "ringing" is unsettled: left out of the engine
    assert engine.agent("busy").state is AgentState.ON_CALL
    assert engine.call("c0").state is CallState.CONNECTED
    assert engine.agent("paused").pause_reason == "lunch"
    assert [c.id for c in sorted(engine.waiting(), key=Call.order_key)] == ["c1", "c3", "c4"]
    assert engine.call("c3").enqueued_at == 13.0
    engine.handle(m.CallEnded("c0"), 200)
    assert engine.call("c1").agent_id == "busy"  # priority 5 first, after wrap-up


async def test_offered_calls_settled_in_the_store_come_back_at_their_place(store):
    await store.login(agent("ringing"), 0)
    await store.enqueue(Call("first", KC, (), enqueued_at=1.0))
    await store.enqueue(Call("second", KC, (), enqueued_at=2.0))
    await store.claim("first", "ringing", 3)
    snap = await snapshot(store, [KC])
    for call in snap.offered:
        await store.release(call.id, call.agent_id, 50, event="ControllerRestarted",
                            missed=False, max_misses=3)
    engine = Engine([queue()])
    out = replay(engine, (await snapshot(store, [KC])).events, now=60)
    assert offers(out) == [("first", "ringing")]

"""Property test with real Redis: after any sequence of reports, timers and people's
changes, the store and the loop's engine agree on every agent and call."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import messages as m
from routing.engine import Engine
from routing.errors import RoutingError
from routing.follow import follow
from routing.loop import RoutingLoop
from routing.model import Agent, CallState
from routing.store import RoutingStore
from routing.testing import ManualClock, RecordingCallControl

from .scripting import KC, queue

pytestmark = pytest.mark.integration

OPS = ["enqueue", "answer", "timeout", "reject", "end", "abandon", "callback", "tick",
       "pause", "unpause", "logout", "login", "wrapup"] + ["enqueue", "answer", "end", "tick"] * 2
operation = st.tuples(st.sampled_from(OPS), st.integers(0, 3), st.integers(0, 9),
                      st.integers(1, 40).map(float))


async def _person(store: RoutingStore, kind: str, agent_id: str, now: float) -> None:
    profile = Agent(agent_id, agent_id, f"Local/{agent_id}", {"topic:bygglov": 2},
                    frozenset({KC}))
    actions = {"pause": lambda: store.pause(agent_id, "lunch", now),
               "unpause": lambda: store.unpause(agent_id, now),
               "logout": lambda: store.logout(agent_id, now),
               "login": lambda: store.login(profile, now),
               "wrapup": lambda: store.end_wrap_up(agent_id, now)}
    try:
        await actions[kind]()
    except RoutingError:
        pass  # not allowed in the agent's state: the store refused, nothing changed


WANTED = {"answer": CallState.OFFERED, "timeout": CallState.OFFERED,
          "reject": CallState.OFFERED, "end": CallState.CONNECTED,
          "callback": CallState.WAITING, "abandon": None}


def _report(engine: Engine, kind: str, index: int, serial: int) -> m.Event | None:
    if kind == "enqueue":
        return m.CallEnqueued(f"c{serial}", KC, ("topic:bygglov",), index)
    calls = sorted((c for c in engine.calls() if WANTED[kind] in (None, c.state)
                    and not (kind == "callback" and c.callback_requested)), key=lambda c: c.id)
    if not calls:
        return None
    call = calls[index % len(calls)]
    agent = call.agent_id or ""
    return {"answer": m.OfferAnswered(call.id, agent), "timeout": m.OfferTimedOut(call.id, agent),
            "reject": m.OfferRejected(call.id, agent), "end": m.CallEnded(call.id),
            "abandon": m.CallAbandoned(call.id), "callback": m.CallbackRequested(call.id)}[kind]


async def _agree(engine: Engine, store: RoutingStore) -> None:
    for agent in engine.agents():
        stored = await store.agent(agent.id)
        assert (stored.state, stored.call_id) == (agent.state, agent.call_id), agent.id
    waiting = {c.id for c in engine.waiting()}
    assert set(await store.waiting(KC)) == waiting
    for call in engine.calls():
        stored_call = await store.call(call.id)
        assert (stored_call.state, stored_call.agent_id) == (call.state, call.agent_id)


async def _scenario(url: str, ops: list[tuple[str, int, int, float]]) -> None:
    store = RoutingStore.from_url(url, f"prop-{uuid.uuid4().hex[:8]}")
    clock = ManualClock()
    config = queue(wrap_up_s=5, max_misses=2, ring_timeout_s=15)
    service = RoutingLoop(Engine([config]), store, RecordingCallControl(), {KC: config},
                             clock=clock)
    last = "0-0"
    try:
        for serial, (kind, index, _prio, dt) in enumerate(ops):
            if kind == "tick":
                clock.now += dt
                while (deadline := service.engine.next_deadline()) is not None \
                        and deadline <= clock.now:
                    await service.step(m.TimerFired(), in_store=True)
            elif kind in ("pause", "unpause", "logout", "login", "wrapup"):
                await _person(store, kind, f"a{index}", clock.now)
                last, events = await follow(store, last)
                for event in events:
                    await service.step(event, in_store=True)
            elif (event := _report(service.engine, kind, index, serial)) is not None:
                await service.step(event)
            await _agree(service.engine, store)
    finally:
        await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=15, max_size=50))
def test_store_and_engine_agree_after_any_sequence(redis_url, ops):
    asyncio.run(_scenario(redis_url, [("login", i, 0, 0.0) for i in range(3)] + ops))

"""RoutingLoop: engine, real Redis store and a recording fake call control."""

from __future__ import annotations

import asyncio

import pytest

from routing import messages as m
from routing.engine import Engine
from routing.follow import follow
from routing.loop import RoutingLoop
from routing.model import Agent, AgentState, CallState, NobodyLoggedIn
from routing.testing import ManualClock, RecordingCallControl

from .scripting import ESCALATION, KC, queue

pytestmark = pytest.mark.integration


async def start(store, config, names=("a",), clock=None):
    control = RecordingCallControl()
    service = RoutingLoop(Engine([config]), store, control, {KC: config},
                             **({"clock": clock} if clock else {}))
    for name in names:
        await store.login(Agent(name, f"e-{name}", f"Local/{name}", {"topic:bygglov": 3},
                                frozenset({KC})), 0)
    _, events = await follow(store, "0-0")
    for event in events:
        await service.step(event, in_store=True)
    return service, control


async def test_miss_answer_end_and_wrap_up_are_mirrored_in_the_store(store):
    clock = ManualClock()
    service, control = await start(store, queue(wrap_up_s=10), clock=clock)
    await service.step(m.CallEnqueued("c1", KC, ("topic:bygglov",)))
    assert control.rings() == [("c1", "a")]
    assert (await store.call("c1")).state is CallState.OFFERED
    clock.now += 15
    await service.step(m.TimerFired(), in_store=True)  # ring timeout: the only agent again
    assert control.rings() == [("c1", "a"), ("c1", "a")]
    assert (await store.agent("a")).missed == 1
    await service.step(m.OfferAnswered("c1", "a"))
    assert (await store.agent("a")).state is AgentState.ON_CALL
    clock.now += 60
    await service.step(m.CallEnded("c1"))
    assert (await store.agent("a")).state is AgentState.WRAP_UP
    last = await store.last_event_id()
    clock.now += 10
    await service.step(m.TimerFired(), in_store=True)
    assert (await store.agent("a")).state is AgentState.AVAILABLE
    assert await follow(store, last) != (last, [])  # the stream has the change ...
    assert (await follow(store, last))[1] == []  # ... and followers do not echo it


async def test_refused_claim_is_fed_back_and_the_call_goes_to_the_next_agent(store):
    service, control = await start(store, queue(), names=("a", "b"))
    await store.pause("a", "taken elsewhere", 1)  # the engine has not seen this yet
    await service.step(m.CallEnqueued("c1", KC, ("topic:bygglov",)))
    assert control.rings() == [("c1", "b")]
    assert (await store.call("c1")).agent_id == "b"


async def test_run_arms_the_ring_timer_and_reoffers_after_a_real_timeout(store):
    service, control = await start(store, queue(ring_timeout_s=0.2), names=("a", "b"))
    task = asyncio.create_task(service.run())
    service.submit(m.CallEnqueued("c1", KC, ("topic:bygglov",)))
    async with asyncio.timeout(5):
        while len(control.rings()) < 2:
            control.changed.clear()
            await control.changed.wait()
    task.cancel()
    first, second = control.rings()
    assert first[0] == second[0] == "c1" and first[1] != second[1]
    assert (await store.call("c1")).agent_id == second[1]
    assert (await store.agent(first[1])).missed == 1


async def test_wrong_report_is_logged_and_the_loop_goes_on(store):
    service, control = await start(store, queue())
    task = asyncio.create_task(service.run())
    service.submit(m.CallEnded("no-such-call"))
    service.submit(m.CallEnqueued("c1", KC, ()))
    async with asyncio.timeout(5):
        while not control.rings():
            control.changed.clear()
            await control.changed.wait()
    task.cancel()
    assert control.rings() == [("c1", "a")]


async def test_rejected_call_is_not_stored(store):
    config = queue(when_nobody_logged_in=NobodyLoggedIn.REJECT)
    service, control = await start(store, config, names=())
    await service.step(m.CallEnqueued("c1", KC, ()))
    assert control.done == [m.RejectCall("c1", "nobody logged in")]
    assert await store.waiting(KC) == []
    assert [f["kind"] for _, f in await store.events()] == ["call_rejected"]


async def test_escalation_is_recorded_and_the_relaxed_call_reaches_the_novice(store):
    clock = ManualClock()
    config = queue(escalation=ESCALATION)
    control = RecordingCallControl()
    service = RoutingLoop(Engine([config]), store, control, {KC: config}, clock=clock)
    await store.login(Agent("novice", "e1", "Local/novice", {"topic:bygglov": 1},
                            frozenset({KC})), 0)
    for event in (await follow(store, "0-0"))[1]:
        await service.step(event, in_store=True)
    await service.step(m.CallEnqueued("c1", KC, ("topic:bygglov", "district:bromma")))
    assert control.rings() == []
    clock.now += 30
    await service.step(m.TimerFired(), in_store=True)
    assert control.rings() == [("c1", "novice")]
    kinds = [f["kind"] for _, f in await store.events()]
    assert kinds.index("call_escalated") < kinds.index("call_offered")

"""ACD calls through the real Asterisk 22: hand-over, holding, offers to simulated agents.

One controller (FastAGI, AMI, the ACD router) in the test's event loop, a private
Redis, agents logged in through the store as the CLI does; their phones are
``Local/<ext>@sim-phones`` that answer, ring or are busy as the test sets them.
"""

from __future__ import annotations

import asyncio

import pytest

from routing.model import AgentState, CallState
from routing.store import RoutingStore
from tests.integration.acd import (
    AcdController,
    acd_config,
    direct_call,
    ivr_call_id,
    login,
    queued_call,
    set_talk,
    until,
)
from tests.integration.controller import make_test_dialplans, seed_directory

pytestmark = pytest.mark.integration

QUEUE = {"requirements": "topic=bygglov", "ring_timeout_s": 4, "wrap_up_s": 1,
         "max_misses": 2, "hold_s": 2, "escalation": ["0:topic", "8:"],
         "callback_after_s": 0}


@pytest.fixture
def queue_settings() -> dict[str, object]:
    return dict(QUEUE)


@pytest.fixture
async def store(redis_server):
    s = RoutingStore.from_url(redis_server.url)
    yield s
    await s.close()


@pytest.fixture
def config(tmp_path, fastagi_port, redis_server, asterisk, queue_settings):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed_directory(url)
    return acd_config(fastagi_port=fastagi_port, redis_url=redis_server.url, directory_url=url,
                      dialplans=make_test_dialplans(tmp_path / "dialplans"),
                      sounds_path=asterisk.instance.sounds_path,
                      ami_port=asterisk.params.ami_port, ami_secret=asterisk.params.ami_secret,
                      queue=queue_settings)


@pytest.fixture
async def acd(config):
    c = await AcdController(config).start()
    await c.wait_router()
    yield c
    await c.stop()


async def wait_state(store: RoutingStore, call_id: str, state: CallState | None,
                     timeout: float = 15) -> None:
    from routing.errors import UnknownCall

    async def read() -> CallState | None:
        try:
            return (await store.call(call_id)).state
        except UnknownCall:
            return None

    await until(read, state, f"call {call_id}", timeout)


async def test_given_bygglov_call_then_agent_with_that_skill_answers_not_the_other(
        acd, harness, store):
    await login(store, "bo", "2002", {"topic:skola": 5})
    await login(store, "anna", "2001", {"topic:bygglov": 3})
    call = await queued_call(harness)
    await harness.wait_answered("2001", timeout=15)
    await wait_state(store, ivr_call_id(call), CallState.CONNECTED)
    assert (await store.call(ivr_call_id(call))).agent_id == "anna"
    assert (await store.agent("bo")).state is AgentState.AVAILABLE
    await call.hangup()
    await wait_state(store, ivr_call_id(call), None)
    assert (await store.agent("anna")).state in (AgentState.WRAP_UP, AgentState.AVAILABLE)


async def test_given_no_bygglov_agent_then_call_escalates_to_any_agent_after_step_expiry(
        acd, harness, store):
    await login(store, "bo", "2002", {"topic:skola": 5})
    call = await queued_call(harness)
    queued_at = asyncio.get_running_loop().time()
    await harness.wait_answered("2002", timeout=20)
    waited = asyncio.get_running_loop().time() - queued_at
    assert 6.5 <= waited <= 12, waited          # the "any agent" step starts at 8 s
    await wait_state(store, ivr_call_id(call), CallState.CONNECTED)


async def test_given_agent_does_not_answer_then_call_goes_to_another_and_agent_paused_after_misses(
        acd, harness, store):
    await harness.set_phone("2001", "noanswer")
    await set_talk(harness, "2003", 2)
    await login(store, "anna", "2001", {"topic:bygglov": 5})
    await login(store, "bertil", "2003", {"topic:bygglov": 1})
    first = await queued_call(harness)
    # anna (the best match) rings 4 s without answering: the call is taken back and
    # goes to bertil. Her second miss (max_misses=2) pauses her.
    await harness.wait_answered("2003", timeout=15)
    await wait_state(store, ivr_call_id(first), CallState.CONNECTED)
    assert (await store.call(ivr_call_id(first))).agent_id == "bertil"
    assert (await store.agent("anna")).missed == 1
    second = await queued_call(harness, caller_id="0705555555")
    await harness.wait_answered("2003", timeout=30)
    await wait_state(store, ivr_call_id(second), CallState.CONNECTED)
    anna = await store.agent("anna")
    assert anna.state is AgentState.PAUSED and anna.pause_reason == "missed calls"


async def test_given_caller_hangs_up_while_waiting_then_call_leaves_the_queue(
        acd, harness, store):
    call = await queued_call(harness)
    call_id = ivr_call_id(call)
    await wait_state(store, call_id, CallState.WAITING)
    for _ in range(50):
        if acd.routing.engine is not None and any(c.id == call_id
                                                  for c in acd.routing.engine.calls()):
            break
        await asyncio.sleep(0.1)
    await call.hangup()
    await wait_state(store, call_id, None)
    assert await store.waiting("kontaktcenter") == []
    for _ in range(50):
        if not any(c.id == call_id for c in acd.routing.engine.calls()):
            break
        await asyncio.sleep(0.1)
    assert not any(c.id == call_id for c in acd.routing.engine.calls())


async def test_given_higher_priority_call_arrives_later_then_it_is_answered_first(
        acd, harness, store):
    first = await queued_call(harness)
    await wait_state(store, ivr_call_id(first), CallState.WAITING)
    urgent = await direct_call(harness, priority=9, requirements="topic=bygglov")
    await wait_state(store, ivr_call_id(urgent), CallState.WAITING)
    assert await store.waiting("kontaktcenter") == [ivr_call_id(urgent), ivr_call_id(first)]
    await login(store, "anna", "2001", {"topic:bygglov": 3})
    await harness.wait_answered("2001", timeout=15)
    await wait_state(store, ivr_call_id(urgent), CallState.CONNECTED)
    assert (await store.call(ivr_call_id(first))).state is CallState.WAITING

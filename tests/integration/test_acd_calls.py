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
    ivr_call_id,
    login,
    queued_call,
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

    seen = None
    for _ in range(int(timeout * 10)):
        try:
            seen = (await store.call(call_id)).state
        except UnknownCall:
            seen = None
        if seen is state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"call {call_id} is {seen}, expected {state}")


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

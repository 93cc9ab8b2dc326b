"""Agents log in, pause and log out from their phone (*41, *43, *42) through the
controller; the router takes the change from the store's stream and routes by it."""

from __future__ import annotations

import asyncio

import pytest

from routing.model import AgentState, CallState
from routing.store import RoutingStore
from tests.integration import test_acd_calls as base
from tests.integration.acd import ivr_call_id, login, queued_call, until
from vaxel.testing.calls import Harness

pytestmark = pytest.mark.integration

store, config, acd, queue_settings = base.store, base.config, base.acd, base.queue_settings


async def dial_code(harness: Harness, code: str, phone: str) -> None:
    call = await harness.call(code, caller_id=phone, context="vaxel-internal")
    await call.wait_hangup(timeout=15)


async def wait_agent(store: RoutingStore, agent_id: str, state: AgentState) -> None:
    async def read() -> AgentState:
        return (await store.agent(agent_id)).state

    await until(read, state, f"agent {agent_id}")


async def test_given_feature_codes_then_agent_logs_in_pauses_and_out_from_the_phone(
        acd, harness, store):
    await login(store, "anna", "2001", {"topic:bygglov": 3})
    await store.logout("anna", now=0.0)               # the store keeps her profile
    await dial_code(harness, "*41", "2001")
    await wait_agent(store, "anna", AgentState.AVAILABLE)
    await dial_code(harness, "*43", "2001")
    await wait_agent(store, "anna", AgentState.PAUSED)
    call = await queued_call(harness)
    await asyncio.sleep(1)
    assert (await store.call(ivr_call_id(call))).state is CallState.WAITING
    await dial_code(harness, "*43", "2001")           # back from the pause: she gets the call
    await harness.wait_answered("2001", timeout=15)
    await base.wait_state(store, ivr_call_id(call), CallState.CONNECTED)
    await call.hangup()
    await base.wait_state(store, ivr_call_id(call), None)
    await dial_code(harness, "*42", "2001")
    await wait_agent(store, "anna", AgentState.LOGGED_OUT)

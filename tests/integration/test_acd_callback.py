"""Callback through the real Asterisk: the caller books it while waiting, hangs up, keeps
their place; when it comes up, the agent's phone rings first, then the citizen's."""

from __future__ import annotations

import asyncio

import pytest

from routing.model import CallState
from tests.integration import test_acd_calls as base
from tests.integration.acd import direct_call, ivr_call_id, login, queued_call

pytestmark = pytest.mark.integration

# The same controller, store and config fixtures as test_acd_calls, with callbacks on.
store, config, acd = base.store, base.config, base.acd
wait_state = base.wait_state


@pytest.fixture
def queue_settings() -> dict[str, object]:
    return {**base.QUEUE, "callback_after_s": 2, "callback_dial": "Local/{number}@sim-phones"}


def answered_order(harness, *phones: str) -> list[str]:
    return [e["Phone"] for e in harness.events if e.get("UserEvent") == "SimPhoneAnswered"
            and e.get("Phone") in phones]


async def test_given_callback_booked_then_place_kept_and_agent_rings_before_citizen(
        acd, harness, store):
    citizen = await queued_call(harness, caller_id="2009")
    call_id = ivr_call_id(citizen)
    await citizen.wait_listening(timeout=15)      # "press 1 to be called back"
    await citizen.send_digits("1")
    await citizen.wait_hangup(timeout=15)
    played = citizen.prompts_played()
    assert any(p.endswith("/sv/queue_callback_offer") for p in played), played
    assert any(p.endswith("/sv/queue_callback_booked") for p in played), played
    assert any(p.endswith("/sv/queue_next") for p in played), played
    later = await direct_call(harness, requirements="topic=bygglov")
    await wait_state(store, ivr_call_id(later), CallState.WAITING)
    await asyncio.sleep(1)
    booked = await store.call(call_id)
    assert booked.callback_requested and booked.state is CallState.WAITING
    assert await store.waiting("kontaktcenter") == [call_id, ivr_call_id(later)]
    await login(store, "anna", "2001", {"topic:bygglov": 3})
    await harness.wait_answered("2009", timeout=20)
    assert answered_order(harness, "2001", "2009") == ["2001", "2009"]
    await wait_state(store, call_id, CallState.CONNECTED)
    assert (await store.call(ivr_call_id(later))).state is CallState.WAITING

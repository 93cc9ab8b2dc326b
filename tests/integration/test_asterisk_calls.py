"""Calls through the real Asterisk: simulated phones, the fallback, the dialplan contract."""

from __future__ import annotations

import pytest

from vaxel.testing.calls import HarnessError

pytestmark = pytest.mark.integration


async def test_given_an_answering_sim_phone_when_called_then_it_reports_answered(harness):
    await harness.set_phone("4711", "answer")
    call = await harness.call("4711", context="sim-phones")
    answered = await harness.wait_answered("4711")
    assert answered["Linkedid"] == call.id
    await call.wait_event("OriginateResponse", Response="Success")
    await call.hangup()
    await call.wait_hangup()


async def test_given_a_busy_sim_phone_when_called_then_the_call_fails_as_busy(harness):
    await harness.set_phone("4712", "busy")
    call = await harness.call("4712", context="sim-phones")
    response = await call.wait_event("OriginateResponse")
    assert response["Response"] == "Failure"
    assert response["Reason"] == "5"  # AST_CONTROL_BUSY
    assert not any(e.get("UserEvent") == "SimPhoneAnswered" for e in harness.events)


async def test_given_a_sim_phone_that_never_answers_when_called_then_the_call_times_out(harness):
    await harness.set_phone("4712", "noanswer")
    call = await harness.call("4712", context="sim-phones", timeout=2)
    response = await call.wait_event("OriginateResponse", timeout=10)
    assert response["Response"] == "Failure"
    assert response["Reason"] in {"0", "3"}  # no answer within the originate timeout


async def test_given_a_failed_originate_when_waiting_for_digits_then_the_error_says_so(harness):
    await harness.set_phone("4712", "busy")
    call = await harness.call("4712", context="sim-phones")
    with pytest.raises(HarnessError, match="was not placed"):
        await call.wait_listening(timeout=10)


async def test_given_no_controller_when_a_citizen_calls_then_the_fallback_operators_answer(
    harness,
):
    """Nothing listens on the FastAGI port: the call must still reach a human."""
    await harness.set_phone("1000", "answer")
    await harness.set_phone("1001", "noanswer")
    call = await harness.call("0812345", caller_id="0701112233")
    fallback = await call.wait_event("VaxelFallback", timeout=15)
    assert fallback["Entry"] == "0812345"
    answered = await harness.wait_answered("1000", timeout=15)
    assert answered["Linkedid"] == call.id
    await call.hangup()


async def test_given_the_whole_fallback_group_busy_then_it_retries_then_hangs_up(harness):
    for operator in ("1000", "1001"):
        await harness.set_phone(operator, "busy")
    call = await harness.call("0812345")
    await call.wait_event("VaxelFallback", timeout=15)
    await call.wait_hangup(timeout=20)
    dials = [e for e in call.events
             if e.get("Event") == "DialEnd" and e.get("DestChannel", "").startswith("Local/1000")]
    assert len(dials) == 2  # fallback_attempts in the test instance

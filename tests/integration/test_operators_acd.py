"""The operators as agents of the ``operators`` queue, on the real Asterisk 22 and Redis.

The old Södermalm number (4100) runs the district flow, which marks the call with
``district=sodermalm`` and continues in the city flow; the caller presses 0 and the
hand-over to the ``operators`` queue carries the district. Of two free operators the one
who knows Södermalm answers; with only the other logged in, the call reaches them after
the escalation step. A supervised transfer nobody answers while its operator is busy
on another call goes back into the operators' queue with priority 8, the operator as its
last agent and its history, and reaches that operator when they are free again.
"""

from __future__ import annotations

import time

import pytest

from infra.ami import AmiClient
from routing.model import CallState
from switchboard.ami_operator import Operator
from switchboard.context import Outcome
from switchboard.operator import Settings
from tests.integration.acd import (
    AcdController,
    acd_config_for,
    all_events,
    ivr_call_id,
    login,
)
from tests.integration.controller import seed_directory
from tests.integration.test_acd_calls import store, wait_state  # noqa: F401 (fixture)
from vaxel.testing.calls import Call, Harness

pytestmark = pytest.mark.integration

OLD_SODERMALM = "4100"
CITY = "4000"
ESCALATE_S = 6
OPERATORS = {"group": "operators", "ring_timeout_s": 6, "wrap_up_s": 1, "hold_s": 2,
             "callback_after_s": 0, "escalation": ["0:district", f"{ESCALATE_S}:"]}
KONTAKTCENTER = {"ring_timeout_s": 6, "wrap_up_s": 1, "hold_s": 2, "callback_after_s": 0}


@pytest.fixture
async def acd(tmp_path, fastagi_port, redis_server, asterisk):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed_directory(url)
    config = acd_config_for(tmp_path, fastagi_port, redis_server, asterisk, url, KONTAKTCENTER,
                            {"operators": OPERATORS})
    c = await AcdController(config).start()
    await c.wait_router()
    yield c
    await c.stop()


async def to_the_operators(harness: Harness, number: str, caller_id: str) -> Call:
    """A caller on ``number`` who skips English (#) and presses 0 for the operators."""
    call = await harness.call(number, caller_id=caller_id, timeout=120)
    await call.wait_listening(timeout=40)   # the old number's notice is long
    await call.send_digits("#")
    await call.wait_listening()
    await call.send_digits("0")
    return call


async def test_given_the_old_sodermalm_number_then_the_operator_who_knows_sodermalm_answers(
        acd, harness, store):  # noqa: F811
    await login(store, "olle", "1002", {}, queue="operators")
    await login(store, "sara", "1001", {"district:sodermalm": 3}, queue="operators")
    call = await to_the_operators(harness, OLD_SODERMALM, "0701111111")
    await harness.wait_answered("1001", timeout=30)
    call_id = ivr_call_id(call)
    await wait_state(store, call_id, CallState.CONNECTED)
    queued = await store.call(call_id)
    assert queued.agent_id == "sara" and queued.queue == "operators"
    assert "district:sodermalm" in queued.requirements
    saved = await acd.controller.store.load(call_id)
    assert saved.flow == "city-main" and saved.variables["district"] == "sodermalm"
    assert (await store.agent("olle")).state.value == "available"


async def test_given_only_an_operator_without_the_district_then_they_answer_after_escalation(
        acd, harness, store):  # noqa: F811
    await login(store, "olle", "1002", {}, queue="operators")
    call = await to_the_operators(harness, OLD_SODERMALM, "0702222222")
    call_id = ivr_call_id(call)
    await wait_state(store, call_id, CallState.WAITING)
    await harness.wait_answered("1002", timeout=40)
    await wait_state(store, call_id, CallState.CONNECTED)
    events = {e["kind"]: float(e["at"]) for _id, e in await all_events(store)
              if e.get("call_id") == call_id and e.get("kind") in ("call_enqueued",
                                                                     "call_answered")}
    waited = events["call_answered"] - events["call_enqueued"]
    assert waited >= ESCALATE_S - 0.5, f"answered after {waited:.1f} s, before the step"


async def test_given_supervised_transfer_unanswered_while_the_operator_is_busy_then_queued_8(
        acd, harness, store, asterisk):  # noqa: F811
    await harness.set_phone("4712", "noanswer")
    await login(store, "sara", "1001", {"district:sodermalm": 3}, queue="operators")
    first = await to_the_operators(harness, OLD_SODERMALM, "0703333333")
    await harness.wait_answered("1001", timeout=30)
    first_id = ivr_call_id(first)
    await wait_state(store, first_id, CallState.CONNECTED)
    channel = (await first.wait_for(lambda e: e.get("Uniqueid") == first_id
                                    and bool(e.get("Channel")), what="the caller's channel"))
    # A second caller waits for the operator while she talks to the first.
    second = await to_the_operators(harness, CITY, "0704444444")
    second_id = ivr_call_id(second)
    await wait_state(store, second_id, CallState.WAITING)

    p = asterisk.params
    ami = AmiClient("127.0.0.1", p.ami_port, p.ami_user, p.ami_secret)
    await ami.connect()
    try:
        op = Operator(ami, operator_id="sara", device="Local/1001@sim-phones",
                      directory=acd.controller.deps.directory.lookup.directory,
                      settings=Settings(ring_s=8, return_ring_s=5))
        started = time.monotonic()
        await op.transfer(channel["Channel"], "4712")
    finally:
        await ami.close()
    # Her first call ended with the transfer: after wrap-up she takes the second caller.
    await harness.wait_answered("1001", timeout=20)
    await wait_state(store, second_id, CallState.CONNECTED)
    result = await first.wait_event("VaxelTransferResult", timeout=20, Target="4712")
    assert result["Status"] == "NOANSWER"
    await first.wait_event("VaxelReturn", Reason="transfer")
    await wait_state(store, first_id, CallState.WAITING, timeout=15)
    back = await store.call(first_id)
    assert (back.queue, back.priority, back.last_agent) == ("operators", 8, "sara")
    assert (await store.agent("sara")).state.value == "on_call"
    assert time.monotonic() - started >= 8 - 0.5
    ctx = await acd.controller.contexts.get(first_id)
    assert ctx is not None
    outcomes = [(a.target, a.outcome) for a in ctx.attempts]
    assert ("4712", Outcome.NO_ANSWER) in outcomes
    assert ("Local/1001@sim-phones", Outcome.RETURNED) in outcomes
    # When she is free again, the returned call comes back to her first.
    await second.hangup()
    await harness.wait_answered("1001", timeout=20)
    await wait_state(store, first_id, CallState.CONNECTED)
    assert (await store.call(first_id)).agent_id == "sara"

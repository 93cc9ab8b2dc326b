"""Operator actions on the real Asterisk 22: transfers, consultation, park, hold.

The caller is a Local channel already talking to the operator's simulated phone
(``[vaxel-switchboard-sim]`` dials ``Local/1000@sim-phones``), the state in which an
operator acts; the operator's actions go through ``switchboard.ami_operator.Operator``
over the controller's own least-privilege AMI user; the harness only watches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from infra.ami import AmiClient
from switchboard.ami_operator import Operator
from switchboard.context import Outcome
from switchboard.context_store import CallContextStore
from switchboard.errors import ActionFailed
from switchboard.operator import Settings
from switchboard.recorder import ContextRecorder
from tests.integration.controller import seed_directory
from vaxel.testing.calls import Call, Harness

pytestmark = pytest.mark.integration
OPERATOR = "1000"
OPERATOR_DEVICE = f"Local/{OPERATOR}@sim-phones"
FAST = Settings(ring_s=3, return_ring_s=5, hold_limit_s=30, park_s=3)


@pytest.fixture
async def ami(asterisk):
    p = asterisk.params
    client = AmiClient("127.0.0.1", p.ami_port, p.ami_user, p.ami_secret)
    await client.connect()
    yield client
    await client.close()


@pytest.fixture
def directory(tmp_path):
    return seed_directory(f"sqlite:///{tmp_path / 'directory.db'}")


@pytest.fixture
def op(ami, directory):
    return Operator(ami, operator_id="op1000", device=OPERATOR_DEVICE, directory=directory,
                    settings=FAST)


async def caller_with_operator(harness: Harness) -> tuple[Call, str]:
    """A caller talking to the operator; returns the call and the caller's channel."""
    await harness.set_phone(OPERATOR, "answer")
    call = await harness.call(OPERATOR, context="vaxel-switchboard-sim")
    await harness.wait_answered(OPERATOR)
    event = await call.wait_for(lambda e: e.get("Uniqueid") == f"{call.id}-2"
                                and bool(e.get("Channel")), what="the caller's channel")
    return call, event["Channel"]


def after(call: Call, marker) -> Callable[[object], bool]:
    """A predicate true for events of ``call`` that arrived after ``marker``."""
    start = next(i for i, e in enumerate(call.events) if e is marker)
    return lambda e: any(x is e for x in call.events[start + 1:])


def user_events(call: Call, name: str) -> list:
    return [e for e in call.events if e.get("UserEvent") == name]


async def test_given_blind_transfer_when_the_employee_answers_then_caller_talks_to_them(
        harness, op):
    await harness.set_phone("4711", "answer")
    call, caller = await caller_with_operator(harness)
    target = await op.transfer(caller, "4711", supervised=False)
    assert target.label == "Anna Ekström"
    await harness.wait_answered("4711")
    dial = await call.wait_for(lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == caller
                               and "4711@sim-phones" in e.get("DestChannel", ""),
                               what="the transfer's dial to end")
    assert dial["DialStatus"] == "ANSWER"
    assert (await call.wait_event("VaxelTransfer"))["By"] == "op1000"


@pytest.fixture
async def contexts(ami, redis_server):
    """Call contexts in a real Redis, fed by a recorder reading the controller's AMI."""
    store = CallContextStore.from_url(redis_server.url)
    recorder = ContextRecorder(ami, store, clock=lambda: datetime.now(UTC))
    task = asyncio.create_task(recorder.run())
    yield store
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await store.close()


async def attempts_of(store: CallContextStore, call_id: str, count: int) -> list:
    for _ in range(50):
        ctx = await store.get(call_id)
        if ctx is not None and len(ctx.attempts) >= count:
            return list(ctx.attempts)
        await asyncio.sleep(0.1)
    raise AssertionError(f"call {call_id}: fewer than {count} attempts recorded: {ctx!r}")


async def test_given_supervised_transfer_when_nobody_answers_then_it_rings_the_operator_again(
        harness, op, contexts):
    await harness.set_phone("4712", "noanswer")
    call, caller = await caller_with_operator(harness)
    await op.transfer(caller, "4712")
    result = await call.wait_event("VaxelTransferResult", Target="4712")
    assert result["Status"] == "NOANSWER"
    back = await call.wait_event("VaxelReturn", Reason="transfer")
    assert back["To"] == OPERATOR_DEVICE and back["By"] == "op1000"
    await harness.wait_answered(OPERATOR)   # the second answer: the call came back
    later = after(call, back)
    dial = await call.wait_for(lambda e: e.get("Event") == "DialEnd" and e.get("Channel") == caller
                               and "1000@sim-phones" in e.get("DestChannel", "") and later(e),
                               what="the return dial to end")
    assert dial["DialStatus"] == "ANSWER"
    tried, returned = await attempts_of(contexts, f"{call.id}-2", 2)
    assert (tried.target, tried.target_name, tried.outcome, tried.by) == (
        "4712", "Björn Öberg", Outcome.NO_ANSWER, "op1000")
    assert (returned.target, returned.outcome) == (OPERATOR_DEVICE, Outcome.RETURNED)


async def test_given_an_unknown_extension_then_transfer_is_refused_and_the_call_stays(
        harness, op):
    from switchboard.errors import TargetNotFound

    call, caller = await caller_with_operator(harness)
    with pytest.raises(TargetNotFound, match="'4999'"):
        await op.transfer(caller, "4999")
    assert await op.peer_of(caller)      # still talking to the operator
    assert not user_events(call, "VaxelTransfer")


async def test_given_consultation_when_completed_then_caller_and_target_talk(harness, op, ami):
    await harness.set_phone("4711", "answer")
    call, caller = await caller_with_operator(harness)
    operator_channel = await op.consult(caller, "4711")
    await call.wait_event("VaxelHeld")
    await harness.wait_answered("4711")
    await op.complete(operator_channel)
    ended = await call.wait_event("VaxelConsultEnded")
    assert ended["Done"] == "1"
    peer = await op.peer_of(caller)
    assert "4711@sim-phones" in peer
    assert not user_events(call, "VaxelConsultBack")


async def test_given_consultation_when_cancelled_then_operator_talks_to_caller_again(
        harness, op):
    await harness.set_phone("4711", "answer")
    call, caller = await caller_with_operator(harness)
    operator_channel = await op.consult(caller, "4711")
    await harness.wait_answered("4711")
    await op.cancel(operator_channel)
    await call.wait_event("VaxelConsultBack")
    await call.wait_for(lambda e: e.get("Event") == "BridgeEnter" and e.get("Channel") == caller
                        and e.get("BridgeNumChannels") == "2", what="caller bridged again")
    # Asterisk sets BRIDGEPEER just after it announces BridgeEnter: read until it is there.
    peer = ""
    for _ in range(50):
        try:
            peer = await op.peer_of(caller)
            break
        except ActionFailed:
            await asyncio.sleep(0.1)
    assert peer == operator_channel


async def test_given_no_consultation_then_complete_is_refused_naming_the_channel(harness, op):
    _, caller = await caller_with_operator(harness)
    with pytest.raises(ActionFailed, match="no consultation"):
        await op.complete(caller)


async def test_given_a_parked_call_nobody_picks_up_then_it_rings_the_parking_operator(
        harness, op):
    call, caller = await caller_with_operator(harness)
    space = await op.park(caller)
    assert space == "701"
    back = await call.wait_event("VaxelReturn", timeout=15)
    assert back["Reason"] == "parked" and back["To"] == OPERATOR_DEVICE
    await harness.wait_answered(OPERATOR)


async def test_given_a_parked_call_when_picked_up_then_operator_talks_to_the_caller(
        harness, op, ami):
    op.settings = Settings(park_s=30)
    call, caller = await caller_with_operator(harness)
    space = await op.park(caller)
    await op.pickup(space)
    await call.wait_for(lambda e: e.get("Event") == "ParkedCallGiveUp" or (
        e.get("Event") == "ParkedCallTimeOut") or e.get("Event") == "ParkedCallSwap" or (
        e.get("Event") == "BridgeEnter" and e.get("Channel") == caller
        and e.get("BridgeNumChannels") == "2"), what="the pick-up")
    assert OPERATOR in await op.peer_of(caller)
    assert not user_events(call, "VaxelReturn")


async def test_given_hold_then_caller_hears_music_and_unhold_rings_the_operator(harness, op):
    call, caller = await caller_with_operator(harness)
    await op.hold(caller)
    await call.wait_event("VaxelHeld", By="op1000")
    await call.wait_for(lambda e: e.get("Event") == "MusicOnHoldStart", what="music on hold")
    await op.unhold(caller)
    assert (await call.wait_event("VaxelReturn"))["Reason"] == "unhold"
    await harness.wait_answered(OPERATOR)


async def test_hangup_ends_the_callers_channel(harness, op):
    call, caller = await caller_with_operator(harness)
    await op.hangup(caller)
    await call.wait_for(lambda e: e.get("Event") == "Hangup" and e.get("Channel") == caller,
                        what="the caller's hang-up")


async def test_cli_transfer_puts_the_caller_through_on_the_real_asterisk(
        harness, asterisk, tmp_path, directory):
    from vaxel.cli import main

    config = tmp_path / "vaxel.toml"
    config.write_text(f'[directory]\nurl = "sqlite:///{tmp_path / "directory.db"}"\n')
    await harness.set_phone("4711", "answer")
    call, caller = await caller_with_operator(harness)
    p = asterisk.params
    rc = await asyncio.to_thread(main, [
        "operator", "transfer", caller, "4711", "--device", OPERATOR_DEVICE,
        "--operator", "op1000", "--config", str(config), "--ami-port", str(p.ami_port),
        "--ami-user", p.ami_user, f"--ami-secret={p.ami_secret}"])  # may start with "-"
    assert rc == 0
    await harness.wait_answered("4711")
    assert (await call.wait_event("VaxelTransfer"))["Target"] == "4711"

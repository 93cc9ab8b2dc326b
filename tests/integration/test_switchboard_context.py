"""The call context follows a real call: city IVR -> operator -> transfer nobody answers.

The controller runs the city flow against real Redis; the caller presses 0 for the
operator, the operator transfers to 4712 who does not answer, the call comes back, and
the context read from Redis has the caller's number, the IVR path and the failed attempt.
"""

from __future__ import annotations

import asyncio

import pytest

from infra.ami import AmiClient
from switchboard.ami_operator import Operator
from switchboard.context import Outcome, describe
from switchboard.context_store import CallContextStore, DirectoryLookup
from switchboard.operator import Settings
from tests.integration.test_ivr_calls import controller  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("controller")]


async def test_operator_sees_number_ivr_path_and_the_unanswered_transfer(
        harness, asterisk, redis_server, tmp_path):
    from directory.api import Directory

    p = asterisk.params
    ami = AmiClient("127.0.0.1", p.ami_port, p.ami_user, p.ami_secret)
    await ami.connect()
    directory = Directory.open(f"sqlite:///{tmp_path / 'directory.db'}")
    # The controller (fixture) records transfer results itself; this store only reads.
    store = CallContextStore.from_url(redis_server.url, DirectoryLookup(directory))
    try:
        await harness.set_phone("1000", "answer")
        await harness.set_phone("4712", "noanswer")
        call = await harness.call("4000", caller_id="0701234567")
        await call.wait_listening()
        await call.send_digits("#")
        await call.wait_listening()
        await call.send_digits("0")
        await harness.wait_answered("1000")
        caller = (await call.wait_for(lambda e: e.get("Uniqueid") == f"{call.id}-2"
                                      and bool(e.get("Channel")), what="caller"))["Channel"]
        op = Operator(ami, operator_id="op1000", device="Local/1000@sim-phones",
                      directory=directory, settings=Settings(ring_s=2, return_ring_s=5))
        await op.transfer(caller, "4712")
        await call.wait_event("VaxelReturn", timeout=15)
        await harness.wait_answered("1000")
        for _ in range(50):
            ctx = await store.get(f"{call.id}-2")
            if ctx is not None and len(ctx.attempts) >= 2:
                break
            await asyncio.sleep(0.1)
        assert ctx is not None
        assert ctx.caller_number == "0701234567"
        assert "key:0" in ctx.ivr_path
        assert [(a.target, a.outcome) for a in ctx.attempts] == [
            ("4712", Outcome.NO_ANSWER), ("Local/1000@sim-phones", Outcome.RETURNED)]
        assert any("Björn Öberg (4712)" in line for line in describe(ctx))
    finally:
        await store.close()
        await ami.close()

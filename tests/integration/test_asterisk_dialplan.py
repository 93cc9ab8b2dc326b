"""The static dialplan's contract with the controller, pinned with a scripted AGI peer.

The controller (written elsewhere) keeps a call by setting VAXEL_ACTION and
IVR_DONE=1 before it leaves the AGI; `dial` uses VAXEL_DIAL and
VAXEL_DIAL_TIMEOUT, and a failed dial comes back to the `resume` script with
the DIALSTATUS. These tests play the controller's part with an AGI stub.
"""

from __future__ import annotations

import asyncio

import pytest

from infra.asterisk.sounds import hold_tone_wav
from tests.integration.agi_stub import AgiSession
from vaxel.testing.services import TEST_FALLBACK, AsteriskServer

pytestmark = pytest.mark.integration


@pytest.fixture
def fastagi_port(agi_stub):
    return agi_stub.port


async def test_given_the_controller_reads_digits_when_the_caller_presses_them_then_it_gets_them(
    agi_stub, harness,
):
    got: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def inbound(session: AgiSession) -> None:
        got.set_result(await session.command("GET DATA beep 5000 2"))
        await session.take_call("hangup")

    agi_stub.scripts["inbound"] = inbound
    call = await harness.call("0812345", caller_id="0701112233")
    listening = await call.wait_listening()
    assert listening["Command"].startswith("GET DATA beep")
    await call.send_digits("42")
    assert await asyncio.wait_for(got, 10) == "200 result=42"
    env = agi_stub.sessions[0].env
    assert env["agi_arg_1"] == "0812345" and env["agi_callerid"] == "0701112233"
    await call.wait_hangup()
    assert call.prompts_played() == ["beep"]
    assert not any(e.get("UserEvent") == "VaxelFallback" for e in call.events)


async def test_given_a_dialled_phone_busy_then_resume_reports_busy_and_the_next_dial_is_made(
    agi_stub, harness,
):
    async def inbound(session: AgiSession) -> None:
        await session.take_call("dial", VAXEL_DIAL="Local/4711@sim-phones", VAXEL_DIAL_TIMEOUT="5")

    async def resume(session: AgiSession) -> None:
        await session.take_call("dial", VAXEL_DIAL="Local/4712@sim-phones", VAXEL_DIAL_TIMEOUT="5")

    agi_stub.scripts.update(inbound=inbound, resume=resume)
    await harness.set_phone("4711", "busy")
    await harness.set_phone("4712", "answer")
    call = await harness.call("0812345")
    await harness.wait_answered("4712", timeout=15)
    resumed = [s for s in agi_stub.sessions if s.script == "resume"]
    assert [(s.env["agi_arg_1"], s.env["agi_arg_2"]) for s in resumed] == [("dial", "BUSY")]
    await call.hangup()


async def test_given_the_controller_sets_an_unknown_action_then_the_fallback_still_answers(
    agi_stub, harness,
):
    async def inbound(session: AgiSession) -> None:
        await session.take_call("no-such-action")

    agi_stub.scripts["inbound"] = inbound
    await harness.set_phone("1000", "answer")
    await harness.set_phone("1001", "noanswer")
    call = await harness.call("0812345")
    await call.wait_event("VaxelFallback", timeout=15)
    await harness.wait_answered("1000", timeout=15)
    await call.hangup()


@pytest.mark.parametrize("script", ["hangs-up-at-once", "empty-action"])
async def test_given_a_controller_that_fails_midway_then_the_fallback_still_answers(
    agi_stub, harness, script,
):
    """A controller that drops the AGI session, or keeps a call with no action, loses no call."""
    async def inbound(session: AgiSession) -> None:
        if script == "empty-action":
            await session.take_call("")

    agi_stub.scripts["inbound"] = inbound
    await harness.set_phone("1000", "answer")
    await harness.set_phone("1001", "noanswer")
    call = await harness.call("0812345")
    await call.wait_event("VaxelFallback", timeout=15)
    await harness.wait_answered("1000", timeout=15)
    assert len(agi_stub.sessions) == 1
    await call.hangup()


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    (folder / "sv").mkdir(parents=True)
    (folder / "sv" / "welcome.wav").write_bytes(hold_tone_wav(seconds=0.5))
    return folder


@pytest.fixture
def asterisk(asterisk_root, fastagi_port, prompts):
    with AsteriskServer(asterisk_root, fastagi_port, prompts=prompts, **TEST_FALLBACK) as server:
        yield server


async def test_given_rendered_prompts_when_played_from_sounds_path_then_asterisk_finds_them(
    agi_stub, asterisk, harness,
):
    replies: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
    sounds = asterisk.instance.sounds_path

    async def inbound(session: AgiSession) -> None:
        found = await session.command(f'STREAM FILE {sounds}/sv/welcome ""')
        missing = await session.command(f'STREAM FILE {sounds}/sv/no-such-prompt ""')
        replies.set_result([found, missing])
        await session.take_call("hangup")

    agi_stub.scripts["inbound"] = inbound
    await harness.call("0812345")
    found, missing = await asyncio.wait_for(replies, 10)
    assert found.startswith("200 result=0 endpos=")
    assert missing.startswith("200 result=-1")  # what a missing file looks like to AGI

"""SIP on loopback: the city trunk reaches [vaxel-inbound] with RFC 4733 digits; phones register."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.agi_stub import AgiSession
from vaxel.testing.services import free_port, free_udp_range

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("sipp") is None, reason="needs SIPp (Debian sip-tester)"),
]

SCENARIOS = Path(__file__).parent / "sipp"
PCAPS = Path("/usr/share/sip-tester")


@pytest.fixture
def fastagi_port(agi_stub):
    return agi_stub.port


async def _sipp(target_port: int, scenario: Path, *args: str) -> subprocess.CompletedProcess[str]:
    media_port, _ = free_udp_range(4)
    command = ["sipp", f"127.0.0.1:{target_port}", "-sf", str(scenario), "-m", "1",
               "-i", "127.0.0.1", "-p", str(free_port("udp")), "-mp", str(media_port),
               "-timeout", "20", "-timeout_error", "-nostdin", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=40, check=False)


async def test_given_a_trunk_call_when_the_caller_presses_7_then_the_controller_reads_it(
    agi_stub, asterisk, tmp_path,
):
    got: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def inbound(session: AgiSession) -> None:
        got.set_result(await session.command("GET DATA beep 8000 1"))
        await session.take_call("hangup")

    agi_stub.scripts["inbound"] = inbound
    scenario = tmp_path / "call.xml"
    pcap = PCAPS / "dtmf_2833_7.pcap"
    scenario.write_text((SCENARIOS / "trunk_call_dtmf.xml").read_text()
                        .replace("DIGIT_PCAP", str(pcap)))
    done = await _sipp(asterisk.params.sip_port, scenario, "-s", "0812345")
    assert await asyncio.wait_for(got, 10) == "200 result=7", done.stderr
    env = agi_stub.sessions[0].env
    assert env["agi_arg_1"] == "0812345"
    assert env["agi_channel"].startswith("PJSIP/trunk-")


async def test_given_its_password_when_a_demo_phone_registers_then_asterisk_accepts_it(asterisk):
    password = dict(asterisk.params.phone_secrets)["4711"]
    done = await _sipp(asterisk.params.sip_port, SCENARIOS / "register.xml",
                       "-s", "4711", "-au", "4711", "-ap", password)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


async def test_given_a_wrong_password_when_a_demo_phone_registers_then_it_is_refused(asterisk):
    done = await _sipp(asterisk.params.sip_port, SCENARIOS / "register.xml",
                       "-s", "4711", "-au", "4711", "-ap", "wrong-password")
    assert done.returncode != 0

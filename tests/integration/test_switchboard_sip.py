"""Real SIP calls (SIPp, Debian's sip-tester) through PJSIP on loopback to the controller.

The UAC offers PCMU plus telephone-event/8000 to the ``trunk`` endpoint and presses keys
as RFC 4733 packets (the pcaps sip-tester ships). SIPp cannot see when the IVR listens,
so the digits are timed against the synthesised prompts' lengths with wide margins:
each key lands while a GET DATA prompt plays or waits (see ``CITY_KEYS``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from directory.api import Device
from infra.config import GroupConfig
from tests.integration.controller import ControllerUnderTest, make_test_dialplans, seed_directory
from vaxel.testing.calls import Harness, HarnessError
from vaxel.testing.services import free_port, free_udp_range

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("sipp") is None, reason="needs SIPp (Debian sip-tester)"),
]

SCENARIO = Path(__file__).parent / "sipp" / "city_call_digits.xml"
PCAPS = Path("/usr/share/sip-tester")
#: (milliseconds to wait before the key, key). The language menu times out after 2 s
#: (welcome 2.1 s + question 1.8 s before it), the main menu prompt lasts 13.8 s, and the
#: extension prompt 2.9 s with 5 s between keys.
#: Each pcap replays its own RTP sequence numbers, and Asterisk ignores an RFC 4733 event
#: older than the last one it saw; the pcaps' numbers rise 1, 2, ... 9, *, #, so the keys
#: must too: the employee called is 2345 (added for this test), not 4711.
CITY_KEYS = ((9000, "1"), (4000, "2"), (500, "3"), (500, "4"), (500, "5"), (500, "#"))
SIP_EXTENSION = "2345"
PCAP_NAMES = {"#": "pound", "*": "star"}
#: A test-only flow: the direct number 4711 rings that employee's phone.
DIRECT_FLOW = """\
flow: direct-test
description: Test only - a direct number
entry_numbers: ["4711"]
start: ring
prompts: {}
nodes:
  ring:
    kind: dial_group
    group: direct_4711
    on_no_answer: bye
  bye:
    kind: hangup
"""


def scenario(tmp_path: Path, keys: tuple[tuple[int, str], ...], hold_ms: int) -> Path:
    steps = []
    for wait_ms, key in keys:
        pcap = PCAPS / f"dtmf_2833_{PCAP_NAMES.get(key, key)}.pcap"
        steps.append(f'<pause milliseconds="{wait_ms}"/>\n  <nop><action>'
                     f'<exec play_pcap_audio="{pcap}"/></action></nop>')
    text = SCENARIO.read_text().replace("DIGITS", "\n  ".join(steps)) \
        .replace("HOLD_MS", str(hold_ms))
    path = tmp_path / "call.xml"
    path.write_text(text)
    return path


async def sipp(sip_port: int, scenario_path: Path, number: str) -> subprocess.CompletedProcess[str]:
    media_port, _ = free_udp_range(4)
    command = ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(scenario_path), "-m", "1",
               "-s", number, "-i", "127.0.0.1", "-p", str(free_port("udp")),
               "-mp", str(media_port), "-timeout", "40", "-timeout_error", "-nostdin"]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True,
                                   timeout=50, check=False)


async def answered_during(call: asyncio.Task[subprocess.CompletedProcess[str]],
                          harness: Harness, phone: str, timeout: float) -> None:
    """Wait until ``phone`` answers while SIPp runs; on failure say what SIPp and the
    IVR did."""
    try:
        await harness.wait_answered(phone, timeout=timeout)
    except HarnessError as exc:
        done = await call
        commands = [e.get("Command") for e in harness.events if e.get("Event") == "AGIExecStart"]
        raise AssertionError(f"{exc}\nSIPp rc {done.returncode}: {done.stdout[-1500:]}"
                             f"{done.stderr[-1500:]}\nAGI: {commands}") from None


@pytest.fixture
async def controller(tmp_path, fastagi_port, redis_server, asterisk):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    directory = seed_directory(url)
    directory.add_employee(f"e{SIP_EXTENSION}", "Sara", "Sip", unit_id="u-bygglov",
                           extension=SIP_EXTENSION,
                           devices=(Device("sip", f"Local/{SIP_EXTENSION}@sim-phones"),))
    dialplans = make_test_dialplans(tmp_path / "dialplans")
    (dialplans / "direct-test.yaml").write_text(DIRECT_FLOW)
    c = ControllerUnderTest(
        fastagi_port=fastagi_port, redis_url=redis_server.url, directory_url=url,
        dialplans=dialplans, sounds_path=asterisk.instance.sounds_path,
        ami_port=asterisk.params.ami_port, ami_secret=asterisk.params.ami_secret)
    groups = {**c.config.groups, "direct_4711": GroupConfig(("Local/4711@sim-phones",), 10)}
    c.config = dataclasses.replace(c.config, groups=groups)
    await c.start()
    yield c
    await c.stop()


async def test_given_a_sip_call_to_the_city_number_when_keys_1_2345_hash_then_2345_answers(
        controller, harness, asterisk, tmp_path):
    await harness.set_phone(SIP_EXTENSION, "answer")
    call = asyncio.create_task(sipp(asterisk.params.sip_port,
                                    scenario(tmp_path, CITY_KEYS, 4000), "4000"))
    await answered_during(call, harness, SIP_EXTENSION, 40)
    done = await call
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    dial = next(e for e in harness.events if e.get("Event") == "DialBegin"
                and f"{SIP_EXTENSION}@sim-phones" in e.get("DestChannel", ""))
    assert dial["Channel"].startswith("PJSIP/trunk-")


async def test_given_a_sip_call_to_a_direct_number_then_that_employee_answers(
        controller, harness, asterisk, tmp_path):
    await harness.set_phone("4711", "answer")
    call = asyncio.create_task(sipp(asterisk.params.sip_port, scenario(tmp_path, (), 3000),
                                    "4711"))
    await answered_during(call, harness, "4711", 20)
    done = await call
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not any(e.get("UserEvent") == "VaxelFallback" for e in harness.events)

"""Calls through the real Asterisk 22, the controller (FastAGI) and the city-number flow.

Each test is a citizen phoning the city number (a Local channel originated over
AMI), pressing keys when the controller listens (AGIExecStart of GET DATA), and
reaching a simulated phone. The controller runs in the test's event loop against
a real Redis and a SQLite directory; the clock is pinned to office hours.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.controller import ControllerUnderTest, seed_directory
from vaxel.testing.calls import Harness

pytestmark = pytest.mark.integration
CITY = "4000"


@pytest.fixture
async def controller(tmp_path, fastagi_port, redis_server, asterisk):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed_directory(url)
    c = ControllerUnderTest.on(tmp_path, fastagi_port, redis_server, asterisk, url)
    await c.start()
    yield c
    await c.stop()


def played(call, prompt: str) -> list[str]:
    """The AGI commands of this call that played ``prompt`` (any language)."""
    return [e.get("Command", "") for e in call.events
            if e.get("Event") == "AGIExecStart" and f"/{prompt} " in e.get("Command", "") + " "]


async def to_main_menu(harness: Harness, caller_id: str = "0701234567"):
    call = await harness.call(CITY, caller_id=caller_id)
    await call.wait_listening()          # "For English, press 9"
    await call.send_digits("#")          # nothing chosen: Swedish
    await call.wait_listening()          # main menu
    return call


async def test_given_known_extension_then_caller_is_put_through_to_that_phone(controller, harness):
    call = await to_main_menu(harness)
    await call.send_digits("1")
    await call.wait_listening()
    await call.send_digits("4711#")
    await harness.wait_answered("4711")
    dial = await call.wait_for(lambda e: e.get("Event") == "DialEnd"
                               and "4711@sim-phones" in e.get("DestChannel", ""), 10,
                               "the dial to 4711 to end")
    assert dial.get("DialStatus") == "ANSWER"
    assert played(call, "main_menu")[0].count("/sv/main_menu") == 1


async def test_given_unknown_extension_then_told_and_asked_again_then_valid_one_works(
        controller, harness):
    call = await to_main_menu(harness)
    await call.send_digits("1")
    await call.wait_listening()
    await call.send_digits("9999#")
    await call.wait_listening()          # asked again, after "no such extension"
    assert played(call, "unknown_extension")
    await call.send_digits("4712#")
    await harness.wait_answered("4712")


async def test_given_unlisted_employee_then_ivr_treats_extension_as_unknown(controller, harness):
    call = await to_main_menu(harness)
    await call.send_digits("1")
    await call.wait_listening()
    await call.send_digits("4799#")
    await call.wait_listening()
    assert played(call, "unknown_extension")


async def test_given_no_input_three_times_then_operator_group(controller, harness):
    call = await to_main_menu(harness)   # the main menu is playing: wait out its timeout thrice
    await harness.wait_answered("1000", timeout=60)
    assert len(played(call, "main_menu")) == 3
    assert played(call, "to_operator")


async def test_given_invalid_key_then_invalid_prompt_and_menu_again(controller, harness):
    call = await to_main_menu(harness)
    await call.send_digits("7")
    await call.wait_listening()
    assert played(call, "invalid_choice")
    assert len(played(call, "main_menu")) == 2
    await call.send_digits("2")
    await harness.wait_answered("2000")


@pytest.mark.parametrize("behaviour", ["busy", "noanswer"])
async def test_given_employee_phone_busy_or_unanswered_then_contact_center_group(
        controller, harness, behaviour):
    await harness.set_phone("4711", behaviour)
    call = await to_main_menu(harness)
    await call.send_digits("1")
    await call.wait_listening()
    await call.send_digits("4711#")
    await harness.wait_answered("2000", timeout=30)
    assert played(call, "no_answer")
    saved = await controller.saved_call(f"{call.id}-2")   # the ;2 half runs the IVR
    statuses = [s for s in saved.path if s.startswith("dialstatus:")]
    assert statuses == [f"dialstatus:{'BUSY' if behaviour == 'busy' else 'NOANSWER'}"]


async def test_given_english_chosen_then_english_prompts_are_played(controller, harness):
    call = await harness.call(CITY)
    await call.wait_listening()
    await call.send_digits("9")
    await call.wait_listening()
    assert "/en/main_menu" in played(call, "main_menu")[0]
    await call.send_digits("0")
    await harness.wait_answered("1000")
    assert "/en/to_operator" in played(call, "to_operator")[0]


async def test_given_finnish_chosen_then_finnish_prompts_lead_to_the_extension(
        controller, harness):
    """8 in the language menu: the main menu and the extension prompt are the Finnish
    recordings (espeak-ng fi placeholders), and the caller reaches the phone."""
    call = await harness.call(CITY)
    await call.wait_listening()
    await call.send_digits("8")
    await call.wait_listening()
    assert "/fi/main_menu" in played(call, "main_menu")[0]
    await call.send_digits("1")
    await call.wait_listening()
    assert "/fi/enter_extension" in played(call, "enter_extension")[0]
    await call.send_digits("4711#")
    await harness.wait_answered("4711")
    # The transfer's prompt is played by the dialplan just before its Dial.
    assert any(e.get("Event") == "Newexten" and e.get("Application") == "Playback"
               and e.get("AppData", "").endswith("/fi/connecting") for e in call.events)
    assert not played(call, "connecting")


async def test_given_controller_stopped_then_fallback_rings_operators_and_restart_recovers(
        controller, harness):
    await controller.stop()
    await harness.set_phone("1001", "noanswer")   # the fallback rings 1000 and 1001
    call = await harness.call(CITY)
    await call.wait_event("VaxelFallback", timeout=15)
    await harness.wait_answered("1000", timeout=15)
    await controller.start()             # same Asterisk, no restart
    call = await to_main_menu(harness)
    await call.send_digits("2")
    await harness.wait_answered("2000")


async def test_given_controller_started_then_its_ami_user_logs_in_and_sees_live_calls(
        controller, harness):
    call = await to_main_menu(harness)
    ami = controller.controller.ami
    for _ in range(50):
        if ami is not None and ami.connected:
            break
        await asyncio.sleep(0.1)
    assert ami is not None and ami.connected
    channels = await ami.core_show_channels()
    assert any(ch.get("Uniqueid") == f"{call.id}-2" for ch in channels)

"""New node kinds on the real Asterisk 22: dial by name through the SQL directory, and a topic
that enqueues (until the queue side exists, Asterisk's `i` extension rings the operators)."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.test_ivr_calls import controller, to_main_menu  # noqa: F401

pytestmark = pytest.mark.integration


async def test_given_name_keys_of_one_person_then_that_phone_rings(controller, harness):  # noqa: F811
    call = await to_main_menu(harness)
    await call.send_digits("3")                  # find a person by name
    await call.wait_listening()
    await call.send_digits("357#")               # E K S: Ekström
    await harness.wait_answered("4711")
    saved = await controller.saved_call(f"{call.id}-2")
    assert "names:1" in saved.path and saved.path[-1] == "dial:Local/4711@sim-phones"


async def test_given_topic_then_call_leaves_ivr_for_the_queue_with_requirements(
        controller, harness):  # noqa: F811
    await harness.set_phone("1001", "noanswer")   # the fallback rings 1000 and 1001
    call = await to_main_menu(harness)
    await call.send_digits("4")                  # topics
    await call.wait_listening()
    await call.send_digits("1")                  # schools and preschool
    await harness.wait_answered("1000", timeout=30)   # no queue route yet: operators' fallback
    saved = await controller.saved_call(f"{call.id}-2")
    assert saved.done and saved.path[-1] == "queue:kontaktcenter"
    variables = {e.get("Variable"): e.get("Value") for e in call.events
                 if e.get("Event") == "VarSet" and e.get("Variable", "").startswith("VAXEL_")}
    assert variables["VAXEL_ACTION"] == "queue"
    assert variables["VAXEL_QUEUE"] == "kontaktcenter"
    assert variables["VAXEL_REQUIREMENTS"] == "topic=skola;lang=sv"
    assert variables["VAXEL_PRIORITY"] == "0"


async def test_given_absent_person_then_caller_hears_the_note_and_reaches_the_colleague(
        controller, harness, asterisk, tmp_path):  # noqa: F811
    """The note is synthesised (espeak-ng + sox) into the instance's sounds and played."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from directory.api import (
        AbsenceCategory,
        AbsenceNote,
        AbsenceReason,
        Directory,
        ForwardKind,
    )

    zone = ZoneInfo("Europe/Stockholm")
    Directory.open(f"sqlite:///{tmp_path / 'directory.db'}").set_absence("e4711", AbsenceNote(
        AbsenceCategory.MEETING, datetime(2026, 11, 24, 8, 0, tzinfo=zone),
        datetime(2026, 11, 24, 11, 30, tzinfo=zone), AbsenceReason.MEETING, ForwardKind.COLLEAGUE,
        "4712"))
    call = await to_main_menu(harness)
    await call.send_digits("1")
    await call.wait_listening()
    await call.send_digits("4711#")
    await harness.wait_answered("4712", timeout=30)
    ends = [e for e in call.events if e.get("Event") == "AGIExecEnd"
            and "/say/sv/say-" in e.get("Command", "")]
    starts = [e for e in call.events if e.get("Event") == "AGIExecStart"
              and e.get("CommandId") == (ends[0].get("CommandId") if ends else None)]
    assert len(ends) == 1 and len(starts) == 1
    # A missing file ends at once; the note takes seconds to say.
    assert float(ends[0]["Timestamp"]) - float(starts[0]["Timestamp"]) > 1.5
    wavs = list((asterisk.instance.folder("sounds") / "say" / "sv").glob("say-*.wav"))
    assert len(wavs) == 1
    saved = await controller.saved_call(f"{call.id}-2")
    assert "forward:colleague" in saved.path and saved.path[-1] == "dial:Local/4712@sim-phones"


async def test_given_absent_person_without_forward_then_caller_leaves_a_message_on_disk(
        controller, harness, asterisk, tmp_path):  # noqa: F811
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from directory.api import AbsenceCategory, AbsenceNote, Directory

    zone = ZoneInfo("Europe/Stockholm")
    Directory.open(f"sqlite:///{tmp_path / 'directory.db'}").set_absence("e4711", AbsenceNote(
        AbsenceCategory.LUNCH, datetime(2026, 11, 24, 8, 0, tzinfo=zone),
        datetime(2026, 11, 24, 13, 0, tzinfo=zone)))
    messages = asterisk.instance.folder("sounds") / "messages"
    call = await to_main_menu(harness)
    await call.send_digits("1")
    await call.wait_listening()
    await call.send_digits("4711#")
    await call.wait_for(lambda e: e.get("Event") == "AGIExecStart"
                        and e.get("Command", "").startswith("RECORD FILE"), 30,
                        "the recording to start")
    await asyncio.sleep(1.5)                     # "the caller speaks", then ends with #
    await call.send_digits("#")
    await call.wait_hangup(timeout=20)           # after "thank you for your message"
    assert [p.name for p in (messages / "messages").iterdir()] == [f"{call.id}-2.wav"]
    saved = await controller.saved_call(f"{call.id}-2")
    # Stored for Anna whether or not mail works (no SMTP server here: it stays pending).
    assert saved.path[-5:] == ("forward:none", "message", "message:recorded", "message:taken",
                               "message_saved")

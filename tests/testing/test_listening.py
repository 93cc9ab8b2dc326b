"""Which AMI events mean the controller now reads the caller's digits."""

from __future__ import annotations

import pytest

from vaxel.testing.calls import describe, is_listening, played_file


def _agi(command: str) -> dict[str, str]:
    return {"Event": "AGIExecStart", "Command": command}


@pytest.mark.parametrize("command", [
    "GET DATA /sounds/sv/menu 5000 1",
    "WAIT FOR DIGIT 3000",
    'STREAM FILE /sounds/sv/welcome "0123456789*#"',
    "STREAM FILE welcome 12",
    'GET OPTION /sounds/en/menu "12" 4000',
    'CONTROL STREAM FILE hold "#" 0',
])
def test_commands_that_read_digits_count_as_listening(command):
    assert is_listening(_agi(command))


@pytest.mark.parametrize("command", [
    'STREAM FILE /sounds/sv/welcome ""',
    "STREAM FILE welcome",
    "SET VARIABLE IVR_DONE 1",
    "EXEC Playback beep",
    "SAY DIGITS 123 \"\"",
])
def test_commands_that_do_not_read_digits_are_not_listening(command):
    assert not is_listening(_agi(command))


def test_the_controllers_user_event_counts_as_listening():
    assert is_listening({"Event": "UserEvent", "UserEvent": "VaxelListening"})
    assert not is_listening({"Event": "UserEvent", "UserEvent": "SimPhoneAnswered"})
    assert not is_listening({"Event": "AGIExecEnd", "Command": "GET DATA x 1 1"})


def test_describe_keeps_the_last_events_and_says_how_many_were_left_out():
    events = [{"Event": "Newexten", "Application": f"App{i}"} for i in range(5)]
    text = describe(events, limit=2)
    assert text.splitlines() == [
        "  ... 3 earlier events",
        "  Newexten: Application='App3'",
        "  Newexten: Application='App4'",
    ]
    assert describe([]) == "  (no events)"


@pytest.mark.parametrize(("command", "files"), [
    ('STREAM FILE /snd/en/welcome ""', ["/snd/en/welcome"]),
    ("GET DATA /snd/sv/menu 5000 1", ["/snd/sv/menu"]),
    ('GET OPTION /snd/sv/menu "12" 4000', ["/snd/sv/menu"]),
    ('CONTROL STREAM FILE /snd/sv/hold "#"', ["/snd/sv/hold"]),
    ('EXEC Playback "/snd/sv/a&/snd/sv/b,noanswer"', ["/snd/sv/a", "/snd/sv/b"]),
    ("EXEC Dial PJSIP/4711", []),
    ("SET VARIABLE IVR_DONE 1", []),
])
def test_the_files_an_agi_command_plays_are_extracted(command, files):
    assert played_file(_agi(command)) == files


def test_only_agi_exec_start_events_play_files():
    assert played_file({"Event": "AGIExecEnd", "Command": "STREAM FILE x \"\""}) == []

"""Sentences made up during a call, and their synthesis into cached sound files."""

from __future__ import annotations

import shutil

import pytest

from ivr.phrases import absence_text, candidates_text
from ivr.speech import EspeakSpeech

NOTE = {"category": "meeting", "until": "2026-11-24T14:30+00:00", "message": "Åter i morgon",
        "forward_kind": "unit", "forward_target": "u-bygglov"}


def test_absence_in_swedish_is_in_local_time_with_the_note_and_the_forward():
    assert absence_text("Anna Ek", NOTE, "sv") == (
        "Anna Ek sitter i möte till klockan 15:30 den 24 november. Åter i morgon. "
        "Du kopplas till enheten.")


def test_absence_in_english_without_until_or_forward():
    note = {"category": "out_of_office", "forward_kind": "none"}
    assert absence_text("Anna Ek", note, "en") == "Anna Ek is out of the office."


def test_unknown_category_gets_a_neutral_sentence():
    assert absence_text("Anna Ek", {"category": "sick"}, "sv") == "Anna Ek är inte anträffbar."


def test_candidates_in_both_languages():
    assert candidates_text(["A B", "C D"], "en") == "For A B, press 1. For C D, press 2."
    assert candidates_text(["A B"], "sv") == "För A B, tryck 1."


@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                    reason="espeak-ng and sox needed")
async def test_speech_synthesises_once_and_returns_the_path_asterisk_plays(tmp_path):
    speech = EspeakSpeech(tmp_path, "/var/lib/asterisk/sounds/vaxel-say/")
    path = await speech.speak("Anna Ek är på lunch.", "sv")
    name = path.rsplit("/", 1)[1]
    assert path == f"/var/lib/asterisk/sounds/vaxel-say/sv/{name}"
    wav = tmp_path / "sv" / f"{name}.wav"
    assert wav.read_bytes()[:4] == b"RIFF"
    before = wav.stat().st_mtime_ns
    assert await speech.speak("Anna Ek är på lunch.", "sv") == path
    assert wav.stat().st_mtime_ns == before

"""What callers hear, pinned: the Swedish wording rules (shared SWEDISH-PROMPTS notes) on every
prompt of the shipped flows, the fixed lines word for word, and the name search's two misses."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from infra.paths import repo_root
from ivr import actions as a
from ivr.errors import FlowFileError
from ivr.fakes import DictDirectory
from ivr.flow import parse_flow
from ivr.flowset import load_set
from ivr.prompt_texts import collect_prompt_texts
from ivr.simulate import simulate

STHLM = ZoneInfo("Europe/Stockholm")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=STHLM)
TEXTS = collect_prompt_texts(repo_root() / "dialplans")

PINNED_SV = {
    "closed": "Växeln är stängd just nu.",
    "closed_goodbye": "Om det gäller liv eller hälsa, ring 112. "
                      "För socialjouren, ring 08 508 400 00. Hej då.",
    "spell_name": "Slå de första bokstäverna i personens efternamn. Avsluta med fyrkant. "
                  "Till exempel: för Ek, tryck tre, fem.",
    "choose_person": "Tryck siffran för den du söker.",
    "no_such_name": "Vi hittade ingen med det namnet.",
    "too_many_names": "Det finns många med det namnet. Slå fler bokstäver och avsluta med fyrkant.",
    "queue_place_5": "Du är nummer fem i kön.",
    "to_queue": "Du står nu i kö. Du kopplas till första lediga medarbetare.",
    "contact_center_busy": "Alla medarbetare är upptagna just nu.",
}
PINNED_EN = {
    "choose_person": "Press the number of the person you want.",
    "contact_center_busy": "All our agents are busy right now.",
    "to_queue": "You are now in the queue. You will be connected to the next available agent.",
}


@pytest.mark.parametrize(("key", "text"), PINNED_SV.items())
def test_swedish_line_is_the_reviewed_wording(key, text):
    assert TEXTS[key]["sv"] == text


@pytest.mark.parametrize(("key", "text"), PINNED_EN.items())
def test_english_line_is_the_reviewed_wording(key, text):
    assert TEXTS[key]["en"] == text


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_swedish_prompt_keeps_the_wording_rules(key):
    sv = TEXTS[key]["sv"]
    assert "handläggare" not in sv, "a contact center says medarbetare"
    assert "Välj med en siffra" not in sv and "plats nummer" not in sv
    assert "akuta ärenden" not in sv, "say: Om det gäller liv eller hälsa, ring 112."
    assert not re.search(r"\b(slå|välj) \d", sv, re.I), "keys are pressed: tryck"
    # the choice before the key: "För bygglov, tryck 3", never "Tryck 3 för bygglov"
    assert not re.search(r"[Tt]ryck \d+ för", sv)
    assert "case officer" not in TEXTS[key]["en"]
    for sentence in re.split(r"(?<=[.?!])\s+", sv):
        assert len(sentence.split()) <= 16, f"a long sentence: {sentence}"


def test_queue_positions_say_du_ar_nummer():
    for n, word in enumerate(("två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio"), 2):
        assert TEXTS[f"queue_place_{n}"]["sv"] == f"Du är nummer {word} i kön."


def test_given_too_many_names_then_the_too_many_prompt_not_the_none_prompt():
    people = {str(4700 + i): a.Callee(f"e{i}", f"Person{i} Ek", f"PJSIP/{4700 + i}", "u")
              for i in range(7)}
    city = load_set(repo_root() / "dialplans")
    result = simulate(city, "4000", ["#", "3", "35#"], TUESDAY_10, directory=DictDirectory(people))
    assert TEXTS["too_many_names"]["sv"] in result.heard
    assert TEXTS["no_such_name"]["sv"] not in result.heard


def test_given_no_name_then_the_none_prompt():
    city = load_set(repo_root() / "dialplans")
    result = simulate(city, "4000", ["#", "3", "99#"], TUESDAY_10, directory=DictDirectory({}))
    assert TEXTS["no_such_name"]["sv"] in result.heard


def test_given_say_hours_naming_a_node_that_is_no_time_condition_then_the_file_is_refused():
    text = """
flow: f
start: a
prompts:
  p: {sv: Hej., en: Hi.}
nodes:
  a: {kind: play, prompt: p, say_hours: b, next: b}
  b: {kind: hangup, prompt: p}
"""
    with pytest.raises(FlowFileError, match="say_hours: node 'b' is not a time_condition"):
        parse_flow(text, "f.yaml")

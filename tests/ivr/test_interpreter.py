"""The flow interpreter, driven by scripted events and time, without sockets."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from infra.paths import repo_root
from ivr import actions as a
from ivr.errors import FlowRuntimeError
from ivr.flow import load_flow
from ivr.interpreter import FlowRun
from ivr.run import CallState, Group

STHLM = ZoneInfo("Europe/Stockholm")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=STHLM)
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=STHLM)
CHRISTMAS_DAY = datetime(2026, 12, 25, 10, 0, tzinfo=STHLM)
GROUPS = {
    "operators": Group("operators", "PJSIP/1000&PJSIP/1001", 30),
    "contact_center": Group("contact_center", "PJSIP/2000", 30),
}
ANNA = a.Callee("e1", "Anna Ekström", "PJSIP/4711", "u1")


@pytest.fixture(scope="module")
def city_main():
    return load_flow(repo_root() / "dialplans" / "city-main.yaml")


def started(flow, now=TUESDAY_10):
    run = FlowRun.new(flow, GROUPS, "call-1")
    return run, run.start(now)


def to_main_menu(flow):
    run, acts = started(flow)
    assert acts == [a.Play("welcome", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert acts[-1].prompt == "choose_language"
    acts = run.handle(a.NoInput(), TUESDAY_10)
    assert acts == [a.CheckAnnouncement("driftinfo", "sv")]
    acts = run.handle(a.AnnouncementResolved(None), TUESDAY_10)
    assert isinstance(acts[-1], a.Collect) and acts[-1].prompt == "main_menu"
    return run


def test_given_open_hours_when_caller_waits_at_language_choice_then_swedish_main_menu(city_main):
    run = to_main_menu(city_main)
    assert run.state.language == "sv"
    assert run.state.path[-4:] == ("open", "service_message", "announcement:off", "main_menu")


def test_given_nine_at_language_choice_then_prompts_are_english(city_main):
    run, _ = started(city_main)
    run.handle(a.PlaybackFinished(), TUESDAY_10)
    acts = run.handle(a.DigitsReceived("9"), TUESDAY_10)
    assert acts == [a.CheckAnnouncement("driftinfo", "en")]
    acts = run.handle(a.AnnouncementResolved(None), TUESDAY_10)
    assert acts == [a.Collect("main_menu", "en", 1, 5.0, "main_menu")]


def test_given_known_extension_when_one_then_digits_then_lookup_then_dial_device(city_main):
    run = to_main_menu(city_main)
    acts = run.handle(a.DigitsReceived("1"), TUESDAY_10)
    assert acts[-1].prompt == "enter_extension" and acts[-1].max_digits == 6
    acts = run.handle(a.DigitsReceived("4711"), TUESDAY_10)
    assert acts == [a.LookupExtension("4711")]
    acts = run.handle(a.LookupCompleted(ANNA), TUESDAY_10)
    assert acts == [a.Play("connecting", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert acts == [a.Dial("PJSIP/4711", 20, "extension 4711")]
    assert run.state.callee == ANNA


def test_given_unknown_extension_then_caller_hears_so_and_is_asked_again(city_main):
    run = to_main_menu(city_main)
    run.handle(a.DigitsReceived("1"), TUESDAY_10)
    run.handle(a.DigitsReceived("9999"), TUESDAY_10)
    acts = run.handle(a.LookupCompleted(None), TUESDAY_10)
    assert acts == [a.Play("unknown_extension", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert acts[-1].prompt == "enter_extension"
    assert run.handle(a.DigitsReceived("4711"), TUESDAY_10) == [a.LookupExtension("4711")]


def test_given_three_unknown_extensions_then_operator(city_main):
    run = to_main_menu(city_main)
    run.handle(a.DigitsReceived("1"), TUESDAY_10)
    for _ in range(2):
        run.handle(a.DigitsReceived("9999"), TUESDAY_10)
        run.handle(a.LookupCompleted(None), TUESDAY_10)
        run.handle(a.PlaybackFinished(), TUESDAY_10)
    run.handle(a.DigitsReceived("9999"), TUESDAY_10)
    acts = run.handle(a.LookupCompleted(None), TUESDAY_10)
    assert acts == [a.Play("to_operator", "sv")]
    assert run.handle(a.PlaybackFinished(), TUESDAY_10) == [
        a.Dial("PJSIP/1000&PJSIP/1001", 30, "group operators")
    ]


def test_given_no_input_three_times_at_main_menu_then_operator(city_main):
    run = to_main_menu(city_main)
    acts = run.handle(a.NoInput(), TUESDAY_10)
    assert acts[-1].prompt == "main_menu"
    acts = run.handle(a.NoInput(), TUESDAY_10)
    assert acts[-1].prompt == "main_menu"
    acts = run.handle(a.NoInput(), TUESDAY_10)
    assert acts == [a.Play("to_operator", "sv")]
    assert "failed:main_menu" in run.state.path


def test_given_invalid_key_then_invalid_prompt_and_menu_again(city_main):
    run = to_main_menu(city_main)
    assert run.handle(a.DigitsReceived("7"), TUESDAY_10) == [a.Play("invalid_choice", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert acts[-1].prompt == "main_menu"


def _unanswered(city_main):
    """A caller who asked for 4711 (Anna) and whose call she did not answer."""
    run = to_main_menu(city_main)
    run.handle(a.DigitsReceived("1"), TUESDAY_10)
    run.handle(a.DigitsReceived("4711"), TUESDAY_10)
    run.handle(a.LookupCompleted(ANNA), TUESDAY_10)
    run.handle(a.PlaybackFinished(), TUESDAY_10)
    return run, run.handle(a.DialCompleted("NOANSWER"), TUESDAY_10)


def test_given_person_does_not_answer_then_contact_center_group(city_main):
    run, acts = _unanswered(city_main)
    assert acts == [a.NoteAttempt("4711", "Anna Ekström", "NOANSWER"), a.Play("no_answer", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert acts == [a.CheckQueue("kontaktcenter")]
    acts = run.handle(a.QueueLoadKnown("kontaktcenter", known=False), TUESDAY_10)
    assert acts == [a.Dial("PJSIP/2000", 30, "group contact_center")]


def test_given_person_does_not_answer_and_nobody_logged_in_then_message_or_callback(city_main):
    run, _ = _unanswered(city_main)
    run.handle(a.PlaybackFinished(), TUESDAY_10)
    acts = run.handle(a.QueueLoadKnown("kontaktcenter", 0, 0, 0, None), TUESDAY_10)
    assert acts == [a.Play("contact_center_busy", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert [x.prompt for x in acts if isinstance(x, a.Collect)] == ["message_or_callback"]
    assert run.state.variables["queue_status"] == "nobody"


@pytest.mark.parametrize("when", [SATURDAY_10, CHRISTMAS_DAY])
def test_given_closed_hours_then_closed_message_and_goodbye(city_main, when):
    run, _ = started(city_main, when)
    run.handle(a.PlaybackFinished(), when)
    acts = run.handle(a.NoInput(), when)
    assert acts == [a.Play("closed", "sv")]
    said = run.handle(a.PlaybackFinished(), when)
    assert len(said) == 1 and isinstance(said[0], a.Say) and "Vi har stängt i dag." in said[0].text
    assert run.handle(a.PlaybackFinished(), when) == [a.Play("closed_goodbye", "sv")]
    assert run.handle(a.PlaybackFinished(), when) == [a.Hangup()]
    assert run.state.done


def test_given_state_saved_as_dict_when_restored_then_run_continues(city_main):
    run = to_main_menu(city_main)
    run.handle(a.DigitsReceived("2"), TUESDAY_10)
    run.handle(a.PlaybackFinished(), TUESDAY_10)
    saved = CallState.from_dict(run.state.to_dict())
    assert saved == run.state
    again = FlowRun.restore(city_main, GROUPS, saved)
    acts = again.handle(a.DialCompleted("NOANSWER"), TUESDAY_10)
    assert acts[1:] == [a.Play("to_operator", "sv")]
    assert isinstance(acts[0], a.NoteAttempt) and acts[0].target == "contact_center"


def test_given_event_the_node_does_not_expect_then_error_names_node(city_main):
    run = to_main_menu(city_main)
    with pytest.raises(FlowRuntimeError, match="main_menu"):
        run.handle(a.DialCompleted("BUSY"), TUESDAY_10)


def test_given_caller_hung_up_then_run_is_done_and_ignores_more(city_main):
    run = to_main_menu(city_main)
    assert run.handle(a.CallerHungUp(), TUESDAY_10) == []
    assert run.state.done
    assert run.handle(a.NoInput(), TUESDAY_10) == []


def test_repr_names_flow_node_and_wait(city_main):
    run = to_main_menu(city_main)
    assert repr(run) == "<FlowRun call-1 city-main@main_menu lang=sv waiting=digits>"

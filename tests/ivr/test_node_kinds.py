"""Each node kind, run by the pure interpreter with scripted events and time."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ivr import actions as a
from ivr.errors import FlowFileError
from ivr.flow import parse_flow
from ivr.interpreter import FlowRun
from ivr.run import CallState, Group
from ivr.validation import entry_valid, luhn_ok, personnummer_ok

STHLM = ZoneInfo("Europe/Stockholm")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=STHLM)
TUESDAY_20 = datetime(2026, 11, 24, 20, 0, tzinfo=STHLM)
SUNDAY_03 = datetime(2026, 11, 29, 3, 0, tzinfo=STHLM)
GROUPS = {"operators": Group("operators", "PJSIP/1000", 30)}
ANNA = a.Callee("e1", "Anna Ek", "PJSIP/4711", "u1")
BO = a.Callee("e2", "Bo Ek", "PJSIP/4712", "u1")
LUNCH = a.Absence("lunch", "2026-11-24T13:00+01:00", "", "colleague", "4712")

FLOW = textwrap.dedent(
    """\
    flow: kinds
    start: start
    prompts:
      p: {sv: Hej, en: Hello}
      choose: {sv: Välj, en: Choose}
      sorry: {sv: Ingen, en: Nobody}
      thanks: {sv: Tack, en: Thanks}
    nodes:
      start:
        kind: menu
        prompt: p
        choices: {"1": pnr, "2": by_name, "3": storm, "4": shifts, "5": topic, "6": offer,
                  "7": message, "8": elsewhere, "9": ext_unit, "0": ext_number}
      pnr:
        kind: collect
        prompt: p
        variable: pnr
        min_digits: 10
        max_digits: 12
        validate: personnummer
        max_attempts: 2
        on_failure: op
        next: topic
      by_name:
        kind: dial_by_name
        prompt: p
        choose_prompt: choose
        min_keys: 2
        not_found_prompt: sorry
        found: ring
        absent: away
        on_failure: op
      away:
        kind: absence_note
        to_colleague: find_colleague
        otherwise: op
      find_colleague:
        kind: lookup_extension
        variable: extension
        found: ring
        not_found: op
      ring:
        kind: transfer
        timeout: 20
        on_no_answer: op
      storm:
        kind: announcement
        announcement: storm
        next: op
      shifts:
        kind: time_switch
        windows:
          day: {schedule: {weekly: {mon-fri: ["08:00-17:00"]}}, next: topic}
          evening: {schedule: {weekly: {mon-fri: ["17:00-22:00"]}}, next: message}
        otherwise: bye
      topic:
        kind: enqueue
        queue: kontaktcenter
        requirements: topic=bygglov lang=${language}
        priority: 5
      offer:
        kind: callback_offer
        prompt: p
        confirm_prompt: thanks
        queue: kontaktcenter
        requirements: {topic: skola}
        decline: op
      message:
        kind: voicemail
        prompt: p
        folder: bygglov
        next: bye
      elsewhere:
        kind: goto
        flow: other
      ext_unit:
        kind: transfer
        unit: u-bygglov
        on_no_answer: op
      ext_number:
        kind: transfer
        number: "0850800000"
        timeout: 30
        on_no_answer: op
      op:
        kind: dial_group
        group: operators
      bye:
        kind: hangup
        prompt: thanks
    """
)
OTHER = "flow: other\nstart: bye\nprompts: {}\nnodes:\n  bye:\n    kind: hangup\n"


@pytest.fixture(scope="module")
def flow():
    return parse_flow(FLOW, "kinds.yaml")


def pressed(flow, key: str, now=TUESDAY_10):
    run = FlowRun.new(flow, GROUPS, "c1")
    run.start(now)
    return run, run.handle(a.DigitsReceived(key), now)


def test_given_valid_personnummer_then_stored_and_next_node(flow):
    run, acts = pressed(flow, "1")
    assert acts[-1].max_digits == 12
    acts = run.handle(a.DigitsReceived("198112189876"), TUESDAY_10)
    assert run.state.variables["pnr"] == "198112189876"
    assert isinstance(acts[-1], a.Enqueue)


def test_given_personnummer_with_wrong_check_digit_twice_then_on_failure(flow):
    run, _ = pressed(flow, "1")
    run.handle(a.DigitsReceived("198112189875"), TUESDAY_10)
    acts = run.handle(a.DigitsReceived("8112189875"), TUESDAY_10)
    assert acts == [a.Dial("PJSIP/1000", 30, "group operators")]
    assert "failed:pnr" in run.state.path


@pytest.mark.parametrize(("digits", "validation", "ok"), [
    ("79927398713", "luhn", True), ("79927398710", "luhn", False),
    ("8112189876", "personnummer", True), ("8112789876", "personnummer", False),
    ("8112789876", "digits", True), ("12a", "digits", False),
])
def test_entry_validation(digits, validation, ok):
    assert entry_valid(digits, validation) is ok


def test_samordningsnummer_day_plus_60_is_a_valid_personnummer():
    assert personnummer_ok("7010632391") and luhn_ok("7010632391")


def test_given_keys_with_one_match_then_that_person_is_rung(flow):
    run, acts = pressed(flow, "2")
    assert acts[-1].prompt == "p" and acts[-1].max_digits == 10
    acts = run.handle(a.DigitsReceived("35"), TUESDAY_10)
    assert acts == [a.LookupByName("35", 6)]
    acts = run.handle(a.NamesFound((ANNA,)), TUESDAY_10)
    assert acts == [a.Dial("PJSIP/4711", 20, "extension")]
    assert run.state.callee == ANNA


def test_given_two_matches_then_names_are_said_and_caller_picks_second(flow):
    run, _ = pressed(flow, "2")
    run.handle(a.DigitsReceived("35"), TUESDAY_10)
    acts = run.handle(a.NamesFound((ANNA, BO)), TUESDAY_10)
    assert acts == [a.Say("För Anna Ek, tryck 1. För Bo Ek, tryck 2.", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert acts == [a.Collect("choose", "sv", 1, 6.0, "by_name")]
    state = CallState.from_dict(json.loads(json.dumps(run.state.to_dict())))
    run = FlowRun.restore(flow, GROUPS, state)
    acts = run.handle(a.DigitsReceived("2"), TUESDAY_10)
    assert acts == [a.Dial("PJSIP/4712", 20, "extension")]


def test_given_no_match_then_sorry_and_asked_again(flow):
    run, _ = pressed(flow, "2")
    run.handle(a.DigitsReceived("35"), TUESDAY_10)
    assert run.handle(a.NamesFound(()), TUESDAY_10) == [a.Play("sorry", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert isinstance(acts[-1], a.Collect) and acts[-1].prompt == "p"


def test_given_absent_person_then_note_is_said_and_colleague_looked_up(flow):
    run, _ = pressed(flow, "2")
    run.handle(a.DigitsReceived("35"), TUESDAY_10)
    acts = run.handle(a.NamesFound((ANNA,), (LUNCH,)), TUESDAY_10)
    assert acts == [a.NoteAttempt("Anna Ek", "Anna Ek", "ABSENT",
                                  "lunch -> 2026-11-24T13:00+01:00"),
                    a.Say("Anna Ek är på lunch till klockan 13:00 den 24 november. "
                          "Du kopplas till en kollega.", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert acts == [a.LookupExtension("4712")]
    assert "forward:colleague" in run.state.path


def test_given_announcement_on_then_said_before_next_node(flow):
    run, acts = pressed(flow, "3")
    assert acts == [a.CheckAnnouncement("storm", "sv")]
    assert run.handle(a.AnnouncementResolved("Storm!"), TUESDAY_10) == [a.Say("Storm!", "sv")]
    assert isinstance(run.handle(a.PlaybackFinished(), TUESDAY_10)[-1], a.Dial)


def test_given_announcement_off_then_straight_to_next_node(flow):
    run, _ = pressed(flow, "3")
    assert isinstance(run.handle(a.AnnouncementResolved(None), TUESDAY_10)[-1], a.Dial)
    assert "announcement:off" in run.state.path


@pytest.mark.parametrize(("now", "window", "action"), [
    (TUESDAY_10, "window:day", a.Enqueue),
    (TUESDAY_20, "window:evening", a.Play),
    (SUNDAY_03, "window:none", a.Play),
])
def test_time_switch_takes_the_open_window_or_otherwise(flow, now, window, action):
    run, acts = pressed(flow, "4", now)
    assert window in run.state.path and isinstance(acts[-1], action)


def test_given_enqueue_then_requirements_are_filled_in_and_run_ends(flow):
    run, acts = pressed(flow, "5")
    assert acts == [a.Enqueue("kontaktcenter", (("topic", "bygglov"), ("lang", "sv")), 5)]
    assert acts[0].requirements_text() == "topic=bygglov;lang=sv"
    assert run.state.done


def test_given_callback_accepted_then_confirmed_and_booked(flow):
    run, acts = pressed(flow, "6")
    assert run.handle(a.DigitsReceived("1"), TUESDAY_10) == [a.Play("thanks", "sv")]
    acts = run.handle(a.PlaybackFinished(), TUESDAY_10)
    assert acts == [a.RequestCallback("kontaktcenter", (("topic", "skola"),), 0)]
    assert run.state.done


def test_given_callback_declined_by_silence_then_decline_node(flow):
    run, _ = pressed(flow, "6")
    assert isinstance(run.handle(a.NoInput(), TUESDAY_10)[-1], a.Dial)
    assert "callback:declined" in run.state.path


def test_voicemail_plays_prompt_records_then_next(flow):
    run, acts = pressed(flow, "7")
    assert acts == [a.Play("p", "sv")]
    assert run.handle(a.PlaybackFinished(), TUESDAY_10) == [a.Record("bygglov/c1", 120)]
    assert run.handle(a.RecordingFinished(12.0), TUESDAY_10) == [a.Play("thanks", "sv")]


def test_goto_flow_switches_flow_and_version(flow):
    other = parse_flow(OTHER, "other.yaml")
    run, acts = pressed(flow, "8")
    assert acts == [a.SwitchFlow("other")]
    assert run.handle(a.FlowFound(other), TUESDAY_10) == [a.Hangup()]
    assert (run.state.flow, run.state.version) == ("other", other.version)


def test_transfer_to_unit_enqueues_for_the_unit_and_to_number_dials_out(flow):
    _, acts = pressed(flow, "9")
    assert acts == [a.Enqueue("unit", (("unit", "u-bygglov"), ("lang", "sv")), 0)]
    _, acts = pressed(flow, "0")
    assert acts == [a.Dial("Local/0850800000@vaxel-outbound", 30, "number 0850800000")]


@pytest.mark.parametrize(("change", "message"), [
    (("validate: personnummer", "validate: iban"), "nodes.pnr.validate: must be one of"),
    (("flow: other", "node: start\n    flow: other"), "exactly one of 'node' or 'flow'"),
    (('number: "0850800000"', 'number: "08-50800000"'), "an external number is digits"),
    (("requirements: {topic: skola}", "requirements: [skola]"), "expected key=value pairs"),
    (("next: message}", "nxt: message}"), "nodes.shifts.windows.evening.nxt: unknown field"),
])
def test_given_bad_field_of_a_new_kind_then_error_names_it(change, message):
    with pytest.raises(FlowFileError) as info:
        parse_flow(FLOW.replace(*change), "kinds.yaml")
    assert any(message in str(p) and str(p).startswith("kinds.yaml:") for p in info.value.problems)

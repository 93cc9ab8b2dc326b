"""The shipped city-number flow, simulated: hours and holidays, topics, people, announcements."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from infra.paths import repo_root
from ivr import actions as a
from ivr.fakes import DictDirectory
from ivr.flow import read_folder
from ivr.flowset import load_set, parse_set
from ivr.lint import check_files
from ivr.simulate import simulate

STHLM = ZoneInfo("Europe/Stockholm")
FOLDER = repo_root() / "dialplans"
ANNA = a.Callee("e4711", "Anna Ekström", "PJSIP/4711", "u-bygglov")
BJORN = a.Callee("e4712", "Björn Öberg", "PJSIP/4712", "u-bygglov")
EVA = a.Callee("e4713", "Eva Ek", "PJSIP/4713", "u-bygglov")
LEAVE = a.Absence("leave", "2027-03-01T00:00+01:00", "Föräldraledig.", "colleague", "4712")
LUNCH = a.Absence("lunch", "2026-11-24T13:00+01:00", "", "none", None)
DIRECTORY = DictDirectory({"4711": ANNA, "4712": BJORN, "4713": EVA},
                          {"4711": LEAVE, "4713": LUNCH})
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=STHLM)


@pytest.fixture(scope="module")
def city():
    return load_set(FOLDER)


def call(city, keys, at=TUESDAY_10, **kw):
    return simulate(city, "4000", keys, at, directory=DIRECTORY, **kw)


@pytest.mark.parametrize(("at", "open_"), [
    ("2026-12-23T10:00", True),     # an ordinary Wednesday
    ("2026-12-24T10:00", False),    # julafton: closed by exception
    ("2026-12-25T10:00", False),    # juldagen
    ("2026-12-31T09:00", False),    # nyårsafton
    ("2027-01-05T12:00", True),     # trettondagsafton: eve hours 08-13
    ("2027-01-05T14:00", False),
    ("2027-01-06T10:00", False),    # trettondedag jul
    ("2027-06-25T10:00", False),    # midsommarafton
    ("2026-11-28T10:00", False),    # a Saturday
])
def test_opening_hours_and_holidays(city, at, open_):
    result = call(city, ["#", "0"], datetime.fromisoformat(at).replace(tzinfo=STHLM))
    assert result.destination == ("group operators (<group operators>)" if open_ else "hang up")
    assert ("closed" in result.state.path) is not open_


GOODBYE_SV = ("Om det gäller liv eller hälsa, ring 112. "
              "För socialjouren, ring 08 508 400 00. Hej då.")


@pytest.mark.parametrize(("at", "hours"), [
    # julafton (Thursday): closed all day by the flow's exception; juldagen, annandag jul and
    # the weekend follow, so the next opening is Monday.
    ("2026-12-24T10:00", "I dag är det julafton. Vi har stängt i dag. "
                         "Vi öppnar igen måndag den 28 december klockan 8."),
    # valborgsmässoafton (Thursday): eve hours 8-13; första maj (Friday) is a holiday.
    ("2026-04-30T14:00", "I dag är det valborgsmässoafton. I dag har vi öppet klockan 8 till 13. "
                         "Vi öppnar igen måndag den 4 maj klockan 8."),
    # trettondagsafton (Tuesday), before opening: today's short hours say when it opens.
    ("2027-01-05T07:00", "I dag är det trettondagsafton. I dag har vi öppet klockan 8 till 13."),
    # an ordinary Tuesday evening: weekly hours, open again tomorrow.
    ("2026-11-24T18:00", "I dag har vi öppet klockan 8 till 17. "
                         "Vi öppnar igen i morgon klockan 8."),
])
def test_given_closed_then_caller_hears_the_calendars_hours_then_emergency_and_goodbye(
        city, at, hours):
    result = call(city, ["#"], datetime.fromisoformat(at).replace(tzinfo=STHLM))
    assert result.heard[-3:] == ["Växeln är stängd just nu.", hours, GOODBYE_SV]
    assert result.destination == "hang up"


def test_given_english_on_an_eve_then_hours_in_english(city):
    result = call(city, ["9"], datetime(2026, 4, 30, 14, 0, tzinfo=STHLM))
    assert result.heard[-2] == ("Today is Walpurgis Night. Today we are open from 8 am to 1 pm. "
                                "We open again on Monday 4 May at 8 am.")


@pytest.mark.parametrize(("keys", "topic", "priority"), [
    (["#", "4", "1"], "skola", 0), (["#", "4", "2"], "aldreomsorg", 1),
    (["#", "4", "4"], "avfall_gator", 0), (["#", "4", "5"], "socialtjanst", 2),
    (["#", "4", "6"], "ovrigt", 0), (["#", "4", "3", "2"], "bygglov", 0),
])
def test_topics_enqueue_with_requirements(city, keys, topic, priority):
    result = call(city, keys)
    assert result.destination == f"queue kontaktcenter [topic={topic};lang=sv] priority {priority}"


def test_given_english_then_topic_requirement_says_english(city):
    result = call(city, ["9", "4", "5"])
    assert result.destination == "queue kontaktcenter [topic=socialtjanst;lang=en] priority 2"
    assert result.heard[-1].startswith("You are now in the queue.")


def test_given_building_permits_callback_accepted_then_booked_and_goodbye(city):
    result = call(city, ["#", "4", "3", "1"])
    assert result.destination == (
        "callback in queue kontaktcenter [topic=bygglov;lang=sv] priority 0")
    assert result.heard[-1].startswith("Tack. Vi ringer upp dig")


def test_key_two_still_rings_the_contact_center_group_and_zero_the_operators(city):
    assert call(city, ["#", "2"]).destination.startswith("group contact_center")
    assert call(city, ["#", "0"]).destination.startswith("group operators")


def test_given_name_keys_with_two_matches_then_caller_picks_one(city):
    result = call(city, ["#", "3", "35", "2"])
    assert "För Anna Ekström, tryck 1. För Eva Ek, tryck 2." in result.heard
    assert "person:e4713" in result.state.path


def test_given_absent_person_with_colleague_forward_then_note_said_and_colleague_rung(city):
    result = call(city, ["#", "1", "4711"])
    assert ("Anna Ekström är ledig till den 1 mars. Föräldraledig. "
            "Du kopplas till en kollega.") in result.heard
    assert "PJSIP/4712" in result.destination


def test_given_absent_person_without_forward_then_caller_can_leave_a_message(city):
    result = call(city, ["#", "1", "4713"])
    assert "Eva Ek är på lunch till klockan 13:00 den 24 november." in result.heard
    assert "message:recorded" in result.state.path and "message:taken" in result.state.path
    assert result.heard[-1] == "Tack för ditt meddelande. Hej då."


def test_given_unanswered_person_then_contact_center(city):
    result = call(city, ["#", "1", "4712"], dial_statuses=["NOANSWER"])
    assert result.destination.startswith("group contact_center")


def test_given_announcement_switched_on_then_caller_hears_it_before_the_menu(city):
    files = read_folder(FOLDER)
    files["announcements.yaml"] = files["announcements.yaml"].replace(
        "  driftinfo:\n    enabled: false", "  driftinfo:\n    enabled: true")
    switched_on = parse_set(files, "dp")
    result = call(switched_on, ["#", "0"])
    assert result.heard[2].startswith("Just nu har vi en driftstörning")
    assert result.heard[3].startswith("Om du vet anknytningen")
    assert not any(h.startswith("Just nu") for h in call(city, ["#", "0"]).heard)


def test_storm_announcement_is_on_only_inside_its_window(city):
    storm = replace(city.announcements["storm"], enabled=True)
    assert storm.is_on(datetime(2026, 12, 1, 12, 0, tzinfo=STHLM))
    assert not storm.is_on(datetime(2026, 12, 2, 18, 0, tzinfo=STHLM))


def test_shipped_dialplans_have_no_lint_errors():
    findings = check_files(read_folder(FOLDER), "dialplans", TUESDAY_10.date())
    assert [str(f) for f in findings if f.severity == "error"] == []


def test_given_old_sodermalm_number_then_every_way_to_the_operators_asks_for_the_district(city):
    """4100 marks the call with district=sodermalm; 0, a failed name search and no input
    at the main menu all reach the operators' group carrying that requirement."""
    for keys in (["#", "0"], ["#", "3", "99", "99", "99"], ["#", "#", "#", "#"]):
        result = simulate(city, "4100", keys, TUESDAY_10, directory=DIRECTORY)
        assert result.destination.startswith("group operators"), keys
        assert result.destination.endswith("[district=sodermalm]"), keys
        assert "set:district=sodermalm" in result.state.path


def test_given_the_city_number_then_the_operators_get_no_district_requirement(city):
    result = call(city, ["#", "0"])
    assert "[" not in result.destination and "district" not in result.state.variables

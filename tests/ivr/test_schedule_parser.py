"""Opening hours as written: parsing a schedule's YAML form and reporting every problem in it."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml

from ivr.schedule_parser import ScheduleError, parse_schedule
from ivr.timeconditions import is_open
from tests.ivr.test_timeconditions import WHERE, local


def test_schedule_parses_from_yaml_with_unquoted_dates() -> None:
    text = """
weekly:
  mon-thu: ["08:00-16:30"]
  fri: ["08:00-15:00"]
eves: closed
exceptions:
  - {from: 2026-07-06, to: 2026-08-07, hours: ["09:00-12:00"], reason: sommartider}
"""
    schedule = parse_schedule(yaml.safe_load(text), WHERE)
    assert is_open(schedule, local(2026, 7, 10, 11, 0))
    assert not is_open(schedule, local(2026, 7, 10, 13, 0))
    assert not is_open(schedule, local(2026, 4, 30, 9, 0))  # valborgsmässoafton, closed
    assert repr(schedule) == (
        "<Schedule mon-thu 08:00-16:30; fri 08:00-15:00; sat-sun closed; "
        "holidays closed; eves closed; 1 exceptions>"
    )


def test_weekday_lists_and_ranges_combine() -> None:
    schedule = parse_schedule({"weekly": {"mon-tue,thu": ["08:00-09:00"], "sat": "closed"}}, WHERE)
    opened = [hours != () for hours in schedule.weekly]
    assert opened == [True, True, False, True, False, False, False]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"weekly": {"mon": ["08:00-12:00", "11:00-13:00"]}},
            "weekly.mon: intervals 08:00-12:00 and 11:00-13:00 overlap",
        ),
        (
            {"weekly": {"mon": ["17:00-08:00"]}},
            "weekly.mon[0]: '17:00-08:00' ends before it starts",
        ),
        (
            {"weekly": {"mon": ["08:00-08:00"]}},
            "weekly.mon[0]: '08:00-08:00' ends before it starts",
        ),
        ({"weekly": {"mon": ["08:00-24:30"]}}, "weekly.mon[0]: '08:00-24:30' is not a time of day"),
        ({"weekly": {"mon": ["8-17"]}}, "weekly.mon[0]: expected an interval like 08:00-17:00"),
        ({"weekly": {"mon": "08:00-17:00"}}, "weekly.mon: expected a list of HH:MM-HH:MM"),
        ({"weekly": {"monday": []}}, "weekly.monday: 'monday' is not a weekday"),
        ({"weekly": {"sun-mon": []}}, "weekly.sun-mon: range 'sun-mon' runs backwards"),
        (
            {"weekly": {"mon-fri": [], "fri": ["08:00-12:00"]}},
            "weekly.fri: fri is already given by 'mon-fri'",
        ),
        ({"weekly": {}, "eves": "half"}, "eves: expected a list of HH:MM-HH:MM intervals or"),
        ({"weekly": {}, "weeky": {}}, "weeky: unknown key"),
        ({"holidays": "closed"}, "weekly: missing"),
        (
            {"weekly": {}, "exceptions": [{"date": "2026-12-24", "hours": "closed"}]},
            "exceptions[0].reason: missing",
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "2026-12-24", "reason": "x"}]},
            "exceptions[0].hours: missing",
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "24/12", "hours": "closed", "reason": "x"}]},
            "exceptions[0].date: expected a date like 2026-12-24, got '24/12'",
        ),
        (
            {
                "weekly": {},
                "exceptions": [
                    {"date": datetime(2026, 12, 24, 10), "hours": "closed", "reason": "x"}
                ],
            },
            "exceptions[0].date: expected a date",
        ),
        (
            {
                "weekly": {},
                "exceptions": [
                    {"from": "2026-12-30", "to": "2026-12-20", "hours": "closed", "reason": "x"}
                ],
            },
            "exceptions[0].to: 2026-12-20 is before from 2026-12-30",
        ),
        (
            {
                "weekly": {},
                "exceptions": [
                    {"from": "2026-12-20", "to": "2026-12-31", "hours": "closed", "reason": "jul"},
                    {"date": "2026-12-24", "hours": ["09:00-10:00"], "reason": "extra"},
                ],
            },
            "exceptions[1]: dates 2026-12-24 (extra) overlap exceptions[0]",
        ),
        ({"weekly": {}, "exceptions": {"date": "2026-12-24"}}, "exceptions: expected a list"),
        (["mon-fri"], "(schedule): expected a mapping, got list"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_schedule_is_rejected_naming_where_and_key(data, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(data, WHERE)
    assert f"{WHERE}: {message}" in str(caught.value)


def test_every_problem_of_a_schedule_is_reported_at_once() -> None:
    data = {
        "weekly": {"mon": ["17:00-08:00"], "xyz": []},
        "eves": 5,
        "exceptions": [{"date": "nope", "hours": "closed", "reason": "x"}],
    }
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(data, WHERE)
    keys = [problem.key for problem in caught.value.problems]
    assert keys == ["weekly.mon[0]", "weekly.xyz", "eves", "exceptions[0].date"]
    assert caught.value.where == WHERE


def test_given_named_eves_then_julafton_is_closed_every_year_and_other_eves_short() -> None:
    """The city's own rule for julafton, nyårsafton and midsommarafton, without dated
    exceptions to renew each year."""
    from datetime import date as day

    from ivr.timeconditions import Basis, hours_on

    schedule = parse_schedule({"weekly": {"mon-fri": ["08:00-17:00"]}, "eves": {
        "default": ["08:00-13:00"], "julafton": "closed", "midsommarafton": "closed"}}, "f:1")
    for year in (2026, 2031, 2044):
        plan = hours_on(schedule, day(year, 12, 24))
        assert plan.basis is Basis.EVE and plan.hours == ()
    assert str(hours_on(schedule, day(2026, 4, 30)).hours[0]) == "08:00-13:00"
    assert hours_on(schedule, day(2031, 6, 20)).hours == ()   # midsommarafton 2031


def test_given_an_eve_name_that_is_no_eve_then_the_key_is_named() -> None:
    with pytest.raises(ScheduleError, match=r"eves.julaftonn: not an eve"):
        parse_schedule({"weekly": {"mon-fri": ["08:00-17:00"]},
                        "eves": {"julaftonn": "closed"}}, "f:1")

"""Opening hours: weekly hours, holidays, eves, exceptions, explanations and next changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.schedule_parser import parse_schedule
from ivr.timeconditions import (
    Basis,
    Interval,
    explain,
    gaps_and_overlaps,
    hours_on,
    is_open,
    next_change,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WHERE = "dialplans/city-main.yaml:12 (hours)"

OFFICE = {
    "weekly": {"mon-fri": ["08:00-12:00", "13:00-17:00"]},
    "holidays": "closed",
    "eves": ["08:00-13:00"],
    "exceptions": [
        {"date": "2026-12-19", "hours": ["10:00-14:00"], "reason": "julöppet lördag"},
        {"from": "2026-12-28", "to": "2026-12-30", "hours": "closed", "reason": "inventering"},
        {"date": "2026-12-25", "hours": "normal", "reason": "jourdag juldagen"},
    ],
}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)  # type: ignore[misc]


@pytest.fixture
def office():
    return parse_schedule(OFFICE, WHERE)


# --- deciding open or closed -----------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(2026, 11, 30, 7, 59), False),  # Monday before opening
        (local(2026, 11, 30, 8, 0), True),  # opening minute is open
        (local(2026, 11, 30, 12, 0), False),  # lunch: an interval's end is closed
        (local(2026, 11, 30, 12, 59), False),
        (local(2026, 11, 30, 13, 0), True),
        (local(2026, 11, 30, 16, 59), True),
        (local(2026, 11, 30, 17, 0), False),
        (local(2026, 12, 5, 10, 0), False),  # Saturday
        (local(2026, 12, 6, 10, 0), False),  # Sunday
    ],
    ids=str,
)
def test_weekly_hours_decide_an_ordinary_week(office, at: datetime, expected: bool) -> None:
    assert is_open(office, at) is expected


def test_instant_in_utc_is_judged_on_the_stockholm_wall_clock(office) -> None:
    """07:30Z is 08:30 in winter (+01:00) but 09:30 in summer (+02:00); 06:30Z only in summer."""
    assert is_open(office, datetime(2026, 11, 30, 7, 30, tzinfo=UTC))
    assert not is_open(office, datetime(2026, 11, 30, 6, 30, tzinfo=UTC))
    assert is_open(office, datetime(2026, 6, 1, 6, 30, tzinfo=UTC))


def test_naive_datetime_is_rejected_rather_than_guessed(office) -> None:
    with pytest.raises(ValueError, match="aware"):
        is_open(office, datetime(2026, 11, 30, 10, 0))


def test_public_holiday_is_closed_by_default_on_a_weekday() -> None:
    schedule = parse_schedule({"weekly": {"mon-fri": ["08:00-17:00"]}}, WHERE)
    assert not is_open(schedule, local(2026, 4, 6, 10, 0))  # annandag påsk, a Monday
    assert is_open(schedule, local(2026, 4, 7, 10, 0))


def test_holiday_rule_normal_keeps_the_weekly_hours() -> None:
    schedule = parse_schedule({"weekly": {"mon-fri": ["08:00-17:00"]}, "holidays": "normal"}, WHERE)
    assert is_open(schedule, local(2026, 5, 14, 10, 0))  # Kristi himmelsfärdsdag, a Thursday


def test_eve_with_reduced_hours_closes_early(office) -> None:
    assert is_open(office, local(2026, 12, 24, 12, 30))  # julafton, a Thursday
    assert not is_open(office, local(2026, 12, 24, 13, 0))
    assert not is_open(office, local(2026, 6, 19, 14, 0))  # midsommarafton


def test_given_eve_on_a_weekday_closed_weekly_then_reduced_hours_do_not_open_it(office) -> None:
    """Julafton 2022 was a Saturday: eve hours shorten an open day, they never open a closed one."""
    plan = hours_on(office, date(2022, 12, 24))
    assert plan.hours == ()
    assert plan.basis is Basis.EVE and plan.closed_by_weekly
    assert not is_open(office, local(2022, 12, 24, 10, 0))


def test_holiday_rule_wins_over_the_eve_rule_on_the_same_date() -> None:
    """In 2071 pingstafton falls on nationaldagen (6 June): the holiday rule decides."""
    schedule = parse_schedule(
        {"weekly": {"mon-sun": ["08:00-17:00"]}, "holidays": "closed", "eves": ["08:00-13:00"]},
        WHERE,
    )
    plan = hours_on(schedule, date(2071, 6, 6))
    assert (plan.basis, plan.occasion, plan.hours) == (Basis.HOLIDAY, "nationaldagen", ())


def test_exception_hours_open_a_day_the_weekly_hours_keep_closed(office) -> None:
    assert is_open(office, local(2026, 12, 19, 11, 0))  # a Saturday
    assert not is_open(office, local(2026, 12, 19, 14, 0))


def test_exception_wins_over_the_holiday_rule(office) -> None:
    assert is_open(office, local(2026, 12, 25, 9, 0))  # juldagen, a Friday, "normal" exception
    assert not is_open(office, local(2026, 12, 25, 12, 30))  # the weekly lunch still applies


def test_exception_range_covers_its_first_and_last_day(office) -> None:
    for day in (28, 29, 30):
        assert not is_open(office, local(2026, 12, day, 10, 0)), day
    assert is_open(office, local(2026, 12, 31, 10, 0))  # nyårsafton, eve hours


def test_interval_may_end_at_midnight_written_24_00() -> None:
    schedule = parse_schedule({"weekly": {"fri": ["20:00-24:00"]}}, WHERE)
    assert is_open(schedule, local(2026, 11, 27, 23, 59))
    assert not is_open(schedule, local(2026, 11, 28, 0, 0))


# --- explaining -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "text"),
    [
        (
            local(2026, 11, 30, 12, 30),
            "stängt 2026-11-30 12:30: veckoschema måndag: 08:00-12:00, 13:00-17:00"
            " / closed: weekly hours Monday: 08:00-12:00, 13:00-17:00",
        ),
        (
            local(2026, 12, 24, 10, 0),
            "öppet 2026-12-24 10:00: afton julafton: 08:00-13:00 / open: eve julafton: 08:00-13:00",
        ),
        (
            local(2026, 12, 26, 10, 0),
            "stängt 2026-12-26 10:00: helgdag annandag jul: stängt"
            " / closed: public holiday annandag jul: closed",
        ),
        (
            local(2026, 12, 29, 10, 0),
            "stängt 2026-12-29 10:00: undantag 2026-12-28..2026-12-30 (inventering): stängt"
            " / closed: exception 2026-12-28..2026-12-30 (inventering): closed",
        ),
        (
            datetime(2022, 12, 24, 9, 0, tzinfo=UTC),
            "stängt 2022-12-24 10:00: afton julafton: stängt (veckoschemat håller lördag stängt)"
            " / closed: eve julafton: closed (the weekly hours keep Saturday closed)",
        ),
    ],
    ids=["weekly", "eve", "holiday", "exception", "eve-on-closed-day"],
)
def test_explain_names_the_rule_that_decided(office, at: datetime, text: str) -> None:
    assert explain(office, at) == text


# --- next change ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(2026, 11, 30, 9, 0), local(2026, 11, 30, 12, 0)),  # open -> lunch
        (local(2026, 11, 30, 12, 0), local(2026, 11, 30, 13, 0)),  # exactly at a change
        (local(2026, 12, 4, 17, 0), local(2026, 12, 7, 8, 0)),  # Friday evening -> Monday
        (local(2026, 12, 24, 13, 0), local(2026, 12, 25, 8, 0)),  # julafton -> jour exception
        (local(2026, 12, 25, 17, 0), local(2026, 12, 31, 8, 0)),  # past the closed range
        (local(2026, 12, 18, 17, 0), local(2026, 12, 19, 10, 0)),  # into a Saturday exception
    ],
    ids=str,
)
def test_next_change_finds_the_next_flip(office, at: datetime, expected: datetime) -> None:
    assert next_change(office, at) == expected


def test_next_change_joins_an_interval_ending_24_00_with_the_next_day_starting_00_00() -> None:
    schedule = parse_schedule(
        {"weekly": {"mon-sat": ["00:00-24:00"], "sun": ["00:00-12:00"]}, "holidays": "normal"},
        WHERE,
    )
    assert next_change(schedule, local(2026, 11, 30, 10, 0)) == local(2026, 12, 6, 12, 0)


@pytest.mark.parametrize(
    "data",
    [
        {"weekly": {"mon-sun": ["00:00-24:00"]}, "holidays": "normal"},
        {"weekly": {}},
    ],
    ids=["always-open", "always-closed"],
)
def test_next_change_is_none_when_nothing_ever_changes(data) -> None:
    assert next_change(parse_schedule(data, WHERE), local(2026, 11, 30, 10, 0)) is None


def test_next_change_skips_wall_times_that_the_spring_dst_switch_removes() -> None:
    """On 2026-03-29 clocks jump from 02:00 to 03:00: 02:00-02:30 never happens."""
    schedule = parse_schedule({"weekly": {"sun": ["02:00-02:30", "04:00-05:00"]}}, WHERE)
    change = next_change(schedule, local(2026, 3, 29, 0, 0))
    assert change == local(2026, 3, 29, 4, 0)
    assert change is not None and change.utcoffset() == timedelta(hours=2)


def test_next_change_in_the_autumn_dst_switch_is_the_first_02_30() -> None:
    """On 2026-10-25 02:00-03:00 happens twice; closing at 02:30 closes the first time."""
    schedule = parse_schedule({"weekly": {"sat": ["20:00-24:00"], "sun": ["00:00-02:30"]}}, WHERE)
    change = next_change(schedule, local(2026, 10, 24, 22, 0))
    assert change is not None
    assert change.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(instants)
def test_next_change_is_the_first_minute_the_state_differs(at: datetime) -> None:
    schedule = parse_schedule(OFFICE, WHERE)
    at = at.replace(second=0, microsecond=0)
    change = next_change(schedule, at)
    assert change is not None
    assert is_open(schedule, change) is not is_open(schedule, at)
    assert is_open(schedule, change - timedelta(minutes=1)) is is_open(schedule, at)


# --- gaps and overlaps ----------------------------------------------------------------


def test_gaps_and_overlaps_between_windows_are_listed_per_day() -> None:
    windows = {
        "open": parse_schedule({"weekly": {"mon-fri": ["08:00-12:00", "13:00-17:00"]}}, WHERE),
        "lunch": parse_schedule({"weekly": {"mon-fri": ["11:30-13:00"]}}, WHERE),
        "closed": parse_schedule(
            {"weekly": {"mon-fri": ["00:00-08:00", "17:00-24:00"], "sat-sun": ["00:00-24:00"]}},
            WHERE,
        ),
    }
    monday, saturday = date(2026, 11, 30), date(2026, 12, 5)
    findings = gaps_and_overlaps(windows, [monday, saturday])
    assert [str(f) for f in findings] == ["2026-11-30 11:30-12:00: overlap (open, lunch)"]

    christmas = date(2026, 12, 25)  # a holiday closes every window that says nothing else
    findings = gaps_and_overlaps(windows, [christmas])
    assert [str(f) for f in findings] == ["2026-12-25 00:00-24:00: gap (no window open)"]

    all_day = {"mon-fri": ["00:00-08:00", "17:00-24:00"], "sat-sun": ["00:00-24:00"]}
    windows["closed"] = parse_schedule({"weekly": all_day, "holidays": ["00:00-24:00"]}, WHERE)
    assert gaps_and_overlaps(windows, [christmas]) == []


def test_interval_contains_its_start_but_not_its_end() -> None:
    interval = Interval(480, 1020)
    assert 480 in interval and 1019 in interval and 1020 not in interval
    assert repr(interval) == "Interval('08:00-17:00')"


@settings(max_examples=200, deadline=None)
@given(instants)
def test_explain_tells_the_same_state_as_is_open(at: datetime) -> None:
    schedule = parse_schedule(OFFICE, WHERE)
    assert explain(schedule, at).startswith("öppet" if is_open(schedule, at) else "stängt")


@pytest.mark.parametrize(
    "module", ["ivr/calendar.py", "ivr/timeconditions.py", "ivr/schedule_parser.py"]
)
def test_pure_core_imports_nothing_that_does_io_or_reads_the_clock(module: str) -> None:
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / module).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    forbidden = {"asyncio", "socket", "time", "os", "subprocess", "redis", "sqlalchemy", "pathlib"}
    assert imported & forbidden == set()
    assert "datetime.now" not in source and "date.today" not in source

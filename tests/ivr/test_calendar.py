"""The Swedish holiday calendar against published dates and calendar rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.calendar import (
    easter_sunday,
    eve_name,
    holiday_name,
    swedish_eves,
    swedish_holidays,
)

# Easter Sundays as published (Svenska kyrkan's almanac and the Gregorian tables).
KNOWN_EASTERS = [
    date(1818, 3, 22),  # the earliest possible date
    date(1943, 4, 25),  # the latest possible date
    date(2000, 4, 23),
    date(2008, 3, 23),
    date(2011, 4, 24),
    date(2019, 4, 21),
    date(2024, 3, 31),
    date(2025, 4, 20),
    date(2026, 4, 5),
    date(2027, 3, 28),
    date(2038, 4, 25),
]


@pytest.mark.parametrize("easter", KNOWN_EASTERS, ids=str)
def test_easter_sunday_matches_the_published_date(easter: date) -> None:
    assert easter_sunday(easter.year) == easter


def test_holidays_of_2026_are_the_thirteen_published_days() -> None:
    assert swedish_holidays(2026) == {
        date(2026, 1, 1): "nyårsdagen",
        date(2026, 1, 6): "trettondedag jul",
        date(2026, 4, 3): "långfredagen",
        date(2026, 4, 5): "påskdagen",
        date(2026, 4, 6): "annandag påsk",
        date(2026, 5, 1): "första maj",
        date(2026, 5, 14): "Kristi himmelsfärdsdag",
        date(2026, 5, 24): "pingstdagen",
        date(2026, 6, 6): "nationaldagen",
        date(2026, 6, 20): "midsommardagen",
        date(2026, 10, 31): "alla helgons dag",
        date(2026, 12, 25): "juldagen",
        date(2026, 12, 26): "annandag jul",
    }


def test_eves_of_2026_are_the_nine_published_days() -> None:
    assert swedish_eves(2026) == {
        date(2026, 1, 5): "trettondagsafton",
        date(2026, 4, 2): "skärtorsdag",
        date(2026, 4, 4): "påskafton",
        date(2026, 4, 30): "valborgsmässoafton",
        date(2026, 5, 23): "pingstafton",
        date(2026, 6, 19): "midsommarafton",
        date(2026, 10, 30): "allhelgonaafton",
        date(2026, 12, 24): "julafton",
        date(2026, 12, 31): "nyårsafton",
    }


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2024, 3, 29), "långfredagen"),
        (date(2024, 4, 1), "annandag påsk"),
        (date(2024, 5, 9), "Kristi himmelsfärdsdag"),
        (date(2024, 5, 19), "pingstdagen"),
        (date(2024, 6, 22), "midsommardagen"),
        (date(2024, 11, 2), "alla helgons dag"),
        (date(2025, 4, 18), "långfredagen"),
        (date(2025, 5, 29), "Kristi himmelsfärdsdag"),
        (date(2025, 6, 8), "pingstdagen"),
        (date(2025, 6, 21), "midsommardagen"),
        (date(2025, 11, 1), "alla helgons dag"),
        (date(2027, 3, 26), "långfredagen"),
        (date(2027, 5, 6), "Kristi himmelsfärdsdag"),
        (date(2027, 5, 16), "pingstdagen"),
        (date(2027, 6, 26), "midsommardagen"),  # the last day of its window
        (date(2027, 11, 6), "alla helgons dag"),  # the last day of its window
    ],
    ids=str,
)
def test_moving_holiday_falls_on_the_published_date(day: date, name: str) -> None:
    assert holiday_name(day) == name


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2024, 6, 21), "midsommarafton"),
        (date(2025, 6, 20), "midsommarafton"),
        (date(2026, 6, 19), "midsommarafton"),  # the first day of its window
        (date(2027, 6, 25), "midsommarafton"),  # the last day of its window
        (date(2025, 4, 17), "skärtorsdag"),
        (date(2027, 3, 27), "påskafton"),
        (date(2025, 10, 31), "allhelgonaafton"),
        (date(2027, 11, 5), "allhelgonaafton"),
    ],
    ids=str,
)
def test_moving_eve_falls_on_the_published_date(day: date, name: str) -> None:
    assert eve_name(day) == name


def test_ordinary_days_are_neither_holiday_nor_eve() -> None:
    assert holiday_name(date(2026, 12, 23)) is None
    assert eve_name(date(2026, 12, 25)) is None


def test_given_two_holidays_on_one_date_then_the_date_carries_both_names() -> None:
    """In 2008 Ascension Day fell on May Day; neither name may be lost."""
    holidays = swedish_holidays(2008)
    assert holidays[date(2008, 5, 1)] == "första maj och Kristi himmelsfärdsdag"
    assert len(holidays) == 12


def test_returned_dict_is_a_copy_the_caller_may_change() -> None:
    swedish_holidays(2026).clear()
    assert len(swedish_holidays(2026)) == 13


def test_year_outside_the_gregorian_range_is_rejected_with_the_year() -> None:
    with pytest.raises(ValueError, match="20266"):
        swedish_holidays(20266)


years = st.integers(min_value=1753, max_value=9999)


@given(years)
def test_easter_is_a_sunday_between_march_22_and_april_25(year: int) -> None:
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert date(year, 3, 22) <= easter <= date(year, 4, 25)


@given(years)
def test_midsummer_and_all_saints_are_saturdays_in_their_windows(year: int) -> None:
    by_name = {name: day for day, name in swedish_holidays(year).items()}
    assert by_name["midsommardagen"].weekday() == 5
    assert date(year, 6, 20) <= by_name["midsommardagen"] <= date(year, 6, 26)
    assert by_name["alla helgons dag"].weekday() == 5
    assert date(year, 10, 31) <= by_name["alla helgons dag"] <= date(year, 11, 6)


@given(years)
def test_each_moving_eve_is_the_day_before_its_holiday(year: int) -> None:
    eves = {name: day for day, name in swedish_eves(year).items()}
    holidays = swedish_holidays(year)
    one = timedelta(days=1)
    assert "påskdagen" in holidays[eves["påskafton"] + one]
    assert "pingstdagen" in holidays[eves["pingstafton"] + one]
    assert "midsommardagen" in holidays[eves["midsommarafton"] + one]
    assert "alla helgons dag" in holidays[eves["allhelgonaafton"] + one]
    assert eves["skärtorsdag"].weekday() == 3

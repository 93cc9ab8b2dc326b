"""The Swedish holidays and eves of 2000-2100 agree with the independent `holidays` package."""

from __future__ import annotations

import holidays
import pytest

from ivr.calendar import swedish_eves, swedish_holidays

YEARS = range(2000, 2101)
#: Days the package lists among its optional/de facto days that are not eves: bridge days.
NOT_EVES = ("Klämdag",)


@pytest.fixture(scope="module")
def package_public():
    return holidays.Sweden(years=YEARS, include_sundays=False, language="sv")


@pytest.fixture(scope="module")
def package_eves():
    days = holidays.Sweden(years=YEARS, include_sundays=False, language="sv",
                           categories=("de_facto", "optional"))
    return {day for day, name in days.items() if not name.startswith(NOT_EVES)}


def test_public_holidays_2000_to_2100_are_the_packages(package_public):
    ours = {day for year in YEARS for day in swedish_holidays(year)}
    assert sorted(ours ^ set(package_public)) == []


def test_eves_2000_to_2100_are_the_packages(package_eves):
    ours = {day for year in YEARS for day in swedish_eves(year)}
    assert sorted(ours ^ package_eves) == []

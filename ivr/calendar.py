"""Swedish public holidays and eves, computed per year.

Pure functions of the year: no clock, no files, no locale. Names are the Swedish
ones an operator reads (lower case, as written in running text: "juldagen",
"Kristi himmelsfärdsdag"). Holidays are the public holidays of the Swedish law on
general holidays (lag 1989:253); eves are the days before them that employers
usually treat as half days or free days ("aftnar"). Easter follows the anonymous
Gregorian algorithm (Meeus/Jones/Butcher), valid for every Gregorian year.
Until 2004 annandag pingst was a holiday and nationaldagen was not (SFS 2004:1324).
When two holidays fall on the same date (första maj and Kristi himmelsfärdsdag in
2008), the date carries both names joined by " och ", so no day is lost.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final

#: The first year the calendar is computed for (the Gregorian calendar in Sweden).
FIRST_YEAR: Final = 1753
#: The last year accepted; a bound that keeps a typo like 20266 from looping.
LAST_YEAR: Final = 9999
#: The first year nationaldagen (6 June) is a public holiday, replacing annandag pingst.
NATIONAL_DAY_FROM: Final = 2005
#: The eves by name, in calendar order (as a schedule names them: ``julafton: closed``).
EVE_NAMES: Final = ("trettondagsafton", "skärtorsdag", "påskafton", "valborgsmässoafton",
                    "pingstafton", "midsommarafton", "allhelgonaafton", "julafton", "nyårsafton")
#: What joins two names that fall on the same date.
NAME_JOINER: Final = " och "


def easter_sunday(year: int) -> date:
    """Easter Sunday of `year` (anonymous Gregorian algorithm)."""
    _check_year(year)
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def swedish_holidays(year: int) -> dict[date, str]:
    """The Swedish public holidays (helgdagar) of `year`, date -> Swedish name, by date."""
    return dict(_holidays(year))


def swedish_eves(year: int) -> dict[date, str]:
    """The eves (aftnar) of `year`, date -> Swedish name, by date."""
    return dict(_eves(year))


def holiday_name(day: date) -> str | None:
    """The holiday's Swedish name when `day` is a public holiday, else None."""
    return _holidays(day.year).get(day)


def eve_name(day: date) -> str | None:
    """The eve's Swedish name when `day` is an eve, else None."""
    return _eves(day.year).get(day)


@lru_cache(maxsize=64)
def _holidays(year: int) -> MappingProxyType[date, str]:
    easter = easter_sunday(year)
    days = [
        (date(year, 1, 1), "nyårsdagen"),
        (date(year, 1, 6), "trettondedag jul"),
        (easter - timedelta(days=2), "långfredagen"),
        (easter, "påskdagen"),
        (easter + timedelta(days=1), "annandag påsk"),
        (date(year, 5, 1), "första maj"),
        (easter + timedelta(days=39), "Kristi himmelsfärdsdag"),
        (easter + timedelta(days=49), "pingstdagen"),
        (_saturday_from(date(year, 6, 20)), "midsommardagen"),
        (_saturday_from(date(year, 10, 31)), "alla helgons dag"),
        (date(year, 12, 25), "juldagen"),
        (date(year, 12, 26), "annandag jul"),
    ]
    # SFS 2004:1324: from 2005 nationaldagen is a public holiday and annandag pingst is not.
    if year >= NATIONAL_DAY_FROM:
        days.append((date(year, 6, 6), "nationaldagen"))
    else:
        days.append((easter + timedelta(days=50), "annandag pingst"))
    return _by_date(days)


@lru_cache(maxsize=64)
def _eves(year: int) -> MappingProxyType[date, str]:
    easter = easter_sunday(year)
    all_saints = _saturday_from(date(year, 10, 31))
    days = [
        (date(year, 1, 5), "trettondagsafton"),
        (easter - timedelta(days=3), "skärtorsdag"),
        (easter - timedelta(days=1), "påskafton"),
        (date(year, 4, 30), "valborgsmässoafton"),
        (easter + timedelta(days=48), "pingstafton"),
        (_saturday_from(date(year, 6, 20)) - timedelta(days=1), "midsommarafton"),
        (all_saints - timedelta(days=1), "allhelgonaafton"),
        (date(year, 12, 24), "julafton"),
        (date(year, 12, 31), "nyårsafton"),
    ]
    return _by_date(days)


def _saturday_from(first: date) -> date:
    """The first Saturday on or after `first`."""
    return first + timedelta(days=(5 - first.weekday()) % 7)


def _by_date(days: list[tuple[date, str]]) -> MappingProxyType[date, str]:
    names: dict[date, str] = {}
    for day, name in sorted(days, key=lambda pair: pair[0]):
        names[day] = f"{names[day]}{NAME_JOINER}{name}" if day in names else name
    return MappingProxyType(names)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}..{LAST_YEAR}")

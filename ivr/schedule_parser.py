"""Opening hours as written in a flow file: the YAML form of a `Schedule` and its errors.

`parse_schedule` turns the mapping under ``schedule:`` (weekly hours by weekday or
range of weekdays, ``holidays``, ``eves``, dated ``exceptions``) into the frozen
`ivr.timeconditions.Schedule`. It reports every problem of a schedule at once, each
with its key path (``weekly.mon-fri[1]``), in one `ScheduleError`, and builds nothing
when there is one. Intervals are ``HH:MM-HH:MM`` with ``24:00`` allowed as an end and
never crossing midnight; weekdays are written Monday first. Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from ivr.calendar import EVE_NAMES
from ivr.timeconditions import (
    CLOSED,
    WEEKDAYS,
    DateException,
    DayRule,
    Interval,
    RuleKind,
    Schedule,
)

_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_SCHEDULE_KEYS: Final = frozenset({"weekly", "holidays", "eves", "exceptions"})
_EXCEPTION_KEYS: Final = frozenset({"date", "from", "to", "hours", "reason"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a schedule: the key path inside it and what is wrong."""

    key: str
    message: str


class ScheduleError(ValueError):
    """A schedule that cannot be used; lists every problem with the place it was found."""

    def __init__(self, where: str, problems: Sequence[Problem]) -> None:
        self.where = where
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{where}: {p.key}: {p.message}" for p in self.problems))


def parse_schedule(data: object, where: str) -> Schedule:
    """Build a Schedule from its YAML form; `where` names the place (file:line) for errors.

    Raises ScheduleError listing every problem with its key path (`weekly.mon-fri[1]`).
    """
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise ScheduleError(
            where, [Problem("(schedule)", f"expected a mapping, got {_kind(data)}")]
        )
    for key in sorted(set(map(str, data)) - _SCHEDULE_KEYS):
        problems.append(Problem(key, f"unknown key; expected one of {_names(_SCHEDULE_KEYS)}"))
    if "weekly" not in data:
        problems.append(Problem("weekly", "missing: give the weekly opening hours"))
    weekly = _parse_weekly(data.get("weekly", {}), problems)
    holidays = _parse_rule(data.get("holidays", "closed"), "holidays", problems)
    eves, named_eves = _parse_eves(data.get("eves", "normal"), problems)
    exceptions = _parse_exceptions(data.get("exceptions", []), problems)
    if problems:
        raise ScheduleError(where, problems)
    return Schedule(weekly, holidays, eves, exceptions, named_eves)


def _parse_eves(value: object, problems: list[Problem]
                ) -> tuple[DayRule, tuple[tuple[str, DayRule], ...]]:
    """``eves: [08:00-13:00]``, or a mapping with ``default`` and single eves by their Swedish
    name (``julafton: closed``): a rule the calendar applies every year."""
    if not isinstance(value, Mapping):
        return _parse_rule(value, "eves", problems), ()
    known = set(EVE_NAMES)
    named: list[tuple[str, DayRule]] = []
    for key, rule in value.items():
        if key != "default" and key not in known:
            problems.append(Problem(f"eves.{key}", f"not an eve; one of default, "
                                                   f"{', '.join(EVE_NAMES)}"))
            continue
        if key != "default":
            named.append((str(key), _parse_rule(rule, f"eves.{key}", problems)))
    default = _parse_rule(value.get("default", "normal"), "eves.default", problems)
    return default, tuple(named)


def _parse_weekly(data: object, problems: list[Problem]) -> tuple[tuple[Interval, ...], ...]:
    days: list[tuple[Interval, ...]] = [()] * len(WEEKDAYS)
    if not isinstance(data, Mapping):
        problems.append(Problem("weekly", f"expected a mapping of weekdays, got {_kind(data)}"))
        return tuple(days)
    given_by: dict[int, str] = {}
    for raw_key, value in data.items():
        key = f"weekly.{raw_key}"
        indexes = _parse_weekday_keys(str(raw_key), key, problems)
        hours = _parse_hours(value, key, problems, allow=("closed",))
        for index in indexes:
            if index in given_by:
                problems.append(
                    Problem(key, f"{WEEKDAYS[index]} is already given by '{given_by[index]}'")
                )
            given_by[index] = str(raw_key)
            days[index] = hours.hours
    return tuple(days)


def _parse_weekday_keys(text: str, key: str, problems: list[Problem]) -> list[int]:
    indexes: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().lower().partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            problems.append(
                Problem(
                    key,
                    f"'{part.strip()}' is not a weekday or range of them "
                    f"({', '.join(WEEKDAYS)}; for example mon-fri)",
                )
            )
            continue
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            problems.append(
                Problem(
                    key,
                    f"range '{part.strip()}' runs backwards; "
                    "write it Monday first (sat-sun, not sun-sat)",
                )
            )
        indexes.extend(range(start, end + 1))
    return indexes


def _parse_rule(value: object, key: str, problems: list[Problem]) -> DayRule:
    return _parse_hours(value, key, problems, allow=("closed", "normal"))


def _parse_hours(
    value: object, key: str, problems: list[Problem], allow: tuple[str, ...]
) -> DayRule:
    """A list of `HH:MM-HH:MM` intervals or one of the words in `allow`."""
    if isinstance(value, str) and value.strip().lower() in allow:
        return DayRule(RuleKind(value.strip().lower()))
    if not isinstance(value, list):
        words = " or ".join(f"'{word}'" for word in allow)
        problems.append(
            Problem(key, f"expected a list of HH:MM-HH:MM intervals or {words}, got {value!r}")
        )
        return CLOSED
    before = len(problems)
    intervals = [
        interval
        for index, item in enumerate(value)
        if (interval := _parse_interval(item, f"{key}[{index}]", problems)) is not None
    ]
    intervals.sort()
    for earlier, later in zip(intervals, intervals[1:], strict=False):
        if later.start < earlier.end:
            problems.append(Problem(key, f"intervals {earlier} and {later} overlap"))
    if len(problems) > before:
        return CLOSED
    return DayRule(RuleKind.HOURS, tuple(intervals)) if intervals else CLOSED


def _parse_interval(item: object, key: str, problems: list[Problem]) -> Interval | None:
    match = _INTERVAL_RE.match(item) if isinstance(item, str) else None
    if match is None:
        problems.append(Problem(key, f"expected an interval like 08:00-17:00, got {item!r}"))
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        problems.append(Problem(key, f"'{item}' is not a time of day (00:00 to 24:00)"))
        return None
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        problems.append(
            Problem(
                key,
                f"'{item}' ends before it starts; an interval cannot "
                "cross midnight: split it into ...-24:00 and 00:00-...",
            )
        )
        return None
    return Interval(start, end)


def _parse_exceptions(data: object, problems: list[Problem]) -> tuple[DateException, ...]:
    if not isinstance(data, list):
        problems.append(Problem("exceptions", f"expected a list, got {_kind(data)}"))
        return ()
    parsed: list[tuple[str, DateException]] = []
    for index, item in enumerate(data):
        key = f"exceptions[{index}]"
        exception = _parse_exception(item, key, problems)
        if exception is None:
            continue
        for other_key, other in parsed:
            if exception.first <= other.last and other.first <= exception.last:
                problems.append(Problem(key, f"dates {exception} overlap {other_key} ({other})"))
        parsed.append((key, exception))
    return tuple(exception for _, exception in parsed)


def _parse_exception(item: object, key: str, problems: list[Problem]) -> DateException | None:
    if not isinstance(item, Mapping):
        problems.append(
            Problem(key, f"expected a mapping with date, hours and reason, got {_kind(item)}")
        )
        return None
    before = len(problems)
    for unknown in sorted(set(map(str, item)) - _EXCEPTION_KEYS):
        problems.append(
            Problem(f"{key}.{unknown}", f"unknown key; expected one of {_names(_EXCEPTION_KEYS)}")
        )
    first, last = _parse_dates(item, key, problems)
    if "hours" not in item:
        problems.append(Problem(f"{key}.hours", "missing: give hours, 'closed' or 'normal'"))
    rule = _parse_hours(
        item.get("hours", "closed"), f"{key}.hours", problems, allow=("closed", "normal")
    )
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append(Problem(f"{key}.reason", "missing: say why (operators read it)"))
    if len(problems) > before or first is None or last is None:
        return None
    return DateException(first, last, rule, str(reason).strip())


def _parse_dates(
    item: Mapping[Any, Any], key: str, problems: list[Problem]
) -> tuple[date | None, date | None]:
    if "date" in item and ("from" in item or "to" in item):
        problems.append(Problem(key, "give either date or from/to, not both"))
        return None, None
    if "date" in item:
        day = _parse_date(item["date"], f"{key}.date", problems)
        return day, day
    if "from" not in item or "to" not in item:
        problems.append(Problem(key, "missing: give date, or from and to"))
        return None, None
    first = _parse_date(item["from"], f"{key}.from", problems)
    last = _parse_date(item["to"], f"{key}.to", problems)
    if first and last and last < first:
        problems.append(Problem(f"{key}.to", f"{last} is before from {first}"))
        return None, None
    return first, last


def _parse_date(value: object, key: str, problems: list[Problem]) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # YAML reads an unquoted 2026-12-24 as a date already
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(Problem(key, f"expected a date like 2026-12-24, got {value!r}"))
    return None


# --- small helpers --------------------------------------------------------------------


def _kind(value: object) -> str:
    return type(value).__name__ if value is not None else "nothing"


def _names(keys: Iterable[str]) -> str:
    return ", ".join(sorted(keys))

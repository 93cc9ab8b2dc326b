"""Time conditions: opening hours with Swedish holidays, eves and an exceptions calendar.

A `Schedule` is a frozen value: weekly hours per weekday, a rule for public
holidays, a rule for eves, and dated exceptions with a reason. Everything here is
pure: callers pass the instant (an aware datetime), the module never reads the
clock. Instants are judged on the wall clock of Europe/Stockholm; intervals are
half-open (`08:00-17:00` is open at 08:00 and closed at 17:00) and `24:00` may end
a day. Which rule decides a day, first match wins: an exception covering the date,
then the holiday rule, then the eve rule, then the weekly hours. Holiday and eve
rules are `closed`, `normal` (the weekly hours apply) or a list of hours; a list
replaces the hours only of a day that the weekly hours open at all (reduced hours:
julafton on a Saturday stays closed when Saturdays are), while an exception's list
of hours applies whatever the weekday. `parse_schedule` reports every problem of a
schedule at once and builds nothing when there is one.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from ivr.calendar import eve_name, holiday_name

#: The wall clock that opening hours are written in.
TIMEZONE: Final = ZoneInfo("Europe/Stockholm")
#: How far `next_change` looks ahead before it answers None (two years: a whole
#: calendar cycle of holidays plus exceptions planned a year ahead).
NEXT_CHANGE_HORIZON_DAYS: Final = 731
#: Weekday keys as written in schedules, Monday first (`date.weekday()` order).
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS_SV: Final = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
WEEKDAYS_EN: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY: Final = 24 * 60

_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_SCHEDULE_KEYS: Final = frozenset({"weekly", "holidays", "eves", "exceptions"})
_EXCEPTION_KEYS: Final = frozenset({"date", "from", "to", "hours", "reason"})


@dataclass(frozen=True, order=True)
class Interval:
    """Open from `start` to `end`, in minutes after local midnight; 0 <= start < end <= 1440."""

    start: int
    end: int

    def __contains__(self, minute: object) -> bool:
        return isinstance(minute, int) and self.start <= minute < self.end

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"

    def __repr__(self) -> str:
        return f"Interval('{self}')"


class RuleKind(enum.Enum):
    CLOSED = "closed"
    NORMAL = "normal"
    HOURS = "hours"


@dataclass(frozen=True)
class DayRule:
    """What a holiday, an eve or an exception does to a day's hours."""

    kind: RuleKind
    hours: tuple[Interval, ...] = ()

    def __str__(self) -> str:
        if self.kind is RuleKind.HOURS:
            return _hours_text(self.hours)
        return str(self.kind.value)


CLOSED: Final = DayRule(RuleKind.CLOSED)
NORMAL: Final = DayRule(RuleKind.NORMAL)


@dataclass(frozen=True)
class DateException:
    """Dates `first`..`last` (inclusive) follow `rule`, for the operator-readable `reason`."""

    first: date
    last: date
    rule: DayRule
    reason: str

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def __str__(self) -> str:
        dates = str(self.first) if self.first == self.last else f"{self.first}..{self.last}"
        return f"{dates} ({self.reason})"


@dataclass(frozen=True)
class Schedule:
    """Opening hours: weekly hours (Monday first), holiday and eve rules, dated exceptions."""

    weekly: tuple[tuple[Interval, ...], ...]
    holidays: DayRule = CLOSED
    eves: DayRule = NORMAL
    exceptions: tuple[DateException, ...] = ()

    def __post_init__(self) -> None:
        if len(self.weekly) != len(WEEKDAYS):
            raise ValueError(f"weekly hours need {len(WEEKDAYS)} days, got {len(self.weekly)}")

    def __repr__(self) -> str:
        return (
            f"<Schedule {_weekly_text(self.weekly)}; holidays {self.holidays}; eves {self.eves}; "
            f"{len(self.exceptions)} exceptions>"
        )


class Basis(enum.Enum):
    """Which rule decided a day's hours."""

    WEEKLY = "weekly"
    HOLIDAY = "holiday"
    EVE = "eve"
    EXCEPTION = "exception"


@dataclass(frozen=True)
class DayPlan:
    """The hours of one local date and the rule that gave them."""

    day: date
    hours: tuple[Interval, ...]
    basis: Basis
    #: The holiday or eve name, or the exception; empty for plain weekly hours.
    occasion: str = ""
    #: True when a holiday/eve rule had hours but the weekly hours keep the day closed.
    closed_by_weekly: bool = False


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


# --- deciding -------------------------------------------------------------------------


def hours_on(schedule: Schedule, day: date) -> DayPlan:
    """The opening hours of local date `day` and which rule decided them."""
    weekly = schedule.weekly[day.weekday()]
    for exception in schedule.exceptions:
        if exception.covers(day):
            hours = weekly if exception.rule.kind is RuleKind.NORMAL else exception.rule.hours
            return DayPlan(day, hours, Basis.EXCEPTION, str(exception))
    for basis, name, rule in (
        (Basis.HOLIDAY, holiday_name(day), schedule.holidays),
        (Basis.EVE, eve_name(day), schedule.eves),
    ):
        if name is None or rule.kind is RuleKind.NORMAL:
            continue
        if rule.kind is RuleKind.HOURS and not weekly:
            return DayPlan(day, (), basis, name, closed_by_weekly=True)
        return DayPlan(day, rule.hours, basis, name)
    return DayPlan(day, weekly, Basis.WEEKLY)


def is_open(schedule: Schedule, at: datetime) -> bool:
    """Whether the schedule is open at the aware instant `at`."""
    local = _local(at)
    minute = local.hour * 60 + local.minute
    return any(minute in interval for interval in hours_on(schedule, local.date()).hours)


def explain(schedule: Schedule, at: datetime) -> str:
    """One line for operators, Swedish then English: open or closed at `at`, and the rule why."""
    local = _local(at)
    plan = hours_on(schedule, local.date())
    state = ("öppet", "open") if is_open(schedule, at) else ("stängt", "closed")
    hours_sv, hours_en = _hours_text(plan.hours, "stängt"), _hours_text(plan.hours)
    weekday_sv, weekday_en = WEEKDAYS_SV[local.weekday()], WEEKDAYS_EN[local.weekday()]
    what_sv, what_en = {
        Basis.WEEKLY: (f"veckoschema {weekday_sv}", f"weekly hours {weekday_en}"),
        Basis.EXCEPTION: (f"undantag {plan.occasion}", f"exception {plan.occasion}"),
        Basis.HOLIDAY: (f"helgdag {plan.occasion}", f"public holiday {plan.occasion}"),
        Basis.EVE: (f"afton {plan.occasion}", f"eve {plan.occasion}"),
    }[plan.basis]
    why_sv, why_en = f"{what_sv}: {hours_sv}", f"{what_en}: {hours_en}"
    if plan.closed_by_weekly:
        why_sv += f" (veckoschemat håller {weekday_sv} stängt)"
        why_en += f" (the weekly hours keep {weekday_en} closed)"
    return f"{state[0]} {local:%Y-%m-%d %H:%M}: {why_sv} / {state[1]}: {why_en}"


def next_change(schedule: Schedule, at: datetime) -> datetime | None:
    """The first instant after `at` when open/closed flips, in Europe/Stockholm time.

    None when nothing changes within `NEXT_CHANGE_HORIZON_DAYS` (always open, or
    closed for longer). Every interval edge is a candidate; a candidate counts only
    if the state really differs there, which merges `...-24:00` with `00:00-...`
    of the next day and drops wall-clock times that a DST switch skips.
    """
    now_open = is_open(schedule, at)
    at_utc = at.astimezone(UTC)
    first_day = _local(at).date()
    for offset in range(NEXT_CHANGE_HORIZON_DAYS):
        day = first_day + timedelta(days=offset)
        for minute in _edges(hours_on(schedule, day).hours):
            candidate = _instant(day, minute)
            if candidate.astimezone(UTC) > at_utc and is_open(schedule, candidate) != now_open:
                return candidate
    return None


# --- gaps and overlaps between windows (for the dialplan linter) ----------------------


@dataclass(frozen=True)
class WindowFinding:
    """Part of a day that no window covers (a gap) or that several cover (an overlap)."""

    kind: Literal["gap", "overlap"]
    day: date
    interval: Interval
    #: The windows that overlap; empty for a gap.
    names: tuple[str, ...] = ()

    def __str__(self) -> str:
        what = "no window open" if self.kind == "gap" else ", ".join(self.names)
        return f"{self.day} {self.interval}: {self.kind} ({what})"


def gaps_and_overlaps(windows: Mapping[str, Schedule], days: Iterable[date]) -> list[WindowFinding]:
    """Where named schedules that should share out each day leave a gap or overlap.

    For each date, the stretches covered by no window and by two or more, in
    order; adjacent stretches with the same finding are merged.
    """
    findings: list[WindowFinding] = []
    for day in days:
        named = {name: hours_on(schedule, day).hours for name, schedule in windows.items()}
        findings.extend(_day_findings(day, named))
    return findings


def _day_findings(day: date, named: Mapping[str, Sequence[Interval]]) -> list[WindowFinding]:
    edges = sorted({0, MINUTES_PER_DAY} | {m for hours in named.values() for m in _edges(hours)})
    findings: list[WindowFinding] = []
    for start, end in zip(edges, edges[1:], strict=False):
        names = tuple(n for n, hours in named.items() if any(start in i for i in hours))
        if len(names) == 1:
            continue
        finding = WindowFinding("gap" if not names else "overlap", day, Interval(start, end), names)
        last = findings[-1] if findings else None
        if last and (last.kind, last.names, last.interval.end) == (finding.kind, names, start):
            finding = WindowFinding(last.kind, day, Interval(last.interval.start, end), names)
            findings.pop()
        findings.append(finding)
    return findings


# --- parsing --------------------------------------------------------------------------


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
    eves = _parse_rule(data.get("eves", "normal"), "eves", problems)
    exceptions = _parse_exceptions(data.get("exceptions", []), problems)
    if problems:
        raise ScheduleError(where, problems)
    return Schedule(weekly, holidays, eves, exceptions)


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


def _local(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"time conditions need an aware datetime, got naive {at.isoformat()}")
    return at.astimezone(TIMEZONE)


def _instant(day: date, minute: int) -> datetime:
    """The instant of local wall time `minute` on `day`, normalised through UTC."""
    wall = datetime.combine(day, time(), TIMEZONE) + timedelta(minutes=minute)
    return wall.astimezone(UTC).astimezone(TIMEZONE)


def _edges(hours: Iterable[Interval]) -> list[int]:
    return sorted({edge for interval in hours for edge in (interval.start, interval.end)})


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _hours_text(hours: Sequence[Interval], closed: str = "closed") -> str:
    return ", ".join(map(str, hours)) if hours else closed


def _weekly_text(weekly: Sequence[tuple[Interval, ...]]) -> str:
    """Weekly hours with runs of equal days joined: `mon-fri 08:00-17:00; sat-sun closed`."""
    runs: list[tuple[int, int]] = []
    for index, hours in enumerate(weekly):
        if runs and weekly[runs[-1][0]] == hours:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return "; ".join(
        f"{WEEKDAYS[first]}{'-' + WEEKDAYS[last] if last > first else ''} "
        f"{_hours_text(weekly[first])}"
        for first, last in runs
    )


def _kind(value: object) -> str:
    return type(value).__name__ if value is not None else "nothing"


def _names(keys: Iterable[str]) -> str:
    return ", ".join(sorted(keys))

"""Time conditions: opening hours with Swedish holidays, eves and an exceptions calendar.

A `Schedule` is a frozen value: weekly hours per weekday, a rule for public
holidays, a rule for eves, and dated exceptions with a reason. Everything here is
pure: callers pass the instant (an aware datetime), the module never reads the
clock. Instants are judged on the wall clock of Europe/Stockholm; intervals are
half-open (`08:00-17:00` is open at 08:00 and closed at 17:00) and `24:00` may end
a day. Which rule decides a day, first match wins: an exception covering the date,
then the holiday rule, then the eve rule, then the weekly hours. Holiday and eve
rules are `closed`, `normal` (the weekly hours apply) or a list of hours (the eve rule may
name single eves, ``julafton: closed``, that differ from the other eves); a list
replaces the hours only of a day that the weekly hours open at all (reduced hours:
julafton on a Saturday stays closed when Saturdays are), while an exception's list
of hours applies whatever the weekday. The YAML form and its errors are in
`ivr.schedule_parser`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal
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
    #: Eves with a rule of their own, by their Swedish name (``julafton: closed``), every year.
    named_eves: tuple[tuple[str, DayRule], ...] = ()

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


# --- deciding -------------------------------------------------------------------------


def hours_on(schedule: Schedule, day: date) -> DayPlan:
    """The opening hours of local date `day` and which rule decided them."""
    weekly = schedule.weekly[day.weekday()]
    for exception in schedule.exceptions:
        if exception.covers(day):
            hours = weekly if exception.rule.kind is RuleKind.NORMAL else exception.rule.hours
            return DayPlan(day, hours, Basis.EXCEPTION, str(exception))
    eve = eve_name(day)
    eve_rule = dict(schedule.named_eves).get(eve or "", schedule.eves)
    for basis, name, rule in (
        (Basis.HOLIDAY, holiday_name(day), schedule.holidays),
        (Basis.EVE, eve, eve_rule),
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

"""The monthly statement (pure): per district and per administration, the calls and minutes
served by service, priced by the cost model, with the month before beside it.

Input is the month's `reports.kpis.KpiRow`s (one per call record; a record is one call, so
overlapping reads of the same records never count a call twice: the rows are keyed by call
id in the database). Definitions (money in whole öre, rounded once per line, halves up):

- **calls**: calls that arrived in the month (city calendar); **answered**; **minutes**:
  talk time of answered calls (answer to hang-up) in minutes;
- **agent minutes** = talk minutes + the queue's wrap-up (``[queues.<q>] wrap_up_s``,
  default 10 s) per answered queued call; direct calls use no agent time;
- **variable cost** = calls x ``costs.per_call_sek`` + agent minutes x the queue's agent-hour
  price / 60 (``costs.agent_hour_sek`` or ``[costs.queues.<q>] agent_hour_sek``);
- **fixed share** = ``costs.fixed_month_sek`` x the district's ``[costs.fixed_share]`` percent
  (whole month; the shares add up to 100 at load);
- **an administration's fixed share**: each district's fixed share is split over the
  administrations by their calls in that district this month (largest remainder to the öre,
  ties by name), so the administrations' fixed shares add up to the districts' exactly; a
  district with a share but no calls this month passes it to the line ``-``;
- **total** = variable cost + fixed share. The districts' and the administrations' totals
  cover the same calls and the same fixed cost; they can differ only by the rounding of
  each line's variable cost (under one öre per line);
- calls without a district are the line ``stadsgemensamt`` (city-wide), without an
  administration ``-``.
The charts' data: calls per day, service level per hour of the day (all the month's days
together), each district's share of the total cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from infra.cost_settings import CostSettings
from infra.report_settings import ReportSettings
from reports.costs import largest_remainder, round_half_up
from reports.kpis import CITY_ZONE, Kpi, KpiRow, count, service_of, target_of

CITY_WIDE = "stadsgemensamt"
#: The administration line of calls without one.
NO_ADMINISTRATION = "-"
DEFAULT_WRAP_UP_S = 10


class StatementError(ValueError):
    """A month or district that cannot be reported; the message says why."""


def month_bounds(month: str) -> tuple[float, float]:
    """``2026-11`` -> epoch seconds of its first instant and of the next month's (city time)."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise StatementError(f"month: expected YYYY-MM (2026-11), got {month!r}") from None
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (datetime.combine(first, datetime.min.time(), CITY_ZONE).timestamp(),
            datetime.combine(nxt, datetime.min.time(), CITY_ZONE).timestamp())


def previous_month(month: str) -> str:
    first = datetime.strptime(month, "%Y-%m").date()
    return (first - timedelta(days=1)).strftime("%Y-%m")


@dataclass
class Line:
    """Calls, minutes and cost of one district or administration, by service."""

    name: str
    calls: dict[str, int] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)
    talk_s: dict[str, float] = field(default_factory=dict)
    agent_s: dict[str, float] = field(default_factory=dict)
    cost: Fraction = Fraction(0)
    """Variable cost in öre, exact (set by `_price_lines` from the counts below)."""
    fixed_ore: int = 0
    billed_s: dict[str, int] = field(default_factory=dict)
    """Agent seconds per queue, each call's rounded to the whole second (halves up)."""

    @property
    def variable_ore(self) -> int:
        return round_half_up(self.cost)

    @property
    def total_ore(self) -> int:
        return self.variable_ore + self.fixed_ore

    def as_dict(self) -> dict[str, object]:
        return {"calls": dict(sorted(self.calls.items())),
                "answered": dict(sorted(self.answered.items())),
                "minutes": {k: round(v / 60, 1) for k, v in sorted(self.talk_s.items())},
                "agent_minutes": {k: round(v / 60, 1) for k, v in sorted(self.agent_s.items())},
                "variable_ore": self.variable_ore, "fixed_ore": self.fixed_ore,
                "total_ore": self.total_ore}


@dataclass
class MonthFigures:
    """One month: lines per district and administration, KPIs per service, chart data."""

    month: str
    districts: dict[str, Line]
    administrations: dict[str, Line]
    services: dict[str, Kpi]
    calls_per_day: dict[str, int]
    sl_per_hour: dict[str, dict[int, Kpi]]

    @property
    def calls(self) -> int:
        return sum(sum(x.calls.values()) for x in self.districts.values())

    @property
    def total_ore(self) -> int:
        return sum(x.total_ore for x in self.districts.values())

    def as_dict(self) -> dict[str, object]:
        return {"month": self.month, "calls": self.calls, "total_ore": self.total_ore,
                "districts": {k: v.as_dict() for k, v in sorted(self.districts.items())},
                "administrations": {k: v.as_dict()
                                    for k, v in sorted(self.administrations.items())},
                "services": {k: v.as_dict() for k, v in sorted(self.services.items())},
                "calls_per_day": self.calls_per_day,
                "service_level_per_hour": {
                    s: {h: None if k.service_level is None else round(k.service_level, 4)
                        for h, k in sorted(hours.items())}
                    for s, hours in sorted(self.sl_per_hour.items())}}


@dataclass(frozen=True)
class Statement:
    month: MonthFigures
    before: MonthFigures
    district: str | None

    def as_dict(self) -> dict[str, object]:
        return {"district": self.district, "month": self.month.as_dict(),
                "month_before": self.before.as_dict()}


class _LocalHours:
    """City-local (day, hour) of any time in [since, until), by a table per UTC hour (the
    zone's offsets are whole hours): a million lookups without a datetime each."""

    def __init__(self, since: float, until: float) -> None:
        self.since = since
        self.table = []
        at = since
        while at < until:
            local = datetime.fromtimestamp(at, CITY_ZONE)
            self.table.append((local.strftime("%Y-%m-%d"), local.hour))
            at += 3600

    def __call__(self, at: float) -> tuple[str, int]:
        i = min(max(int((at - self.since) // 3600), 0), len(self.table) - 1)
        return self.table[i]


def month_figures(month: str, rows: Iterable[KpiRow], costs: CostSettings,
                  reports: ReportSettings, wrap_up_s: Mapping[str, int]) -> MonthFigures:
    """Fold one month's rows (see the module docstring)."""
    since, until = month_bounds(month)
    local = _LocalHours(since, until)
    first = datetime.fromtimestamp(since, CITY_ZONE).date()
    days = {(first + timedelta(days=i)).isoformat(): 0
            for i in range(round((until - since) / 86400))}
    districts: dict[str, Line] = {name: Line(name) for name in costs.fixed_share}
    admins: dict[str, Line] = {}
    services: dict[str, Kpi] = {}
    hours: dict[str, dict[int, Kpi]] = {}
    wrap = {q: float(w) for q, w in wrap_up_s.items()}
    service_by_queue: dict[str, str] = {}
    pairs: dict[tuple[str, str], int] = {}
    short = float(reports.short_abandon_s)
    for row in rows:
        queue = row.queue
        service = service_by_queue.get(queue)
        if service is None:
            service = service_by_queue[queue] = service_of(queue, reports)
        target = target_of(service, reports)
        day, hour = local(row.arrived_at)
        if day in days:
            days[day] += 1
        k = services.get(service)
        if k is None:
            k = services[service] = Kpi(target)
        count(k, row, target, short)
        by_hour = hours.setdefault(service, {})
        kh = by_hour.get(hour)
        if kh is None:
            kh = by_hour[hour] = Kpi(target)
        count(kh, row, target, short)
        agent_s = 0.0
        if row.outcome == "answered" and queue:
            agent_s = (row.talk_s or 0.0) + wrap.get(queue, DEFAULT_WRAP_UP_S)
        pair = (row.district or CITY_WIDE, row.administration or NO_ADMINISTRATION)
        pairs[pair] = pairs.get(pair, 0) + 1
        for lines, name in ((districts, pair[0]), (admins, pair[1])):
            line = lines.get(name)
            if line is None:
                line = lines[name] = Line(name)
            _add(line, service, row, agent_s)
    for lines in (districts, admins):
        _price_lines(lines.values(), costs)
    for name, pct in costs.fixed_share.items():
        districts[name].fixed_ore = round_half_up(
            Fraction(costs.fixed_month_sek) * 100 * Fraction(pct) / 100)
    _share_fixed(districts, admins, pairs)
    return MonthFigures(month, districts, admins, services, days, hours)


def _share_fixed(districts: Mapping[str, Line], admins: dict[str, Line],
                 pairs: Mapping[tuple[str, str], int]) -> None:
    """Each district's fixed share over its administrations by calls (module docstring)."""
    for district, line in sorted(districts.items()):
        if not line.fixed_ore:
            continue
        weights = {a: n for (d, a), n in pairs.items() if d == district}
        for name, ore in largest_remainder(line.fixed_ore,
                                           weights or {NO_ADMINISTRATION: 1}).items():
            admins.setdefault(name, Line(name)).fixed_ore += ore


def _add(line: Line, service: str, row: KpiRow, agent_s: float) -> None:
    line.calls[service] = line.calls.get(service, 0) + 1
    if row.outcome == "answered":
        line.answered[service] = line.answered.get(service, 0) + 1
        line.talk_s[service] = line.talk_s.get(service, 0.0) + (row.talk_s or 0.0)
        line.agent_s[service] = line.agent_s.get(service, 0.0) + agent_s
        if agent_s:
            # Whole agent seconds per call (halves up): the price is exact and reproducible.
            line.billed_s[row.queue] = line.billed_s.get(row.queue, 0) + math.floor(
                agent_s + 0.5)


def _price_lines(lines: Iterable[Line], costs: CostSettings) -> None:
    """Variable cost (öre, exact) = calls x fee + agent seconds x the queue's price."""
    fee = Fraction(costs.per_call_sek) * 100
    for line in lines:
        line.cost = fee * sum(line.calls.values()) + sum(
            (Fraction(costs.agent_hour(q)) * 100 / 3600 * s for q, s in line.billed_s.items()),
            Fraction(0))


def statement(month: MonthFigures, before: MonthFigures, district: str | None) -> Statement:
    """The statement, narrowed to one district (its line and the city-wide one) if given."""
    if district is not None:
        for figures in (month, before):
            figures.districts = {k: v for k, v in figures.districts.items()
                                 if k in (district, CITY_WIDE)}
    return Statement(month, before, district)


def check_district(name: str, known: Iterable[str]) -> str:
    """``name`` if it is a known district (case-insensitive), else a `StatementError`."""
    known = sorted(set(known))
    for k in known:
        if k.casefold() == name.casefold():
            return k
    raise StatementError(f"district {name!r} does not exist; known: "
                         f"{', '.join(known) or 'none'}")


def sek(ore: int) -> str:
    """Öre as SEK for people: ``12345678`` -> ``123 456.78`` (a no-break space groups)."""
    return f"{Decimal(ore).scaleb(-2):,.2f}".replace(",", "\u00a0")

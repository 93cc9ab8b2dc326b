"""The cost model (pure): what each district's calls cost in a period, against what its own
switchboard cost before the merge ("no district may pay more than before").

The routing event stream is the only source of calls, folded exactly as `reports/stats.py`
folds it (a call counts in the period it was enqueued in); prices come from ``[costs]``, the
wrap-up from ``[queues.<q>] wrap_up_s``. Nothing here reads Redis, files or the clock; the
period's length in days is given by the caller. Definitions, so that a district's controller
can check every figure by hand:

- **attribution**: a call belongs to the district it required (its ``district:<name>``
  skill). A call without one belongs to the line ``stadsgemensamt`` (city-wide), which is
  always shown, even at zero.
- **offered** (``erbj.``): calls enqueued in the period; **answered** (``svar``): of those,
  calls an agent answered; **open** (``öppna``): calls with no end yet in the stream
  (still waiting or still talking).
- **agent time** of an answered call that has ended = handle time (answer to end, rounded to
  the whole second, halves up, never below 0) + the queue's wrap-up (``wrap_up_s``; a queue
  the configuration does not name has the ACD's default, 10 s). Ringing, waiting and
  unanswered calls take no agent time here; an open answered call is priced when it has
  ended (run the report again).
- **agent cost** = agent seconds x the queue's hourly price / 3600, where the hourly price
  is ``costs.agent_hour_sek``, or ``[costs.queues.<q>] agent_hour_sek`` for that queue.
- **fee** (``avgift``) = ``costs.per_call_sek`` for every **offered** call, answered or not:
  the trunks, licences and the platform carry abandoned calls too.
- **own cost** = agent cost + fee.
- **city-wide share** (``andel``): with ``costs.share_unattributed = true`` the city-wide
  line's own cost is split over the districts in proportion to their offered calls in the
  period, in whole öre by the largest-remainder method (ties: district name), so the shares
  add up exactly; the city-wide line shows the same amount as a negative share. Without
  attributed calls there is nothing to split by and the city-wide line keeps its cost.
- **total** (``summa``) = own cost + share.
- **before** (``förut``): ``[costs.baseline] <district> = SEK per month`` (the old district
  switchboard), prorated to the period: monthly x days / 30.4375 (a mean month, 365.25 / 12
  days). **Difference** = total - before; **ÖVER (over)** when the total is above it.
  A district in the baseline without calls is shown with its zero cost; a district without
  a baseline has no difference and no flag.
- **money** is counted in whole öre (integers). Each line's agent cost, fee and baseline is
  computed exactly (fractions) from the line's own counts and rounded once to the öre,
  halves up; the total line (``summa``) adds the rounded lines, so every column adds up.
  Its "before" is the sum of the baselines given: a line without a baseline (often the
  city-wide one) adds cost but no baseline to it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from infra.cost_settings import CostSettings
from reports.stats import CallRecord, fold_calls, skill_value

#: The line of calls without a ``district:`` requirement.
CITY_WIDE = "stadsgemensamt"
#: Days in the mean month that a monthly baseline is prorated by (365.25 / 12).
DAYS_PER_MONTH = Fraction(36525, 1200)
#: Wrap-up (s) of a queue the configuration does not name (`QueueSettings.wrap_up_s`).
DEFAULT_WRAP_UP_S = 10
@dataclass(frozen=True)
class CostLine:
    """The figures of one district (or the city-wide line, or the total); money in öre."""

    name: str
    offered: int
    answered: int
    open: int
    agent_s: Mapping[str, int]
    """Agent seconds per queue."""
    agent_ore: int
    fee_ore: int
    share_ore: int = 0
    baseline_ore: int | None = None

    @property
    def agent_seconds(self) -> int:
        return sum(self.agent_s.values())

    @property
    def own_ore(self) -> int:
        return self.agent_ore + self.fee_ore

    @property
    def total_ore(self) -> int:
        return self.own_ore + self.share_ore

    @property
    def diff_ore(self) -> int | None:
        return None if self.baseline_ore is None else self.total_ore - self.baseline_ore

    @property
    def over(self) -> bool:
        return self.baseline_ore is not None and self.total_ore > self.baseline_ore

    def as_dict(self) -> dict[str, object]:
        return {"offered": self.offered, "answered": self.answered, "open": self.open,
                "agent_s": self.agent_seconds, "agent_s_by_queue": dict(sorted(
                    self.agent_s.items())), "agent_ore": self.agent_ore,
                "fee_ore": self.fee_ore, "own_ore": self.own_ore, "share_ore": self.share_ore,
                "total_ore": self.total_ore, "baseline_ore": self.baseline_ore,
                "diff_ore": self.diff_ore, "over": self.over}


@dataclass(frozen=True)
class CostReport:
    """Cost lines per district, the city-wide line last, and the prices they came from."""

    since: float | None
    until: float | None
    days: Fraction
    settings: CostSettings
    wrap_up_s: Mapping[str, int]
    lines: tuple[CostLine, ...]

    @property
    def districts(self) -> dict[str, CostLine]:
        return {line.name: line for line in self.lines}

    @property
    def total(self) -> CostLine:
        agent_s: dict[str, int] = {}
        for line in self.lines:
            for q, s in line.agent_s.items():
                agent_s[q] = agent_s.get(q, 0) + s
        baselines = [line.baseline_ore for line in self.lines if line.baseline_ore is not None]
        return CostLine("summa", sum(x.offered for x in self.lines),
                        sum(x.answered for x in self.lines), sum(x.open for x in self.lines),
                        agent_s, sum(x.agent_ore for x in self.lines),
                        sum(x.fee_ore for x in self.lines), sum(x.share_ore for x in self.lines),
                        sum(baselines) if baselines else None)

    def as_dict(self) -> dict[str, object]:
        s = self.settings
        return {"since": self.since, "until": self.until, "days": round(float(self.days), 6),
                "days_per_month": float(DAYS_PER_MONTH),
                "prices": {"agent_hour_sek": str(s.agent_hour_sek),
                           "per_call_sek": str(s.per_call_sek),
                           "queue_agent_hour_sek": {q: str(v) for q, v in
                                                    sorted(s.queue_agent_hour_sek.items())},
                           "share_unattributed": s.share_unattributed,
                           "baseline_sek_per_month": {d: str(v) for d, v in
                                                      sorted(s.baseline.items())}},
                "wrap_up_s": dict(sorted(self.wrap_up_s.items())),
                "districts": {x.name: x.as_dict() for x in self.lines if x.name != CITY_WIDE},
                "city_wide": self.districts[CITY_WIDE].as_dict(),
                "total": self.total.as_dict()}


@dataclass
class _Tally:
    offered: int = 0
    answered: int = 0
    open: int = 0
    agent_s: dict[str, int] = field(default_factory=dict)


def cost_report(entries: Iterable[Mapping[str, str]], settings: CostSettings,
                wrap_up_s: Mapping[str, int], *, days: Fraction,
                since: float | None = None, until: float | None = None) -> CostReport:
    """Price the calls of stream entries enqueued in [since, until); ``days`` is the period's
    length the baseline is prorated to. ``ValueError`` names a stream entry that is bad."""
    tallies: dict[str, _Tally] = {name: _Tally() for name in settings.baseline}
    tallies.setdefault(CITY_WIDE, _Tally())
    for call in fold_calls(entries, since=since, until=until).values():
        district = skill_value(call.skills, "district")
        _tally(tallies.setdefault(CITY_WIDE if district == "-" else district, _Tally()),
               call, wrap_up_s.get(call.queue, DEFAULT_WRAP_UP_S))
    lines = {name: _price_line(name, t, settings, days) for name, t in tallies.items()}
    if settings.share_unattributed:
        _share(lines)
    order = sorted(n for n in lines if n != CITY_WIDE) + [CITY_WIDE]
    return CostReport(since, until, days, settings, dict(wrap_up_s),
                      tuple(lines[n] for n in order))


def _tally(t: _Tally, call: CallRecord, wrap_up_s: int) -> None:
    t.offered += 1
    if call.answered_at is not None:
        t.answered += 1
    if call.ended_at is None:
        t.open += 1
    elif call.answered_at is not None:
        handle = max(0, math.floor(call.ended_at - call.answered_at + 0.5))  # halves up
        t.agent_s[call.queue] = t.agent_s.get(call.queue, 0) + handle + wrap_up_s


def _price_line(name: str, t: _Tally, settings: CostSettings, days: Fraction) -> CostLine:
    agent = sum((Fraction(s) * Fraction(settings.agent_hour(q)) * 100 / 3600
                 for q, s in t.agent_s.items()), Fraction(0))
    fee = Fraction(settings.per_call_sek) * 100 * t.offered
    monthly = settings.baseline.get(name)
    baseline = (None if monthly is None
                else round_half_up(Fraction(monthly) * 100 * days / DAYS_PER_MONTH))
    return CostLine(name, t.offered, t.answered, t.open, dict(t.agent_s),
                    round_half_up(agent), round_half_up(fee), 0, baseline)


def _share(lines: dict[str, CostLine]) -> None:
    """Split the city-wide own cost over the districts by offered calls (largest remainder)."""
    city = lines[CITY_WIDE]
    weights = {n: x.offered for n, x in lines.items() if n != CITY_WIDE and x.offered > 0}
    pool, total = city.own_ore, sum(weights.values())
    if total == 0 or pool == 0:
        return
    for n, s in largest_remainder(pool, weights).items():
        lines[n] = _with_share(lines[n], s)
    lines[CITY_WIDE] = _with_share(city, -pool)


def largest_remainder(pool: int, weights: Mapping[str, int]) -> dict[str, int]:
    """``pool`` öre split by ``weights`` (positive, not all zero) in whole öre that add up to
    ``pool`` exactly: each gets the floor of its exact part, the öre left over go to the
    largest remainders (ties: name)."""
    total = sum(weights.values())
    exact = {n: Fraction(pool * w, total) for n, w in weights.items()}
    shares = {n: math.floor(v) for n, v in exact.items()}
    left = pool - sum(shares.values())
    for n in sorted(exact, key=lambda n: (-(exact[n] - shares[n]), n))[:left]:
        shares[n] += 1
    return shares


def _with_share(line: CostLine, share_ore: int) -> CostLine:
    return CostLine(line.name, line.offered, line.answered, line.open, line.agent_s,
                    line.agent_ore, line.fee_ore, share_ore, line.baseline_ore)


def round_half_up(value: Fraction) -> int:
    """To the nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    n = math.floor(abs(value) + Fraction(1, 2))
    return n if value >= 0 else -n


def sek(ore: int | None) -> str:
    """Öre as SEK with two decimals (``123456`` -> ``1234.56``); ``-`` for None."""
    return "-" if ore is None else f"{Decimal(ore).scaleb(-2):.2f}"


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def render(report: CostReport, title: str = "") -> str:
    """The report as text for people (Swedish headings with English)."""
    s = report.settings
    queue_prices = "".join(f", {q} {price(v)}" for q, v in sorted(s.queue_agent_hour_sek.items()))
    wrap = ", ".join(f"{q} {w} s" for q, w in sorted(report.wrap_up_s.items())) or "-"
    share = "ja (yes)" if s.share_unattributed else "nej (no)"
    lines = [f"Kostnader (costs) {title}".rstrip(),
             f"Period: {float(report.days):.2f} dagar (days); månad (month) = "
             f"{float(DAYS_PER_MONTH)} dagar",
             f"Handläggartimme (agent hour) kr: {price(s.agent_hour_sek)}{queue_prices}",
             f"Per samtal (per call) kr: {price(s.per_call_sek)}; efterarbete (wrap-up): {wrap}",
             f"Stadsgemensamt fördelat (city-wide shared out): {share}",
             "",
             f"{'Stadsdel (district)':<26} {'erbj.':>6} {'svar':>6} {'öppna':>6} "
             f"{'handl.tid':>10} {'handl. kr':>11} {'avgift kr':>10} {'andel kr':>10} "
             f"{'summa kr':>11} {'förut kr':>11} {'skillnad kr':>11}",
             f"{'':<26} {'offer':>6} {'answ':>6} {'open':>6} {'agent time':>10} "
             f"{'agent SEK':>11} {'fee SEK':>10} {'share SEK':>10} {'total SEK':>11} "
             f"{'before SEK':>11} {'diff SEK':>11}"]
    for line in (*report.lines, report.total):
        name = {CITY_WIDE: f"{CITY_WIDE} (city-wide)", "summa": "Summa (total)"}.get(
            line.name, line.name)
        flag = "  ÖVER (over)" if line.over else ""
        lines.append(f"{name:<26} {line.offered:>6} {line.answered:>6} {line.open:>6} "
                     f"{_hms(line.agent_seconds):>10} {sek(line.agent_ore):>11} "
                     f"{sek(line.fee_ore):>10} {sek(line.share_ore):>10} "
                     f"{sek(line.total_ore):>11} {sek(line.baseline_ore):>11} "
                     f"{sek(line.diff_ore):>11}{flag}")
    return "\n".join(lines) + "\n"


def price(value: Decimal) -> str:
    """A configured price as given, with at least two decimals (``2.5`` -> ``2.50``)."""
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)


#: CSV columns for finance (amounts in SEK with a decimal point).
CSV_COLUMNS = ("district", "offered", "answered", "open", "agent_s", "agent_sek", "fee_sek",
               "own_sek", "share_sek", "total_sek", "baseline_sek", "diff_sek", "over")


def to_csv(report: CostReport) -> str:
    """One row per district, the city-wide line and the total (RFC 4180, comma-separated)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in (*report.lines, report.total):
        writer.writerow([line.name, line.offered, line.answered, line.open, line.agent_seconds,
                         sek(line.agent_ore), sek(line.fee_ore), sek(line.own_ore),
                         sek(line.share_ore), sek(line.total_ore),
                         "" if line.baseline_ore is None else sek(line.baseline_ore),
                         "" if line.diff_ore is None else sek(line.diff_ore),
                         "yes" if line.over else "no"])
    return out.getvalue()

"""KPIs of call records (pure): per queue, service, unit, district and administration, by
hour, day or month of the city's calendar.

Input is one `KpiRow` per call (the columns of ``call_records`` the figures need), so a
month of a million calls is folded without building records. Definitions, stated so that a
district can check every figure:

- **service** (the "switchboard group"): ``vaxel`` for a queue in
  ``[reports] switchboard_queues`` (default ``operators``), ``kontaktcenter`` for any other
  queue, ``direkt`` for a call the IVR put through without a queue;
- **offered**: calls that arrived in the period; **answered**: of those, answered by an
  agent or by the person dialled; **abandoned**: the caller hung up while waiting in a
  queue after at least ``short_abandon_s`` (default 5 s); quicker ones are
  **short abandons**, counted apart and left out of service level and lost share;
- **service level** = queued calls answered within the service's threshold (switchboard
  15 s, contact center 300 s) / (queued calls answered + abandoned + left for a fallback or
  a callback), short abandons excluded (abandoned calls count against the level, as in
  app_queue when abandoned calls are part of its service level). E.g. 3 answered after
  10 s and 1 abandoned after 20 s with a 15 s threshold: 3 / 4 = 75 %. For **direct**
  calls the wait is the **ring time** (the IVR's dial to the person's answer, threshold
  ``direct_answer_s``, 20 s): direct calls answered within it / (direct calls answered
  with a measured ring time + direct calls whose dial nobody answered);
- **lost** = abandoned / (offered - short abandons); the target is at most ``max_lost_pct``;
- **ASA** = mean queue wait of answered queued calls, and mean ring time of answered
  direct calls (a group with both mixes them; per service they are apart); **AHT** = mean
  talk time (answer to hang-up) of answered calls that ended; wrap-up is not in it;
- **FCR** (first-contact resolution) = calls with the case outcome ``resolved`` / calls
  with any case outcome (the agent's wrap-up form);
- **callbacks asked** = calls where the caller asked to be called back; **made** = of those,
  the ones an agent answered (the callback call connected);
- **fallbacks** = calls that went to the operators' ring group instead of being handled
  (left the queue to the fallback, or rang the group when no queue took them);
- **messages**: calls that ended with a message for an employee.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from infra.report_settings import ReportSettings

CITY_ZONE = ZoneInfo("Europe/Stockholm")
#: Services (the switchboard groups) a call can belong to.
SWITCHBOARD, CONTACT_CENTER, DIRECT = "vaxel", "kontaktcenter", "direkt"
Dimension = Literal["queue", "service", "unit", "district", "administration", "all"]
Period = Literal["hour", "day", "month", "all"]
#: The columns of ``call_records`` a `KpiRow` is read from, in order.
KPI_COLUMNS = ("arrived_at", "queue", "unit", "district", "administration", "outcome",
               "wait_s", "talk_s", "callback_requested", "case_outcome", "ring_s")
#: What an empty dimension value is shown as.
NONE = "-"


class KpiRow(NamedTuple):
    arrived_at: float
    queue: str
    unit: str
    district: str
    administration: str
    outcome: str
    wait_s: float | None
    talk_s: float | None
    callback_requested: bool
    case_outcome: str
    ring_s: float | None = None
    """A direct call's ring time (None for queued calls and when not measured)."""


@dataclass
class Kpi:
    """Counts and sums of one group of calls; the rates are properties."""

    target_s: float
    offered: int = 0
    answered: int = 0
    queued: int = 0
    queued_answered: int = 0
    """Answered with a measured wait: queued calls, and direct calls with a ring time."""
    answered_in_target: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    left: int = 0
    fallbacks: int = 0
    messages: int = 0
    callbacks_asked: int = 0
    callbacks_made: int = 0
    wait_sum: float = 0.0
    talk_sum: float = 0.0
    talked: int = 0
    case_outcomes: int = 0
    resolved: int = 0
    unanswered: int = 0
    """Direct calls whose dial nobody answered (against the service level)."""

    @property
    def service_level(self) -> float | None:
        counted = self.queued_answered + self.abandoned + self.left + self.unanswered
        return None if counted == 0 else self.answered_in_target / counted

    @property
    def lost(self) -> float | None:
        counted = self.offered - self.short_abandoned
        return None if counted <= 0 else self.abandoned / counted

    @property
    def asa_s(self) -> float | None:
        return None if not self.queued_answered else self.wait_sum / self.queued_answered

    @property
    def aht_s(self) -> float | None:
        return None if not self.talked else self.talk_sum / self.talked

    @property
    def fcr(self) -> float | None:
        return None if not self.case_outcomes else self.resolved / self.case_outcomes

    def as_dict(self) -> dict[str, object]:
        def r(x: float | None, n: int) -> float | None:
            return None if x is None else round(x, n)
        return {"offered": self.offered, "answered": self.answered,
                "abandoned": self.abandoned, "short_abandoned": self.short_abandoned,
                "service_level": r(self.service_level, 4), "target_s": self.target_s,
                "lost": r(self.lost, 4), "asa_s": r(self.asa_s, 1), "aht_s": r(self.aht_s, 1),
                "fcr": r(self.fcr, 4), "callbacks_asked": self.callbacks_asked,
                "callbacks_made": self.callbacks_made, "fallbacks": self.fallbacks,
                "messages": self.messages}


def service_of(queue: str, settings: ReportSettings) -> str:
    if not queue:
        return DIRECT
    return SWITCHBOARD if queue in settings.switchboard_queues else CONTACT_CENTER


def target_of(service: str, settings: ReportSettings) -> float:
    """The service-level threshold (s) of a service."""
    if service == SWITCHBOARD:
        return float(settings.switchboard_answer_s)
    if service == DIRECT:
        return float(settings.direct_answer_s)
    return float(settings.contact_center_answer_s)


def period_key(at: float, period: Period) -> str:
    """The city-calendar bucket of a time: ``2026-11-02T08``, ``2026-11-02``, ``2026-11``."""
    if period == "all":
        return "all"
    local = datetime.fromtimestamp(at, CITY_ZONE)
    if period == "hour":
        return local.strftime("%Y-%m-%dT%H")
    return local.strftime("%Y-%m-%d" if period == "day" else "%Y-%m")


def kpis(rows: Iterable[KpiRow], settings: ReportSettings, *, by: Dimension = "all",
         period: Period = "all") -> dict[tuple[str, str], Kpi]:
    """Fold rows into KPIs keyed by (dimension value, period bucket)."""
    out: dict[tuple[str, str], Kpi] = {}
    short = float(settings.short_abandon_s)
    for row in rows:
        service = service_of(row.queue, settings)
        value = _dimension(row, service, by)
        key = (value, period_key(row.arrived_at, period))
        kpi = out.get(key)
        if kpi is None:
            # A group of several services shows its first call's threshold; each call is
            # judged by its own service's.
            kpi = out[key] = Kpi(target_of(service, settings))
        count(kpi, row, target_of(service, settings), short)
    return out


def _dimension(row: KpiRow, service: str, by: Dimension) -> str:
    if by == "all":
        return "all"
    if by == "service":
        return service
    return getattr(row, by) or NONE


def count(k: Kpi, row: KpiRow, target_s: float, short_abandon_s: float) -> None:
    """Add one call to ``k`` (its own service's threshold decides "within target")."""
    k.offered += 1
    outcome = row.outcome
    if row.queue:
        k.queued += 1
    if outcome == "answered":
        k.answered += 1
        wait = row.wait_s if row.queue else row.ring_s  # a direct call's wait: the ring
        if wait is not None:
            k.queued_answered += 1
            k.wait_sum += wait
            if wait <= target_s:
                k.answered_in_target += 1
        if row.talk_s is not None:
            k.talked += 1
            k.talk_sum += row.talk_s
        if row.callback_requested:
            k.callbacks_made += 1
    elif outcome == "abandoned":
        if row.wait_s is not None and row.wait_s < short_abandon_s:
            k.short_abandoned += 1
        else:
            k.abandoned += 1
    elif outcome in ("fallback", "callback") and row.queue:
        k.left += 1
    elif outcome == "unanswered" and not row.queue:
        k.unanswered += 1
    if outcome == "fallback":
        k.fallbacks += 1
    elif outcome == "message":
        k.messages += 1
    if row.callback_requested:
        k.callbacks_asked += 1
    if row.case_outcome:
        k.case_outcomes += 1
        k.resolved += row.case_outcome == "resolved"


def row_of(record: object) -> KpiRow:
    """A `KpiRow` of a `reports.records.CallRecord` (tests and small reports)."""
    values = {name: getattr(record, name) for name in KPI_COLUMNS}
    outcome = values["outcome"]
    values["outcome"] = getattr(outcome, "value", outcome)
    values["arrived_at"] = values["arrived_at"] or 0.0
    return KpiRow(**values)


def meets(k: Kpi, settings: ReportSettings) -> Mapping[str, bool | None]:
    """Whether a group met the targets (None when there is nothing to judge)."""
    sl, lost = k.service_level, k.lost
    return {"service_level": None if sl is None else sl * 100 >= settings.service_level_pct,
            "lost": None if lost is None else lost * 100 <= settings.max_lost_pct}

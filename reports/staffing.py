"""Staffing (pure): agents needed per hour of a day by Erlang C (`reports.erlang`), from the
calls the records hold, beside the agents who were logged in (from the ACD's stream).

Per hour of the city day: **calls** = calls that arrived for the queue (short abandons left
out: they were no work); **handling time** = mean talk time of the hour's answered calls +
the queue's wrap-up (the day's mean when the hour had no answered call); **Erlangs** =
calls x handling time / 3600; **needed** = the fewest agents that answer the service's share
within its threshold (``[reports]``); **logged in** = the time-weighted mean number of agents
logged in to the queue during the hour (an agent is logged in from its ``agent_state``
entry with cause ``AgentLoggedIn`` listing the queue until one with state ``logged_out``);
**answering** = distinct agents who answered the hour's calls (from the records).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from reports.erlang import agents_needed

#: Columns of ``call_records`` a `StaffRow` is read from, in order.
STAFF_COLUMNS = ("arrived_at", "outcome", "wait_s", "talk_s", "agent_id")


class StaffRow(NamedTuple):
    arrived_at: float
    outcome: str
    wait_s: float | None
    talk_s: float | None
    agent_id: str


@dataclass(frozen=True)
class HourStaffing:
    hour: int
    calls: int
    handling_s: float | None
    erlangs: float
    needed: int
    logged_in: float | None
    answering: int

    def as_dict(self) -> dict[str, object]:
        return {"hour": self.hour, "calls": self.calls,
                "handling_s": None if self.handling_s is None else round(self.handling_s, 1),
                "erlangs": round(self.erlangs, 2), "needed": self.needed,
                "logged_in": None if self.logged_in is None else round(self.logged_in, 2),
                "answering": self.answering}


def staffing(rows: Iterable[StaffRow], day_start: float, *, target_s: float,
             target_share: float, wrap_up_s: float, short_abandon_s: float,
             logged_in: Mapping[int, float] | None = None) -> list[HourStaffing]:
    """24 hours of the day starting at ``day_start`` (epoch s of the city midnight; a day
    with a clock change has 23 or 25 hours: hours are counted from midnight)."""
    calls = [0] * 24
    talk: list[list[float]] = [[] for _ in range(24)]
    agents: list[set[str]] = [set() for _ in range(24)]
    for r in rows:
        h = int((r.arrived_at - day_start) // 3600)
        if not 0 <= h < 24:
            continue
        if r.outcome == "abandoned" and (r.wait_s or 0) < short_abandon_s:
            continue
        calls[h] += 1
        if r.outcome == "answered" and r.talk_s is not None:
            talk[h].append(r.talk_s)
            if r.agent_id:
                agents[h].add(r.agent_id)
    every = [t for hour in talk for t in hour]
    day_handling = sum(every) / len(every) + wrap_up_s if every else None
    out = []
    for h in range(24):
        handling = sum(talk[h]) / len(talk[h]) + wrap_up_s if talk[h] else day_handling
        erlangs = calls[h] * handling / 3600 if handling else 0.0
        needed = (agents_needed(calls[h], handling, target_s, target_share)
                  if handling and calls[h] else 0)
        out.append(HourStaffing(h, calls[h], handling if calls[h] else None, erlangs, needed,
                                None if logged_in is None else logged_in.get(h, 0.0),
                                len(agents[h])))
    return out


def logged_in_per_hour(entries: Iterable[Mapping[str, str]], queue: str,
                       day_start: float) -> dict[int, float]:
    """Time-weighted mean agents logged in to ``queue`` per hour of the day (see module)."""
    since: dict[str, float] = {}
    spans: list[tuple[float, float]] = []
    for e in entries:
        if e.get("kind") != "agent_state":
            continue
        agent, at = e.get("agent_id", ""), float(e.get("at") or 0)
        if e.get("cause") == "AgentLoggedIn":
            if queue in _queues(e.get("queues", "")):
                since.setdefault(agent, at)
        elif e.get("state") == "logged_out" and agent in since:
            spans.append((since.pop(agent), at))
    end = day_start + 24 * 3600
    spans.extend((start, end) for start in since.values())
    hours = {}
    for h in range(24):
        lo, hi = day_start + h * 3600, day_start + (h + 1) * 3600
        hours[h] = sum(max(0.0, min(hi, b) - max(lo, a)) for a, b in spans) / 3600
    return hours


def _queues(text: str) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except json.JSONDecodeError:
        return []
    return [str(q) for q in value] if isinstance(value, list) else []


def render(hours: list[HourStaffing], queue: str, day: str, target: str) -> str:
    lines = [f"Bemanning (staffing) {queue} {day}, mål (target) {target}; Erlang C",
             f"{'timme':>5} {'samtal':>6} {'handl. s':>8} {'Erlang':>6} {'behov':>5} "
             f"{'inloggade':>9} {'svarade':>7}",
             f"{'hour':>5} {'calls':>6} {'AHT+wrap':>8} {'':>6} {'need':>5} "
             f"{'logged in':>9} {'answered':>7}"]
    for h in hours:
        if not h.calls and not h.logged_in:
            continue
        handling = "-" if h.handling_s is None else f"{h.handling_s:.0f}"
        logged = "-" if h.logged_in is None else f"{h.logged_in:.1f}"
        lines.append(f"{h.hour:>5} {h.calls:>6} {handling:>8} {h.erlangs:>6.2f} "
                     f"{h.needed:>5} {logged:>9} {h.answering:>7}")
    return "\n".join(lines) + "\n"

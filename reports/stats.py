"""Queue statistics from the routing event stream (pure): service level, waits, handle times,
and who the calls were for, per queue and per district or topic.

The stream (`vaxel:events`, written by the store's scripts) is the single source: every call
appears as ``call_enqueued`` (with its queue, priority and required skills), then maybe
``call_offered`` / ``call_answered`` (with the agent), and ends as ``call_ended``,
``call_abandoned`` or ``call_left_queue`` (to the operators' fallback, a callback that hung
up, maximum wait). Entries are fed in stream order; nothing here reads Redis or the clock.

Definitions (as app_queue and most contact-center reports use them, stated so a district
can check its figures):
- **offered**: calls that entered the queue in the period (``call_enqueued``);
- **answered**: of those, calls an agent answered; **wait** = answer time - enqueue time;
- **abandoned**: the caller hung up before an answer; abandons within
  ``short_abandon_s`` (default 5 s) are counted apart and left out of the service level;
- **left**: the call left the queue unanswered for another destination (fallback, callback);
- **service level** = answered within the queue's target / (answered + abandoned after the
  short-abandon limit + left); ``None`` when there is no such call;
- **handle time** = end - answer (talk; wrap-up is the agents', not the caller's, time);
- calls still waiting or talking at the end of the entries are "open" and counted only as
  offered.
A call is attributed to the district and topic it required (``district:<name>``,
``topic:<name>`` skills); a call without one is attributed to ``-``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Abandons quicker than this (s) are misdials, not lost callers.
SHORT_ABANDON_S = 5.0
#: Service-level target (s) for a queue the caller of `summarise` does not name.
DEFAULT_TARGET_S = 60.0


@dataclass
class CallRecord:
    """One call as the stream tells it (times are the entries' ``at``, epoch seconds)."""

    queue: str
    enqueued_at: float
    skills: tuple[str, ...]
    priority: int = 0
    answered_at: float | None = None
    agent_id: str = ""
    ended_at: float | None = None
    end: str = ""


@dataclass
class Figures:
    """The figures of one group of calls (a queue, a district, a topic)."""

    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    left: int = 0
    open: int = 0
    waits: list[float] = field(default_factory=list)
    abandon_waits: list[float] = field(default_factory=list)
    handle_times: list[float] = field(default_factory=list)

    @property
    def service_level(self) -> float | None:
        """Share (0..1) answered within the target, of the calls that count (see module)."""
        counted = self.answered + self.abandoned + self.left
        return None if counted == 0 else self.answered_in_target / counted

    @property
    def asa_s(self) -> float | None:
        """Average speed of answer: mean wait of answered calls."""
        return _mean(self.waits)

    @property
    def max_wait_s(self) -> float | None:
        return max(self.waits + self.abandon_waits, default=None)

    @property
    def aht_s(self) -> float | None:
        """Average handle (talk) time of ended answered calls."""
        return _mean(self.handle_times)

    def as_dict(self) -> dict[str, object]:
        return {"offered": self.offered, "answered": self.answered,
                "answered_in_target": self.answered_in_target, "abandoned": self.abandoned,
                "short_abandoned": self.short_abandoned, "left": self.left, "open": self.open,
                "service_level": _round(self.service_level, 4), "asa_s": _round(self.asa_s, 1),
                "max_wait_s": _round(self.max_wait_s, 1), "aht_s": _round(self.aht_s, 1)}


@dataclass(frozen=True)
class Report:
    """Figures per queue, per district, per topic and per agent (answered calls)."""

    since: float | None
    until: float | None
    queues: dict[str, Figures]
    districts: dict[str, Figures]
    topics: dict[str, Figures]
    agents: dict[str, int]
    targets: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        return {"since": self.since, "until": self.until,
                "queues": {k: {**v.as_dict(), "target_s": self.targets.get(k, DEFAULT_TARGET_S)}
                           for k, v in sorted(self.queues.items())},
                "districts": {k: v.as_dict() for k, v in sorted(self.districts.items())},
                "topics": {k: v.as_dict() for k, v in sorted(self.topics.items())},
                "agents": dict(sorted(self.agents.items()))}


def summarise(entries: Iterable[Mapping[str, str]], targets: Mapping[str, float] | None = None,
              *, since: float | None = None, until: float | None = None,
              short_abandon_s: float = SHORT_ABANDON_S) -> Report:
    """Fold stream entries (dicts with ``kind``, ``at``, ``call_id``, ...) into a `Report`.

    ``targets``: service-level target seconds per queue. Only calls enqueued in
    [since, until) count; entries of calls enqueued before ``since`` are ignored. An entry
    whose ``at`` is not a number raises ``ValueError`` naming the entry."""
    targets = dict(targets or {})
    calls = fold_calls(entries, since=since, until=until)
    report = Report(since, until, {}, {}, {}, {}, targets)
    for call in calls.values():
        target = targets.get(call.queue, DEFAULT_TARGET_S)
        groups = [report.queues.setdefault(call.queue, Figures()),
                  report.districts.setdefault(skill_value(call.skills, "district"), Figures()),
                  report.topics.setdefault(skill_value(call.skills, "topic"), Figures())]
        for f in groups:
            _count(f, call, target, short_abandon_s)
        if call.answered_at is not None and call.agent_id:
            report.agents[call.agent_id] = report.agents.get(call.agent_id, 0) + 1
    return report


def fold_calls(entries: Iterable[Mapping[str, str]], *, since: float | None = None,
               until: float | None = None) -> dict[str, CallRecord]:
    """Fold stream entries into one `CallRecord` per call enqueued in [since, until), in
    enqueue order. An entry whose ``at`` is not a number raises ``ValueError`` naming it."""
    calls: dict[str, CallRecord] = {}
    for n, e in enumerate(entries):
        kind = e.get("kind", "")
        call_id = e.get("call_id", "")
        if not call_id or not kind.startswith("call_"):
            continue
        try:
            at = float(e.get("at", ""))
        except ValueError:
            raise ValueError(f"stream entry {n} ({kind} {call_id}): at: not a number: "
                             f"{e.get('at')!r}") from None
        if kind == "call_enqueued":
            if (since is not None and at < since) or (until is not None and at >= until):
                continue
            calls[call_id] = CallRecord(queue=e.get("queue") or "?", enqueued_at=at,
                                        skills=parse_skills(e.get("requirements", "")),
                                        priority=int(e.get("priority") or 0))
            continue
        call = calls.get(call_id)
        if call is None or call.ended_at is not None:
            continue
        if kind == "call_answered" and call.answered_at is None:
            call.answered_at = at
            call.agent_id = e.get("agent_id", "")
        elif kind in ("call_ended", "call_abandoned", "call_left_queue"):
            call.ended_at = at
            call.end = kind
    return calls


def _count(f: Figures, call: CallRecord, target: float, short_abandon_s: float) -> None:
    f.offered += 1
    if call.answered_at is not None:
        wait = call.answered_at - call.enqueued_at
        f.answered += 1
        f.waits.append(wait)
        if wait <= target:
            f.answered_in_target += 1
        if call.ended_at is not None:
            f.handle_times.append(call.ended_at - call.answered_at)
    elif call.end == "call_abandoned" and call.ended_at is not None:
        wait = call.ended_at - call.enqueued_at
        if wait < short_abandon_s:
            f.short_abandoned += 1
        else:
            f.abandoned += 1
            f.abandon_waits.append(wait)
    elif call.end:
        f.left += 1
    else:
        f.open += 1


def parse_skills(text: str) -> tuple[str, ...]:
    """A stream entry's ``requirements`` (a JSON list, or comma-separated) as skills."""
    if not text:
        return ()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return tuple(s for s in text.split(",") if s)
    return tuple(str(s) for s in value) if isinstance(value, list) else ()


def skill_value(skills: tuple[str, ...], kind: str) -> str:
    """The value of the first ``kind:value`` skill (``district:bromma`` -> ``bromma``); ``-``
    when there is none."""
    for s in skills:
        k, _, v = s.partition(":")
        if k == kind and v:
            return v
    return "-"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def render(report: Report) -> str:
    """The report as text for people (Swedish headings with English)."""
    lines = []
    for title, groups in (("Kö (queue)", report.queues), ("Stadsdel (district)", report.districts),
                          ("Ämne (topic)", report.topics)):
        lines.append(f"{title:<22} {'erbj.':>6} {'svar':>6} {'SL%':>6} {'övergivna':>9} "
                     f"{'lämnade':>7} {'ASA s':>6} {'max s':>6} {'AHT s':>6}")
        lines.append(f"{'':<22} {'offer':>6} {'answ':>6} {'':>6} {'abandoned':>9} "
                     f"{'left':>7}")
        for name, f in sorted(groups.items()):
            sl = "-" if f.service_level is None else f"{f.service_level * 100:.0f}"
            if title.startswith("Kö"):
                sl += f"/{report.targets.get(name, DEFAULT_TARGET_S):.0f}s"
            lines.append(f"{name:<22} {f.offered:>6} {f.answered:>6} {sl:>6} {f.abandoned:>9} "
                         f"{f.left:>7} {_fmt(f.asa_s):>6} {_fmt(f.max_wait_s):>6} "
                         f"{_fmt(f.aht_s):>6}")
        lines.append("")
    lines.append("Handläggare (agent): besvarade samtal (answered calls)")
    for agent, n in sorted(report.agents.items()):
        lines.append(f"  {agent:<20} {n:>6}")
    return "\n".join(lines).rstrip() + "\n"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"

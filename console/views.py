"""View models (pure): what each page shows, computed from the stores' values and ``now``.

Nothing here reads Redis, AMI or the clock. ``AgentTimes`` folds the routing event stream
into "in this state since" and "last call" per agent (the desk's wrap-up form needs the
call that just ended); ``queue_figures`` makes one wallboard row from ``reports.stats``
figures, the waiting calls, the agents and the case outcomes; ``search_rows`` joins
directory hits with absence notes and device state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.outcomes import CaseOutcome, fcr
from reports.stats import Figures, skill_value
from routing.model import Agent, AgentState, Call

#: Priority a supervised transfer nobody answered comes back with ([queues.*] return_priority).
DEFAULT_RETURN_PRIORITY = 8


@dataclass
class AgentTimes:
    """Per agent: when the current state began and the last call answered (id, queue)."""

    since: dict[str, float] = field(default_factory=dict)
    last_call: dict[str, tuple[str, str]] = field(default_factory=dict)
    call_queue: dict[str, str] = field(default_factory=dict)

    def feed(self, entry: Mapping[str, str]) -> None:
        kind = entry.get("kind", "")
        try:
            at = float(entry.get("at", ""))
        except ValueError:
            return
        if kind == "agent_state" and entry.get("agent_id"):
            self.since[entry["agent_id"]] = at
        elif kind == "call_enqueued" and entry.get("call_id"):
            self.call_queue[entry["call_id"]] = entry.get("queue", "")
        elif kind == "call_answered" and entry.get("agent_id"):
            call_id = entry.get("call_id", "")
            self.last_call[entry["agent_id"]] = (call_id, self.call_queue.get(call_id, ""))


def waiting_rows(calls: Iterable[Call], now: float, *, me: str | None = None,
                 return_priority: int = DEFAULT_RETURN_PRIORITY) -> list[dict[str, Any]]:
    """Waiting calls, first served first, with the time waited; ``recall`` marks a
    supervised transfer that came back to ``me``."""
    rows = []
    for c in sorted(calls, key=lambda c: c.order_key()):
        rows.append({"call_id": c.id, "queue": c.queue, "caller": c.caller,
                     "priority": c.priority, "enqueued_at": c.enqueued_at,
                     "waited_s": round(max(now - c.enqueued_at, 0.0), 1),
                     "callback": c.callback_requested,
                     "district": skill_value(c.requirements, "district"),
                     "topic": skill_value(c.requirements, "topic"),
                     "state": c.state.value, "last_agent": c.last_agent or "",
                     "recall": bool(me) and c.last_agent == me and c.priority >= return_priority})
    return rows


def agent_row(agent: Agent, times: AgentTimes, now: float) -> dict[str, Any]:
    since = times.since.get(agent.id)
    last = times.last_call.get(agent.id)
    return {"id": agent.id, "state": agent.state.value, "since": since,
            "in_state_s": round(now - since, 1) if since else None,
            "pause_reason": agent.pause_reason or "", "call_id": agent.call_id or "",
            "device": agent.device, "queues": sorted(agent.queues),
            "skills": dict(sorted(agent.skills.items())),
            "last_call": last[0] if last else "", "last_queue": last[1] if last else ""}


def queue_figures(queue: str, figures: Figures | None, waiting: Sequence[Call],
                  agents: Iterable[Agent], outcomes: Iterable[CaseOutcome], now: float,
                  target_s: float) -> dict[str, Any]:
    """One wallboard row. Abandon rate = abandoned / (answered + abandoned + left)."""
    f = figures or Figures()
    ended = f.answered + f.abandoned + f.left
    by_state = Counter(a.state.value for a in agents
                       if queue in a.queues and a.state is not AgentState.LOGGED_OUT)
    longest = max((now - c.enqueued_at for c in waiting), default=0.0)
    return {"queue": queue, "waiting_now": len(waiting), "longest_wait_s": round(longest, 1),
            "service_level": f.service_level, "target_s": target_s,
            "asa_s": None if f.asa_s is None else round(f.asa_s, 1),
            "abandon_rate": None if ended == 0 else f.abandoned / ended,
            "offered": f.offered, "answered": f.answered,
            "fcr": fcr(outcomes, queue), "agents_by_state": dict(sorted(by_state.items()))}


@dataclass(frozen=True)
class PersonState:
    """What the operator sees of a person besides the directory entry."""

    absence: str = ""
    back_at: datetime | None = None
    busy: bool = False
    unit_name: str = ""


def search_rows(hits: Iterable[Any], state_of: Callable[[Any], PersonState]
                ) -> list[dict[str, Any]]:
    """Directory hits as rows: people with absence and device state, units, protected."""
    rows: list[dict[str, Any]] = []
    for hit in hits:
        if hit.protected:
            rows.append({"kind": "protected", "label": "skyddad uppgift (protected)"})
        elif hit.employee is not None:
            e = hit.employee
            st = state_of(e)
            rows.append({"kind": "employee", "target": e.extension or "", "id": e.id,
                         "label": e.full_name, "title": e.title,
                         "unit": st.unit_name or e.unit_id or "",
                         "extension": e.extension or "", "absence": st.absence,
                         "back_at": st.back_at.isoformat() if st.back_at else "",
                         "busy": st.busy, "email": e.email or ""})
        elif hit.unit is not None:
            u = hit.unit
            rows.append({"kind": "unit", "target": f"unit:{u.id}", "id": u.id, "label": u.name,
                         "title": ", ".join(u.topics), "unit": u.id, "extension": "",
                         "absence": "", "back_at": "", "busy": False,
                         "districts": list(u.district_ids)})
    return rows


#: Device states (AMI DeviceStateChange ``State``) that mean "on a call now".
BUSY_STATES = frozenset({"INUSE", "BUSY", "RINGINUSE", "ONHOLD"})


@dataclass
class DeviceTracker:
    """Which phones are on a call, from AMI channels and device states (pure fold)."""

    channels: dict[str, str] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)

    def reset(self, channels: Iterable[Mapping[str, Any]]) -> None:
        self.channels = {str(c.get("Uniqueid", "")): str(c.get("Channel", "")) for c in channels}

    def feed(self, event: Mapping[str, Any]) -> bool:
        """Apply one AMI event; True when it changed what ``busy`` answers."""
        name = event.get("Event")
        if name == "Newchannel":
            self.channels[str(event.get("Uniqueid"))] = str(event.get("Channel"))
            return True
        if name == "Hangup":
            return self.channels.pop(str(event.get("Uniqueid")), None) is not None
        if name == "Rename":
            self.channels[str(event.get("Uniqueid"))] = str(event.get("Newname"))
            return True
        if name == "DeviceStateChange":
            self.states[str(event.get("Device"))] = str(event.get("State"))
            return True
        return False

    def busy(self, dial: str) -> bool:
        if self.states.get(dial) in BUSY_STATES:
            return True
        prefix = dial + "-"
        return any(ch.startswith(prefix) for ch in self.channels.values())

    def channel_of(self, uniqueid: str) -> str | None:
        return self.channels.get(uniqueid)

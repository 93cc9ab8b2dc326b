"""Call records (pure): one row per call, folded from what the controllers wrote down.

Three streams in Redis tell a call's story, and each entry is applied to the call's record
by the functions here; nothing here reads Redis, the database or the clock:

- the IVR's ``vaxel:calls`` stream (one entry per saved `ivr.run.CallState`): the record
  takes the state's language, flow, path, district and the person or unit dialled
  (`with_ivr`, given the state the recorder read for that entry);
- the ACD's ``vaxel:events`` stream (`routing/store_scripts.py`): queue, enqueue, offers,
  answer, agent, end, callback requests (`apply_acd`);
- the console's ``vaxel:outcomes`` stream (`console/outcomes.py`, or
  `reports.record_store.RecordStore.record_case_outcome`): the agent's case outcome
  (`apply_case`);
- the switchboard's call context (`switchboard.context.CallContext`): the caller's
  number, the arrival, operators' transfers (`with_context`).

Invariants: an entry is applied at most once. Each record keeps the position (stream id)
of the last entry of each stream applied to it, and an entry at or before that position
is ignored, so a recorder that replays entries after a restart (or a second controller
that reads the same entries) never counts anything twice. Every function returns a new
record (frozen dataclass).

Outcome (`Outcome`, `outcome_of`) of a call, first rule that holds:
answered (an agent answered, or a person dialled from the IVR did: a dial with no
unanswered ``dialstatus:`` after it, once the IVR is done or the answer was seen) >
message (the caller left a message) > callback (a callback was asked for and the call
left the queue) > fallback (left the queue to the operators, or the IVR rang a ring group
as the fallback) > abandoned (hung up in the queue, with the wait) > unanswered (a person
dialled did not answer) > ivr (ended in the menus) > open (nothing final yet).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from reports.stats import parse_skills, skill_value

#: ACD stream kinds that end a call in the queue.
ACD_ENDS = frozenset({"call_ended", "call_abandoned", "call_left_queue"})


class Outcome(enum.Enum):
    ANSWERED = "answered"
    MESSAGE = "message"
    CALLBACK = "callback"
    FALLBACK = "fallback"
    ABANDONED = "abandoned"
    UNANSWERED = "unanswered"
    IVR = "ivr"
    OPEN = "open"


def position(stream_id: str) -> tuple[int, int]:
    """A Redis stream id (``1764950400000-3``) as a comparable pair; ``""`` is (0, 0)."""
    if not stream_id:
        return (0, 0)
    ms, _, seq = stream_id.partition("-")
    try:
        return (int(ms), int(seq or 0))
    except ValueError:
        raise ValueError(f"not a stream id: {stream_id!r}") from None


def after(stream_id: str, last: str) -> bool:
    """Whether entry ``stream_id`` is newer than position ``last``."""
    return position(stream_id) > position(last)


@dataclass(frozen=True)
class CallRecord:
    """One call. Times are epoch seconds; empty strings and None mean "not known"."""

    call_id: str
    arrived_at: float | None = None
    caller: str = ""
    """The caller's number, or its HMAC once pseudonymised (``caller_hashed``)."""
    caller_hashed: bool = False
    language: str = ""
    flow: str = ""
    ivr_path: tuple[str, ...] = ()
    target: str = ""
    """The extension or unit the IVR put the call through to (or queued it for)."""
    target_name: str = ""
    unit: str = ""
    district: str = ""
    administration: str = ""
    queue: str = ""
    agent_id: str = ""
    enqueued_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    acd_end: str = ""
    offers: int = 0
    transfers: int = 0
    callback_requested: bool = False
    ivr_done: bool = False
    case_outcome: str = ""
    case_topic: str = ""
    case_unit: str = ""
    dialed_at: float | None = None
    """When the IVR last dialled a person for the call (its saved state's stream entry)."""
    dial_answered_at: float | None = None
    """When that person answered (a controller saw Asterisk's ``DialEnd`` ANSWER and
    wrote it to the IVR's stream, `ivr.dial_answers`)."""
    ivr_pos: str = ""
    acd_pos: str = ""
    case_pos: str = ""

    @property
    def wait_s(self) -> float | None:
        """Queue wait: enqueue to answer, or to the end for an unanswered call."""
        if self.enqueued_at is None:
            return None
        end = self.answered_at if self.answered_at is not None else self.ended_at
        return None if end is None else max(0.0, end - self.enqueued_at)

    @property
    def talk_s(self) -> float | None:
        """Answer (by an agent) to the end of the call."""
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0.0, self.ended_at - self.answered_at)

    @property
    def ring_s(self) -> float | None:
        """A direct call's ring time: the IVR's dial to the person's answer."""
        if self.dialed_at is None or self.dial_answered_at is None \
                or self.dial_answered_at < self.dialed_at:
            return None
        return self.dial_answered_at - self.dialed_at

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self)


def _step_kinds(path: tuple[str, ...]) -> list[str]:
    return [s.split(":", 1)[0] for s in path]


def direct_answered(path: tuple[str, ...]) -> bool | None:
    """For a call the IVR dialled a person for: True when the last dial had no unanswered
    ``dialstatus:`` after it (the IVR hears of a dial only when nobody answered), False
    when it had, None when it dialled nobody."""
    last = None
    for step in path:
        if step.startswith("dial:"):
            last = True
        elif step.startswith("dialstatus:") and last:
            last = step.split(":", 1)[1].upper() == "ANSWER"
    return last


def outcome_of(r: CallRecord) -> Outcome:
    """The call's outcome by the rules in the module docstring."""
    kinds = _step_kinds(r.ivr_path)
    if r.answered_at is not None:
        return Outcome.ANSWERED
    if not r.queue and (r.ivr_done or r.dial_answered_at is not None) \
            and direct_answered(r.ivr_path):
        return Outcome.ANSWERED
    if "message" in kinds:
        return Outcome.MESSAGE
    if r.acd_end == "call_left_queue":
        return Outcome.CALLBACK if r.callback_requested else Outcome.FALLBACK
    if r.acd_end == "call_abandoned":
        return Outcome.ABANDONED
    if not r.queue and "group" in kinds and r.ivr_done:
        return Outcome.FALLBACK
    if r.queue and r.acd_end == "":
        return Outcome.OPEN
    if direct_answered(r.ivr_path) is False and r.ivr_done:
        return Outcome.UNANSWERED
    if r.ivr_done or "hangup" in kinds:
        return Outcome.IVR
    return Outcome.OPEN


def apply_acd(r: CallRecord, stream_id: str, entry: Mapping[str, str]) -> CallRecord:
    """Apply one ACD stream entry (already known to be about ``r.call_id``)."""
    if not after(stream_id, r.acd_pos):
        return r
    kind = entry.get("kind", "")
    at = _float(entry.get("at"), f"acd entry {stream_id} ({kind} {r.call_id}): at")
    r = replace(r, acd_pos=stream_id)
    if kind == "call_enqueued":
        skills = parse_skills(entry.get("requirements", ""))
        district = skill_value(skills, "district")
        return replace(r, queue=entry.get("queue") or r.queue, enqueued_at=at,
                       district=r.district or ("" if district == "-" else district),
                       arrived_at=r.arrived_at if r.arrived_at is not None else at)
    if kind == "call_offered":
        return replace(r, offers=r.offers + 1)
    if kind == "call_answered" and r.answered_at is None:
        return replace(r, answered_at=at, agent_id=entry.get("agent_id", ""))
    if kind == "callback_requested":
        return replace(r, callback_requested=True)
    if kind in ACD_ENDS and r.ended_at is None:
        return replace(r, ended_at=at, acd_end=kind)
    return r


def apply_case(r: CallRecord, stream_id: str, entry: Mapping[str, str]) -> CallRecord:
    """Apply the agent's case outcome (the console's ``vaxel:outcomes`` fields)."""
    if not after(stream_id, r.case_pos):
        return r
    return replace(r, case_pos=stream_id, case_outcome=entry.get("outcome", ""),
                   case_topic=entry.get("topic", ""), case_unit=entry.get("unit", ""),
                   agent_id=r.agent_id or entry.get("agent_id", ""),
                   queue=r.queue or entry.get("queue", ""))


def with_ivr(r: CallRecord, stream_id: str, state: Mapping[str, Any] | None,
             done: bool, dialed_id: str = "", answered_id: str = "") -> CallRecord:
    """Apply IVR stream entries up to ``stream_id``, with the call's saved state
    (``CallState.to_dict()``) when it could still be read (it expires; without it only
    ``done`` is taken). ``dialed_id``: the newest of these entries whose step was a
    ``dial:``; ``answered_id``: the first ``dial-answered`` entry after it
    (`ivr.dial_answers`). A stream id is Redis's clock in ms: the ring time is the
    difference of the two."""
    if not after(stream_id, r.ivr_pos):
        return r
    if dialed_id and after(dialed_id, r.ivr_pos):
        r = replace(r, dialed_at=position(dialed_id)[0] / 1000, dial_answered_at=None)
    if answered_id and after(answered_id, r.ivr_pos) and r.dial_answered_at is None \
            and r.dialed_at is not None:
        r = replace(r, dial_answered_at=position(answered_id)[0] / 1000)
    r = replace(r, ivr_pos=stream_id, ivr_done=r.ivr_done or done)
    if not state:
        return r
    callee = state.get("callee") or {}
    variables = state.get("variables") or {}
    path = tuple(str(s) for s in state.get("path", ()))
    return replace(
        r, language=str(state.get("language") or r.language),
        flow=str(state.get("flow") or r.flow),
        ivr_path=path if len(path) >= len(r.ivr_path) else r.ivr_path,
        target=str(callee.get("dial") or r.target),
        target_name=str(callee.get("name") or r.target_name),
        unit=str(callee.get("unit_id") or r.unit),
        district=str(variables.get("district") or callee.get("unit_district") or r.district))


def with_context(r: CallRecord, context: Mapping[str, Any] | None) -> CallRecord:
    """Take the caller, the arrival and the operators' transfers from the call context
    (``CallContext.to_dict()``); a later read only adds (attempts are appended)."""
    if not context:
        return r
    attempts = context.get("attempts") or []
    transfers = sum(1 for a in attempts if a.get("by") not in ("", "ivr", None))
    arrived = _epoch(context.get("started_at"))
    return replace(r, caller=r.caller or str(context.get("caller_number") or ""),
                   arrived_at=min(x for x in (arrived, r.arrived_at) if x is not None)
                   if arrived is not None or r.arrived_at is not None else None,
                   transfers=max(r.transfers, transfers))


def with_administration(r: CallRecord, administration: str | None) -> CallRecord:
    return replace(r, administration=administration or r.administration)


def _epoch(text: object) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def _float(text: str | None, where: str) -> float:
    try:
        return float(text or "")
    except ValueError:
        raise ValueError(f"{where}: not a number: {text!r}") from None

"""A call's context, the history that follows it to whoever answers (pure model).

A ``CallContext`` is what an operator or agent sees when a call reaches them: the
caller's number and who that number belongs to in the directory (reverse lookup), the
IVR path the caller took, every attempt to put the call through and why it failed
(no answer, busy, unavailable, absence note), and the caller's earlier contacts today.
Invariants: every value is frozen and JSON-serialisable through ``to_dict``/``from_dict``;
attempts keep their order; nothing here reads the clock or touches Redis (the adapter in
``switchboard.context_store`` does), so "today" is always the day of a ``now`` passed in,
in the city's time zone.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from directory.text import phone_digits
from switchboard.errors import SwitchboardError

#: The city's time zone: "today" for earlier contacts is a local calendar day.
CITY_ZONE = ZoneInfo("Europe/Stockholm")


class ContextError(SwitchboardError, ValueError):
    """Stored context data is malformed; the message names the field."""


class Outcome(enum.Enum):
    """How one attempt to put the call through ended."""

    ANSWERED = "answered"
    NO_ANSWER = "noanswer"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    ABSENT = "absent"
    """The person has an absence note in force; the caller heard it."""
    RETURNED = "returned"
    """A supervised transfer nobody answered came back to the operator."""
    MESSAGE = "message"
    """Nobody could take the call; the caller left a message for the person (e-mailed)."""
    CALLBACK_ORDERED = "callback"
    """Nobody could take the call; the caller asked to be called back (e-mailed)."""


#: Asterisk's DIALSTATUS values (app_dial) mapped to outcomes.
_DIALSTATUS: Mapping[str, Outcome] = {
    "ANSWER": Outcome.ANSWERED,
    "NOANSWER": Outcome.NO_ANSWER,
    "BUSY": Outcome.BUSY,
    "CONGESTION": Outcome.UNAVAILABLE,
    "CHANUNAVAIL": Outcome.UNAVAILABLE,
    "CANCEL": Outcome.NO_ANSWER,
    "DONTCALL": Outcome.UNAVAILABLE,
    "TORTURE": Outcome.UNAVAILABLE,
    "INVALIDARGS": Outcome.UNAVAILABLE,
}

#: What operators read for each outcome (Swedish, with English).
OUTCOME_LABELS: Mapping[Outcome, str] = {
    Outcome.ANSWERED: "svarade (answered)",
    Outcome.NO_ANSWER: "inget svar (no answer)",
    Outcome.BUSY: "upptaget (busy)",
    Outcome.UNAVAILABLE: "ej nåbar (unavailable)",
    Outcome.ABSENT: "frånvarande (absent)",
    Outcome.RETURNED: "tillbaka till växeln (returned to the operator)",
    Outcome.MESSAGE: "lämnade meddelande (left a message)",
    Outcome.CALLBACK_ORDERED: "bad om att bli uppringd (asked for a callback)",
}


def outcome_of_dialstatus(dialstatus: str) -> Outcome:
    """The outcome for an Asterisk ``DIALSTATUS``; unknown values count as unavailable."""
    return _DIALSTATUS.get(dialstatus.strip().upper(), Outcome.UNAVAILABLE)


#: The status the IVR reports for a person it did not ring because of an absence note.
ABSENT_STATUS = "ABSENT"


def outcome_of_status(status: str) -> Outcome:
    """The outcome of an IVR attempt: ``ABSENT``, or an Asterisk ``DIALSTATUS``."""
    if status.strip().upper() == ABSENT_STATUS:
        return Outcome.ABSENT
    return outcome_of_dialstatus(status)


@dataclass(frozen=True)
class Attempt:
    """One try to reach someone: whom, when, how it ended, and why (free text)."""

    target: str
    """What was dialled: an extension, a unit id or an external number."""
    at: datetime
    outcome: Outcome
    target_name: str = ""
    """Who that is, as operators read it ("Anna Ekström", "Bygglovsenheten")."""
    detail: str = ""
    """Why, in words: the absence note, or who transferred the call."""
    by: str = ""
    """Who made the attempt: ``ivr`` or the operator's id."""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ContextError(f"Attempt.at: needs a time zone, got {self.at.isoformat()}")

    def to_dict(self) -> dict[str, str]:
        return {"target": self.target, "at": self.at.isoformat(), "outcome": self.outcome.value,
                "target_name": self.target_name, "detail": self.detail, "by": self.by}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Attempt:
        try:
            return cls(target=str(d["target"]), at=datetime.fromisoformat(str(d["at"])),
                       outcome=Outcome(d["outcome"]), target_name=str(d.get("target_name", "")),
                       detail=str(d.get("detail", "")), by=str(d.get("by", "")))
        except (KeyError, ValueError) as exc:
            raise ContextError(f"attempt: bad or missing field: {exc}") from exc


@dataclass(frozen=True)
class Contact:
    """An earlier call from the same number today."""

    call_id: str
    at: datetime


@dataclass(frozen=True)
class CallContext:
    """Everything whoever answers should know about this call."""

    call_id: str
    caller_number: str
    started_at: datetime
    caller_names: tuple[str, ...] = ()
    """Directory entries whose phone number is the caller's (reverse lookup)."""
    ivr_path: tuple[str, ...] = ()
    """The steps the caller took in the IVR (``CallState.path``)."""
    attempts: tuple[Attempt, ...] = ()
    earlier_contacts: tuple[Contact, ...] = field(default=())
    """Other calls from this number the same day, oldest first (this call excluded)."""

    def __repr__(self) -> str:
        return (f"<CallContext {self.call_id} from {self.caller_number or 'unknown'}: "
                f"{len(self.attempts)} attempts, {len(self.earlier_contacts)} earlier today>")

    @property
    def last_failure(self) -> Attempt | None:
        """The latest attempt that did not end in an answer, if any."""
        failed = [a for a in self.attempts if a.outcome is not Outcome.ANSWERED]
        return failed[-1] if failed else None

    def with_attempt(self, attempt: Attempt) -> CallContext:
        return replace(self, attempts=(*self.attempts, attempt))

    def to_dict(self) -> dict[str, Any]:
        """The stored part (reverse lookup, IVR path and contacts are joined in on read)."""
        return {"call_id": self.call_id, "caller_number": self.caller_number,
                "started_at": self.started_at.isoformat(),
                "attempts": [a.to_dict() for a in self.attempts]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CallContext:
        try:
            attempts = tuple(Attempt.from_dict(a) for a in d.get("attempts", ()))
            return cls(call_id=str(d["call_id"]), caller_number=str(d["caller_number"]),
                       started_at=datetime.fromisoformat(str(d["started_at"])),
                       attempts=attempts)
        except (KeyError, ValueError) as exc:
            raise ContextError(f"call context: bad or missing field: {exc}") from exc


def city_day(now: datetime) -> date:
    """The city's calendar day at ``now`` (an aware datetime)."""
    if now.tzinfo is None:
        raise ContextError(f"now: needs a time zone, got {now.isoformat()}")
    return now.astimezone(CITY_ZONE).date()


def contact_key(number: str) -> str:
    """The caller number as one key: "08-123 45" and "+46812345" are the same caller."""
    return phone_digits(number) or number.strip()


def describe(context: CallContext) -> list[str]:
    """Lines an operator reads about the call (Swedish, with English)."""
    who = ", ".join(context.caller_names) or "okänd (unknown)"
    lines = [f"Nummer (number): {context.caller_number or 'dolt (hidden)'} - {who}"]
    if context.ivr_path:
        lines.append("IVR: " + " > ".join(context.ivr_path))
    for a in context.attempts:
        name = f"{a.target_name} ({a.target})" if a.target_name else a.target
        why = f": {a.detail}" if a.detail else ""
        lines.append(f"Sökte (tried) {name} {a.at.astimezone(CITY_ZONE):%H:%M}: "
                     f"{OUTCOME_LABELS[a.outcome]}{why}")
    if context.earlier_contacts:
        times = ", ".join(f"{c.at.astimezone(CITY_ZONE):%H:%M}" for c in context.earlier_contacts)
        lines.append(f"Tidigare i dag (earlier today): {times}")
    return lines

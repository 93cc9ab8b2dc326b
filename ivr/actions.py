"""What the flow interpreter hears (events, past tense) and what it asks for (actions, imperative).

The FastAGI session turns actions into AGI commands and AGI replies into events.
Each action that waits for the caller or the outside world produces exactly one
event; such an action is always the last in the list the interpreter returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ---- events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybackFinished:
    """A prompt was played to its end (or the caller skipped it)."""


@dataclass(frozen=True)
class DigitsReceived:
    """The caller typed digits (``#`` ends entry and is not included)."""

    digits: str


@dataclass(frozen=True)
class NoInput:
    """The caller typed nothing before the timeout."""


@dataclass(frozen=True)
class CallerHungUp:
    """The caller is gone."""


@dataclass(frozen=True)
class Callee:
    """Someone the caller can be put through to (from the directory)."""

    employee_id: str
    name: str
    dial: str
    unit_id: str | None = None
    unit_topic: str | None = None
    """The unit's first topic (``bygglov``): what the contact center needs if nobody answers."""
    unit_district: str | None = None
    """The unit's first district id: a requirement for the contact center, like the topic."""
    unit_group: str | None = None
    """The unit's answering group (``Unit.phone_group``), rung before the contact center."""
    unit_strategy: str | None = None
    """How the answering group rings (``ring_all``, ``in_order``, ``longest_idle``)."""
    unit_member_ring_s: int | None = None
    """Seconds each member of the answering group rings in a sequential strategy."""
    kind: str = "employee"
    """``employee``, or ``unit`` when the number dialled is a unit's own (``dial`` empty)."""


@dataclass(frozen=True)
class Absence:
    """An absence note as the IVR needs it: what to say and where calls go instead."""

    category: str
    until: str | None
    message: str
    forward_kind: str
    forward_target: str | None


@dataclass(frozen=True)
class LookupCompleted:
    """A directory lookup finished; ``callee`` is None when nobody (listed) has that extension."""

    callee: Callee | None
    absence: Absence | None = None


@dataclass(frozen=True)
class DialCompleted:
    """Asterisk's Dial() ended without the call being answered (``DIALSTATUS``)."""

    status: str


@dataclass(frozen=True)
class NamesFound:
    """A dial-by-name lookup finished: the listed people whose family name matches the keys
    (best first), each with their absence note now, if any."""

    candidates: tuple[Callee, ...]
    absences: tuple[Absence | None, ...] = ()


@dataclass(frozen=True)
class AnnouncementResolved:
    """The text of an operational message in the call's language, or None when it is off now."""

    text: str | None


@dataclass(frozen=True)
class RecordingFinished:
    """The caller's message was recorded (``seconds`` long; 0 if nothing was said)."""

    seconds: float = 0.0


@dataclass(frozen=True)
class IdleTimesRead:
    """When each member of a group last ended a call (epoch seconds; missing: never)."""

    idle_since: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class QueueLoadKnown:
    """How loaded a queue is now (``CheckQueue``); ``known`` is False without a queue side."""

    queue: str
    waiting: int = 0
    """Callers waiting in the queue now."""
    logged_in: int = 0
    """Agents of the queue logged in (paused ones included)."""
    staffed: int = 0
    """Agents of the queue logged in and not paused."""
    estimated_wait_s: float | None = None
    """What a new caller would wait (None: unknown, nobody staffed)."""
    known: bool = True


@dataclass(frozen=True)
class MessageTaken:
    """A message or callback request was stored (and mailed, if ``mailed``) for ``recipient``
    (an e-mail address); ``message_id`` is empty when it could not be stored at all."""

    message_id: str
    recipient: str = ""
    mailed: bool = False


@dataclass(frozen=True)
class FlowFound:
    """The flow a ``goto`` named was found (``flow`` is an ``ivr.flow.Flow``) or not (None)."""

    flow: Any


Event = (
    PlaybackFinished | DigitsReceived | NoInput | CallerHungUp | LookupCompleted | DialCompleted
    | NamesFound | AnnouncementResolved | RecordingFinished | FlowFound | IdleTimesRead
    | QueueLoadKnown | MessageTaken
)

# ---- actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Play a prompt in a language; not interruptible. Produces ``PlaybackFinished``."""

    prompt: str
    language: str


@dataclass(frozen=True)
class Collect:
    """Play a prompt and read up to ``max_digits`` keys.

    Produces ``DigitsReceived`` or ``NoInput``.
    """

    prompt: str
    language: str
    max_digits: int
    timeout_s: float
    node: str


@dataclass(frozen=True)
class LookupExtension:
    """Find the employee with this extension. Produces ``LookupCompleted``."""

    extension: str


@dataclass(frozen=True)
class Dial:
    """Hand the call to Asterisk's Dial(); control returns (``DialCompleted``) if unanswered.

    ``requirements`` (``k=v`` pairs, from a ``dial_group`` node) go with the call when the
    controller queues the group instead of ringing it (the group is an ACD queue)."""

    dial: str
    timeout_s: int
    label: str
    requirements: tuple[tuple[str, str], ...] = ()

    def requirements_text(self) -> str:
        """``k=v;k=v``, as the dialplan and the queue side read it."""
        return ";".join(f"{k}={v}" for k, v in self.requirements)


@dataclass(frozen=True)
class Hangup:
    """End the call."""


@dataclass(frozen=True)
class Say:
    """Say a text made up during the call (an absence note, names) in a language.
    Produces ``PlaybackFinished``; the session synthesises it (espeak-ng) and caches the sound."""

    text: str
    language: str


@dataclass(frozen=True)
class LookupByName:
    """Find listed people whose family name starts with these keypad keys (``NamesFound``)."""

    keys: str
    limit: int


@dataclass(frozen=True)
class CheckAnnouncement:
    """Ask whether an operational message is on now. Produces ``AnnouncementResolved``."""

    name: str
    language: str


@dataclass(frozen=True)
class _QueueHandOver:
    """What a call carries into a queue: requirements (``k=v`` pairs) and a priority."""

    queue: str
    requirements: tuple[tuple[str, str], ...]
    priority: int

    def requirements_text(self) -> str:
        """``k=v;k=v``, as the dialplan and the queue side read it."""
        return ";".join(f"{k}={v}" for k, v in self.requirements)


@dataclass(frozen=True)
class Enqueue(_QueueHandOver):
    """Leave the IVR into a queue; the queue side takes the call from here."""


@dataclass(frozen=True)
class RequestCallback(_QueueHandOver):
    """Leave the IVR after booking a call back to the caller's number in a queue."""


@dataclass(frozen=True)
class Record:
    """Record the caller's message (beep first, ``#`` or silence ends it) as ``name`` in the
    messages folder. Produces ``RecordingFinished``."""

    name: str
    max_s: int


@dataclass(frozen=True)
class ReadIdleTimes:
    """Ask when each member last ended a call (``longest_idle``). Produces ``IdleTimesRead``."""

    members: tuple[str, ...]


@dataclass(frozen=True)
class NoteAttempt:
    """Record in the call's context that putting the caller through failed: whom
    (``target`` as dialled, ``target_name`` as people read it), how (``status``: Asterisk's
    DIALSTATUS, or ``ABSENT`` for an absence note) and why in words (``detail``).
    Produces nothing; never the last action of a list."""

    target: str
    target_name: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class CheckQueue:
    """Ask how loaded a queue is. Produces ``QueueLoadKnown``."""

    queue: str


@dataclass(frozen=True)
class TakeMessage:
    """Store, then e-mail, a message or callback request. Produces ``MessageTaken``.

    The recipient is the employee ``employee_id`` or, when there is none or they cannot be
    found, the mailbox of the unit ``unit_id``; with neither, the switchboard's own."""

    request: str
    """``message`` or ``callback``."""
    caller: str
    """The caller's number ("" when hidden)."""
    employee_id: str | None = None
    unit_id: str | None = None
    recording: str = ""
    """The recording's name in the messages folder (``absent/<call id>``), "" for none."""
    seconds: float = 0.0


@dataclass(frozen=True)
class SwitchFlow:
    """Continue the call in another flow. Produces ``FlowFound``."""

    flow: str


Action = (
    Play | Collect | LookupExtension | Dial | Hangup | Say | LookupByName | CheckAnnouncement
    | Enqueue | RequestCallback | Record | SwitchFlow | ReadIdleTimes | NoteAttempt
    | CheckQueue | TakeMessage
)

#: Actions that wait for an event before the interpreter can go on.
WAITING_ACTIONS = (Play, Collect, LookupExtension, Dial, Say, LookupByName, CheckAnnouncement,
                   Record, SwitchFlow, ReadIdleTimes, CheckQueue, TakeMessage)
#: Actions that end the IVR's part of the call (the dialplan takes over).
LEAVING_ACTIONS = (Dial, Hangup, Enqueue, RequestCallback)

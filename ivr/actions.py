"""What the flow interpreter hears (events, past tense) and what it asks for (actions, imperative).

The FastAGI session turns actions into AGI commands and AGI replies into events.
Each action that waits for the caller or the outside world produces exactly one
event; such an action is always the last in the list the interpreter returns.
"""

from __future__ import annotations

from dataclasses import dataclass

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


Event = PlaybackFinished | DigitsReceived | NoInput | CallerHungUp | LookupCompleted | DialCompleted

# ---- actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Play a prompt in a language; not interruptible. Produces ``PlaybackFinished``."""

    prompt: str
    language: str


@dataclass(frozen=True)
class Collect:
    """Play a prompt and read up to ``max_digits`` keys. Produces ``DigitsReceived`` or ``NoInput``."""

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
    """Hand the call to Asterisk's Dial(); control returns (``DialCompleted``) only if unanswered."""

    dial: str
    timeout_s: int
    label: str


@dataclass(frozen=True)
class Hangup:
    """End the call."""


Action = Play | Collect | LookupExtension | Dial | Hangup

#: Actions that wait for an event before the interpreter can go on.
WAITING_ACTIONS = (Play, Collect, LookupExtension, Dial)

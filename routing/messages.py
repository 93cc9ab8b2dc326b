"""Events the routing engine consumes and commands it returns.

Events are facts in the past tense, reported by adapters (the IVR hand-over, agent
phones and CLI, the call control, the clock). Commands are imperatives the service
executes (ring a device, say a position, write to Redis) before it feeds the outcome
back as events. All are frozen dataclasses; none carries behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class CallEnqueued:
    """The IVR (or a transfer) handed a call to a queue."""

    call_id: str
    queue: str
    requirements: tuple[str, ...] = ()
    priority: int = 0
    caller: str = ""
    #: Set by a controller that restores a call whose last agent it already knows.
    last_agent: str | None = None
    #: When the caller first queued; a restored or re-queued call keeps its place.
    #: None: now.
    enqueued_at: float | None = None
    #: Restoring a call whose caller already chose a callback.
    callback_requested: bool = False


@dataclass(frozen=True, slots=True)
class CallRestored:
    """A controller (re)starting found this call connected to `agent_id` (store and
    Asterisk agree); the engine takes it over as connected."""

    call_id: str
    queue: str
    agent_id: str
    enqueued_at: float
    answered_at: float
    requirements: tuple[str, ...] = ()
    priority: int = 0
    caller: str = ""


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    """The caller hung up (waiting, ringing an agent or connected)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    """The waiting caller asked to be called back; they keep their place."""

    call_id: str


@dataclass(frozen=True, slots=True)
class AgentLoggedIn:
    agent_id: str
    employee_id: str
    device: str
    skills: Mapping[str, int] = field(default_factory=dict)
    queues: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    agent_id: str


@dataclass(frozen=True, slots=True)
class AgentPaused:
    agent_id: str
    reason: str = "paus"


@dataclass(frozen=True, slots=True)
class AgentUnpaused:
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferAnswered:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferTimedOut:
    """The agent's device rang for the whole ring timeout without answering."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferRejected:
    """The agent's device declined (busy, rejected): counts as a miss."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class ClaimFailed:
    """The store refused the (agent, call) claim: another controller got there first.

    Not the agent's fault: no miss is counted. `call_taken`: another controller has
    the call (it leaves this engine). `agent_taken`: another controller has the agent
    (this engine forgets the agent until the store reports a new login)."""

    call_id: str
    agent_id: str
    call_taken: bool = False
    agent_taken: bool = False


@dataclass(frozen=True, slots=True)
class CallEnded:
    """A connected call ended (either side hung up)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class WrapUpEnded:
    """The agent ended wrap-up early (feature code or console)."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class TimerFired:
    """The adapter's timer armed at `Engine.next_deadline()` went off."""


Event = (
    CallEnqueued | CallRestored | CallAbandoned | CallbackRequested | AgentLoggedIn | AgentLoggedOut
    | AgentPaused | AgentUnpaused | OfferAnswered | OfferTimedOut | OfferRejected
    | ClaimFailed | CallEnded | WrapUpEnded | TimerFired
)

# ---------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class OfferCall:
    """Claim (agent, call) in the store, then ring `device` for `ring_timeout` seconds.

    With `callback` the caller is not on the line: ring the agent first, then call
    the citizen back on `caller`."""

    call_id: str
    agent_id: str
    device: str
    ring_timeout: float
    callback: bool = False
    caller: str = ""


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing the agent's device for this call."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class AnnounceWait:
    """Tell the caller their place (1 = next) and estimated wait (None: unknown)."""

    call_id: str
    position: int
    estimated_wait_s: float | None


@dataclass(frozen=True, slots=True)
class OfferCallback:
    """Offer the waiting caller a callback ("tryck 1 för att bli uppringd")."""

    call_id: str


@dataclass(frozen=True, slots=True)
class PauseAgent:
    """The agent is paused after too many missed offers (`RoutingStore.release` records
    the same pause in the store atomically with the miss)."""

    agent_id: str
    reason: str = "missed calls"


@dataclass(frozen=True, slots=True)
class RejectCall:
    """The queue cannot take the call (nobody logged in); route it elsewhere."""

    call_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class LeaveQueue:
    """The call leaves the queue without an agent (maximum wait reached)."""

    call_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """A state change the engine made. The store's scripts append their own changes to
    the stream; `RoutingLoop` uses these to mirror the engine's timer-driven ones, and
    `RoutingStore.record` can append one for facts only the engine knows."""

    kind: str
    at: float
    call_id: str | None = None
    agent_id: str | None = None
    state: str | None = None
    cause: str | None = None


Command = (
    OfferCall | CancelOffer | AnnounceWait | OfferCallback | PauseAgent | RejectCall
    | LeaveQueue | RecordEvent
)

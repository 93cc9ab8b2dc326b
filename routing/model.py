"""The routing domain model: skills, agents, queues, escalation steps and calls.

Everything here is an immutable value (frozen dataclasses) plus pure helpers that
answer "what does this call require at time `now`?". Invariants: skill levels are
1..5, priorities 0..9, escalation steps are in ascending order of `after_seconds`;
constructing a value that breaks one raises `ConfigError` naming the field. Time is
always passed in as `now` (seconds, float); nothing here reads a clock.

Skill names are ``kind:value`` (``topic:bygglov``, ``lang:sv``, ``district:bromma``).
A call lists the skills the caller needs; the queue's escalation steps say, per
step, which of them are required and at what minimum level (see `requirements_at`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from routing.errors import ConfigError

#: Lowest and highest skill level an agent can have.
MIN_LEVEL, MAX_LEVEL = 1, 5
#: Lowest and highest call priority (9 is served first).
MIN_PRIORITY, MAX_PRIORITY = 0, 9
#: Pause reason the engine uses when an agent misses too many offers (operators read it).
MISSED_CALLS_REASON = "missed calls"


class AgentState(enum.Enum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    OFFERED = "offered"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class CallState(enum.Enum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"


class NobodyLoggedIn(enum.Enum):
    """What a queue does with a new call when no agent is logged in to it."""

    QUEUE = "queue"  #: queue the call anyway (agents may log in)
    REJECT = "reject"  #: tell the controller to route the call elsewhere (RejectCall)
    CALLBACK = "callback"  #: offer a callback at once (OfferCallback)


def skill_kind(skill: str) -> str:
    """``topic:bygglov`` -> ``topic``; a name without a colon is its own kind."""
    return skill.split(":", 1)[0]


def parse_skill(text: str, where: str = "skill") -> tuple[str, int]:
    """Parse ``topic:bygglov=3`` (level defaults to 1) into ``("topic:bygglov", 3)``."""
    name, _, level_text = text.partition("=")
    name = name.strip()
    if not name or ":" not in name:
        raise ConfigError(where, f"{text!r} is not kind:value[=level]")
    try:
        level = int(level_text) if level_text else MIN_LEVEL
    except ValueError:
        raise ConfigError(where, f"{text!r}: level must be a whole number") from None
    check_level(level, where)
    return name, level


def check_level(level: int, where: str) -> None:
    if not MIN_LEVEL <= level <= MAX_LEVEL:
        raise ConfigError(where, f"level {level} is outside {MIN_LEVEL}..{MAX_LEVEL}")


@dataclass(frozen=True, slots=True, order=True)
class Requirement:
    """One required skill (a full ``kind:value`` name, or in an escalation step
    just a ``kind``, meaning "the call's skill of that kind") at a minimum level."""

    skill: str
    min_level: int = MIN_LEVEL

    def __post_init__(self) -> None:
        check_level(self.min_level, f"requirement {self.skill}")


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """From `after_seconds` of waiting on, the call needs only `requirements`.

    An empty `requirements` means "any agent of the queue"."""

    after_seconds: float
    requirements: tuple[Requirement, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """One queue (``kontaktcenter``, ``operators``); one docstring per field below."""

    name: str
    #: Service-level target: `service_level_pct` percent answered within this many seconds.
    service_level_s: float = 60.0
    #: Service-level target percentage.
    service_level_pct: float = 80.0
    #: Seconds an agent stays in wrap-up after a call of this queue.
    wrap_up_s: float = 10.0
    #: Longest a caller waits before the call leaves the queue (`LeaveQueue`); None: no limit.
    max_wait_s: float | None = 1800.0
    #: How long an offer rings the agent's device before it counts as missed.
    ring_timeout_s: float = 15.0
    #: Missed offers in a row after which the agent is paused with `MISSED_CALLS_REASON`.
    max_misses: int = 3
    #: Ordered relaxation of requirements as the caller waits; empty: all the call's skills at 1.
    escalation: tuple[EscalationStep, ...] = ()
    #: A caller phoning back within this many seconds is offered first to their last agent.
    sticky_window_s: float = 3600.0
    #: What to do with a new call when no agent is logged in to the queue.
    when_nobody_logged_in: NobodyLoggedIn = NobodyLoggedIn.QUEUE
    #: Offer a callback after this many seconds of waiting; None: never.
    callback_after_s: float | None = 300.0
    #: Announce position and estimated wait this often while a caller waits.
    announce_every_s: float = 60.0
    #: Handle time (talk + wrap-up) assumed before any call of the queue has been handled.
    default_handle_s: float = 180.0
    #: How many recent handle times the wait estimate averages over.
    handle_window: int = 20

    def __post_init__(self) -> None:
        where = f"queue {self.name!r}"
        if not self.name:
            raise ConfigError("queue", "name is empty")
        for fname in ("service_level_s", "wrap_up_s", "ring_timeout_s", "announce_every_s"):
            if getattr(self, fname) < 0:
                raise ConfigError(f"{where} field {fname}", "must not be negative")
        if self.ring_timeout_s == 0 or self.announce_every_s == 0 or self.default_handle_s <= 0:
            raise ConfigError(where, "ring, announce and default handle times must be > 0")
        if self.max_misses < 1 or self.handle_window < 1:
            raise ConfigError(where, "max_misses and handle_window must be at least 1")
        if not 0 < self.service_level_pct <= 100:
            raise ConfigError(f"{where} field service_level_pct", "must be in (0, 100]")
        starts = [s.after_seconds for s in self.escalation]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ConfigError(f"{where} field escalation", "after_seconds must strictly ascend")
        if starts and starts[0] != 0:
            raise ConfigError(f"{where} field escalation", "the first step must start at 0")


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent (linked to a directory employee by `employee_id`) and their live state."""

    id: str
    employee_id: str
    device: str
    skills: Mapping[str, int]
    queues: frozenset[str]
    state: AgentState = AgentState.LOGGED_OUT
    pause_reason: str | None = None
    idle_since: float = 0.0
    missed: int = 0
    call_id: str | None = None

    def __post_init__(self) -> None:
        for name, level in self.skills.items():
            check_level(level, f"agent {self.id!r} skill {name}")

    def level(self, skill: str) -> int:
        return self.skills.get(skill, 0)


@dataclass(frozen=True, slots=True)
class Call:
    """A call in a queue. `requirements` are the skill names the caller needs.

    `enqueued_at` and `seq` fix the caller's place: they never change while the
    call is in the queue, so a missed offer puts it back exactly where it was."""

    id: str
    queue: str
    requirements: tuple[str, ...] = ()
    priority: int = 0
    enqueued_at: float = 0.0
    caller: str = ""
    escalation: tuple[EscalationStep, ...] = ()
    callback_requested: bool = False
    last_agent: str | None = None
    seq: int = 0
    state: CallState = CallState.WAITING
    agent_id: str | None = None
    answered_at: float | None = None

    def __post_init__(self) -> None:
        if not MIN_PRIORITY <= self.priority <= MAX_PRIORITY:
            raise ConfigError(
                f"call {self.id!r} field priority",
                f"{self.priority} is outside {MIN_PRIORITY}..{MAX_PRIORITY}",
            )
        for skill in self.requirements:
            if ":" not in skill:
                raise ConfigError(f"call {self.id!r} requirement", f"{skill!r} is not kind:value")

    def order_key(self) -> tuple[int, float, int]:
        """Serve order: highest priority, then longest wait, then arrival sequence."""
        return (-self.priority, self.enqueued_at, self.seq)


def step_index(call: Call, now: float) -> int:
    """Index of the escalation step in force for `call` at `now` (0 without steps)."""
    index = 0
    for i, step in enumerate(call.escalation):
        # Same expression as `next_step_at`, so a timer firing at that deadline sees
        # the new step (now - enqueued_at may round below after_seconds).
        if call.enqueued_at + step.after_seconds <= now:
            index = i
    return index


def requirements_at(call: Call, now: float) -> tuple[Requirement, ...]:
    """What an agent needs to take `call` at `now`, sorted (usable as an index key).

    Without escalation steps every skill of the call is required at level 1. With
    steps, the step in force lists requirements; one naming a kind (``topic``)
    applies to the call's skill of that kind, one naming a full skill applies as is.
    A kind the call has no skill of is ignored. The caller's place is unaffected."""
    if not call.escalation:
        return tuple(sorted(Requirement(s) for s in set(call.requirements)))
    step = call.escalation[step_index(call, now)]
    by_skill: dict[str, int] = {}
    for req in step.requirements:
        names = [req.skill] if ":" in req.skill else [
            s for s in call.requirements if skill_kind(s) == req.skill
        ]
        for name in names:
            by_skill[name] = max(by_skill.get(name, 0), req.min_level)
    return tuple(sorted(Requirement(n, lvl) for n, lvl in by_skill.items()))


def next_step_at(call: Call, now: float) -> float | None:
    """When the next escalation step of `call` starts (absolute time), or None."""
    for step in call.escalation:
        at = call.enqueued_at + step.after_seconds
        if at > now:
            return at
    return None

"""Call control decisions for the ACD on Asterisk: pure translations, no I/O.

`routing.service` (the adapter) feeds AMI events, Redis stream entries and originate
outcomes through these functions and performs what they return. Invariants: a
caller's call id is the Uniqueid of the caller's channel (the one that ran the IVR);
an offer's agent leg has the channel id ``vxo-<call id>-<n>`` so that a controller
taking over can find (and hang up) the legs of offers it did not make; a callback
call's caller is not on the line, so its caller hanging up is not an abandonment.
Configuration strings (``topic=bygglov;lang=sv``, ``30:topic=3,district``) are
parsed here and a mistake names the queue and key.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra import config
from routing import messages as m
from routing.errors import ConfigError
from routing.estimate import estimate_wait
from routing.model import (
    Agent,
    AgentState,
    Call,
    CallState,
    EscalationStep,
    QueueConfig,
    Requirement,
    skill_kind,
)

#: The holding context callers wait in (asterisk-config/extensions.conf.in).
HOLD_CONTEXT = "vaxel-hold"
#: The context an agent's leg runs once the agent answers.
AGENT_CONTEXT = "vaxel-agent"
#: Prefix of agent-leg channel ids: ``vxo-<call id>-<attempt>``.
OFFER_PREFIX = "vxo-"
#: Asterisk's OriginateResponse ``Reason`` codes (enum ast_control_frame_type) that
#: mean the agent's phone refused: hung up (1), busy (5), congestion (8).
REJECT_REASONS = frozenset({"1", "5", "8"})


@dataclass(frozen=True, slots=True)
class QueueLoad:
    """How loaded a queue is, for a caller about to be sent there (the IVR's
    ``queue_status``): callers waiting, agents logged in, agents staffed (logged in and
    not paused) and the estimated wait of one more caller (None: nobody staffed)."""

    queue: str
    waiting: int
    logged_in: int
    staffed: int
    estimated_wait_s: float | None


def queue_load(queue: str, waiting: int, agents: Iterable[Agent],
               average_handle_s: float) -> QueueLoad:
    """The load from the queue's waiting calls and its agents: the estimate of
    `routing.estimate` for the place after the last caller, over every staffed member
    (the new caller's own requirements are not known yet)."""
    members = [x for x in agents if queue in x.queues and x.state is not AgentState.LOGGED_OUT]
    staffed = sum(1 for x in members if x.state is not AgentState.PAUSED)
    return QueueLoad(queue, waiting, len(members), staffed,
                     estimate_wait(waiting + 1, average_handle_s, staffed))


def offer_channel_id(call_id: str, attempt: int) -> str:
    return f"{OFFER_PREFIX}{call_id}-{attempt}"


def is_leg_of(uniqueid: str, call_id: str) -> bool:
    """Is `uniqueid` an agent leg (either half of a Local channel) of an offer of `call_id`?"""
    prefix = f"{OFFER_PREFIX}{call_id}-"
    rest = uniqueid[len(prefix):]
    return uniqueid.startswith(prefix) and rest.split(";")[0].isdigit()


# ------------------------------------------------------------ configuration


def parse_requirements(text: str, where: str) -> tuple[str, ...]:
    """``topic=bygglov;lang=sv`` -> ``("topic:bygglov", "lang:sv")`` (empty: none)."""
    skills: list[str] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        kind, sep, value = part.partition("=")
        if not sep or not kind.strip() or not value.strip() or ":" in kind:
            raise ConfigError(where, f"{part!r} is not kind=value")
        skills.append(f"{kind.strip()}:{value.strip()}")
    return tuple(skills)


def call_requirements(defaults: str, requirements: str, where: str) -> tuple[str, ...]:
    """The skills a handed-over call needs: the queue's ``defaults`` (``lang=sv``), with
    each kind the call names itself (``lang=en;district=sodermalm``) taking its value
    from the call instead."""
    own = parse_requirements(requirements, where)
    kinds = {skill_kind(s) for s in own}
    kept = [s for s in parse_requirements(defaults, where) if skill_kind(s) not in kinds]
    return tuple(dict.fromkeys([*own, *kept]))


def parse_escalation(steps: Iterable[str], where: str) -> tuple[EscalationStep, ...]:
    """``["0:topic=3,district", "30:topic", "90:"]`` -> escalation steps.

    Each requirement is a kind (the call's skill of that kind) or a full ``kind:value``
    skill, with an optional ``=level`` (default 1); an empty list: any agent."""
    out: list[EscalationStep] = []
    for i, text in enumerate(steps):
        here = f"{where}[{i}]"
        after, sep, reqs = text.partition(":")
        try:
            seconds = float(after)
        except ValueError:
            raise ConfigError(here, f"{text!r}: expected <seconds>:<requirements>") from None
        if not sep or seconds < 0:
            raise ConfigError(here, f"{text!r}: expected <seconds>:<requirements>")
        out.append(EscalationStep(seconds, tuple(_requirement(r, here)
                                                 for r in reqs.split(",") if r.strip())))
    return tuple(out)


def _requirement(text: str, where: str) -> Requirement:
    name, _, level = text.strip().partition("=")
    if not level:
        return Requirement(name)
    if not level.isdigit():
        raise ConfigError(where, f"{text!r}: level must be a whole number")
    return Requirement(name, int(level))


def queue_config(name: str, s: Any) -> QueueConfig:
    """A routing `QueueConfig` from ``infra.config.QueueSettings`` (raises `ConfigError`)."""
    where = f"queues.{name}"
    parse_requirements(s.requirements, f"{where}.requirements")
    return QueueConfig(
        name=name, ring_timeout_s=float(s.ring_timeout_s), wrap_up_s=float(s.wrap_up_s),
        max_misses=s.max_misses, max_wait_s=float(s.max_wait_s) or None,
        callback_after_s=(float(s.callback_after_s) or None) if s.callback_dial else None,
        announce_every_s=float(s.announce_every_s),
        service_level_s=float(s.service_level_s), service_level_pct=float(s.service_level_pct),
        escalation=parse_escalation(s.escalation, f"{where}.escalation"))


def check_queue_settings(name: str, settings: Any) -> list[str]:
    """Problems of one ``[queues.<name>]`` section, each naming the key (empty: fine)."""
    problems = []
    try:
        queue_config(name, settings)
    except ConfigError as exc:
        where = f"queues.{name}"
        problems.append(str(exc) if exc.where.startswith(where) else f"{where}: {exc}")
    for key in ("priority", "return_priority"):
        if not 0 <= getattr(settings, key) <= 9:
            problems.append(f"queues.{name}.{key}: {getattr(settings, key)} is outside 0..9")
    if settings.hold_s < 1:
        problems.append(f"queues.{name}.hold_s: must be at least 1")
    return problems


def parse_config(data: Mapping[str, Any], source: str,
                 env: Mapping[str, str] | None = None) -> config.Config:
    """The configuration from parsed TOML, its queue sections checked by the routing rules."""
    return config.parse_config(data, source, env, queue_check=check_queue_settings)


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> config.Config:
    """The configuration file (None: defaults), its queue sections checked by the routing
    rules: what every command that runs or reads queues loads."""
    return config.load_config(path, env, queue_check=check_queue_settings)


# ------------------------------------------------------------ announcements

#: Places and minutes with a prompt of their own (dialplans/prompts-queue.yaml).
MAX_PLACE_PROMPT = 9
MAX_WAIT_PROMPT_MIN = 10


def announcement(position: int, estimated_wait_s: float | None) -> list[str]:
    """The prompt keys that tell a caller their place and estimated wait (None: unknown,
    nothing said about the wait)."""
    if position <= 0:
        keys = []
    elif position == 1:
        keys = ["queue_next"]
    elif position <= MAX_PLACE_PROMPT:
        keys = [f"queue_place_{position}"]
    else:
        keys = ["queue_place_many"]
    if estimated_wait_s is not None:
        minutes = max(1, round(estimated_wait_s / 60))
        keys.append(f"queue_wait_{minutes}" if minutes <= MAX_WAIT_PROMPT_MIN
                    else "queue_wait_long")
    return keys


# ------------------------------------------------------------ agent feature codes


def device_number(device: str) -> str:
    """``PJSIP/1001`` -> ``1001``; ``Local/2001@sim-phones`` -> ``2001``."""
    return device.partition("/")[2].partition("@")[0]


def agent_for_phone(agents: Iterable[Any], number: str) -> Any | None:
    """The agent whose device is the phone `number` (feature codes *41..*43)."""
    return next((a for a in agents if number and device_number(a.device) == number), None)


def feature_code_effect(action: str, state: Any) -> str | None:
    """What *41 (login), *42 (logout), *43 (pause toggle) do to an agent in `state`:
    ``login``, ``logout``, ``pause``, ``unpause``, or None (nothing to do)."""
    from routing.model import AgentState as S

    if action == "login":
        return "login" if state is S.LOGGED_OUT else None
    if action == "logout":
        return None if state is S.LOGGED_OUT else "logout"
    if action == "pause":
        if state is S.PAUSED:
            return "unpause"
        return "pause" if state in (S.AVAILABLE, S.WRAP_UP) else None
    return None


# ------------------------------------------------------------ AMI -> routing events


class HangupMeaning(enum.Enum):
    ABANDONED = "abandoned"  #: the caller left while waiting or ringing an agent
    ENDED = "ended"  #: a connected call ended
    IGNORED = "ignored"  #: a callback caller hanging up, or nothing of ours


def hangup_meaning(call: Call | None) -> HangupMeaning:
    """What the caller's channel hanging up means for a call the engine has."""
    if call is None:
        return HangupMeaning.IGNORED
    if call.state is CallState.CONNECTED:
        return HangupMeaning.IGNORED if call.callback_requested else HangupMeaning.ENDED
    return HangupMeaning.IGNORED if call.callback_requested else HangupMeaning.ABANDONED


def originate_outcome(response: Mapping[str, Any], call_id: str, agent_id: str) -> m.Event:
    """An ``OriginateResponse`` of an agent leg -> the engine's offer outcome."""
    if response.get("Response") == "Success":
        return m.OfferAnswered(call_id, agent_id)
    if str(response.get("Reason", "")) in REJECT_REASONS:
        return m.OfferRejected(call_id, agent_id)
    return m.OfferTimedOut(call_id, agent_id)


#: Stream causes of agent changes made outside the router (CLI, console, phone codes).
EXTERNAL_AGENT_CAUSES = frozenset({"AgentLoggedIn", "AgentLoggedOut", "AgentPaused",
                                   "AgentUnpaused", "WrapUpEnded"})


def agent_sync(stored: Any, known: Any) -> list[m.Event]:
    """Events that bring the engine's agent (`known`, None if unknown) to the store's
    (`stored`, a `routing.model.Agent`): logins, logouts, pauses made elsewhere."""
    from routing.model import AgentState as S

    engine_state = S.LOGGED_OUT if known is None else known.state
    if stored.state is S.LOGGED_OUT:
        return [] if engine_state is S.LOGGED_OUT else [m.AgentLoggedOut(stored.id)]
    if engine_state is S.LOGGED_OUT:
        login: list[m.Event] = [m.AgentLoggedIn(stored.id, stored.employee_id, stored.device,
                                                dict(stored.skills), stored.queues)]
        if stored.state is S.PAUSED:
            login.append(m.AgentPaused(stored.id, stored.pause_reason or ""))
        return login
    if stored.state is S.PAUSED and engine_state in (S.AVAILABLE, S.OFFERED, S.WRAP_UP):
        return [m.AgentPaused(stored.id, stored.pause_reason or "")]
    if stored.state is S.AVAILABLE and engine_state is S.PAUSED:
        return [m.AgentUnpaused(stored.id)]
    if stored.state is S.AVAILABLE and engine_state is S.WRAP_UP:
        return [m.WrapUpEnded(stored.id)]
    return []


# ------------------------------------------------------------ take-over


@dataclass(frozen=True, slots=True)
class Channel:
    """What a take-over needs of one ``CoreShowChannel`` event."""

    uniqueid: str
    name: str
    context: str
    bridged: bool

    @classmethod
    def from_event(cls, e: Mapping[str, Any]) -> Channel:
        return cls(str(e.get("Uniqueid", "")), str(e.get("Channel", "")),
                   str(e.get("Context", "")), bool(e.get("BridgeId")))


@dataclass(frozen=True, slots=True)
class TakeoverPlan:
    """How a controller taking over settles the store against Asterisk's channels."""

    #: Offered calls whose caller is already bridged with the agent: connect in the store.
    answer: tuple[Call, ...] = ()
    #: Offered calls not bridged: hang up these agent legs, put the call back (no miss).
    release: tuple[tuple[Call, tuple[str, ...]], ...] = ()
    #: Calls whose caller (or, for a callback, agent leg) is gone: (call id, cause).
    finish: tuple[tuple[str, str], ...] = ()
    #: Channels in the holding context that the store does not know: re-queue them.
    requeue: tuple[Channel, ...] = ()


def plan_takeover(calls: Iterable[Call], channels: Iterable[Channel]) -> TakeoverPlan:
    """Compare the store's calls with Asterisk's live channels (see `TakeoverPlan`)."""
    live = {c.uniqueid: c for c in channels}
    answer: list[Call] = []
    release: list[tuple[Call, tuple[str, ...]]] = []
    finish: list[tuple[str, str]] = []
    known: set[str] = set()
    for call in calls:
        known.add(call.id)
        legs = tuple(u for u in live if is_leg_of(u, call.id))
        present = bool(legs) if call.callback_requested and call.state is not CallState.WAITING \
            else call.id in live or call.callback_requested
        if not present:
            cause = "call_ended" if call.state is CallState.CONNECTED else "call_abandoned"
            finish.append((call.id, cause))
        elif call.state is CallState.OFFERED:
            caller = live.get(call.id)
            if caller is not None and caller.bridged and legs:
                answer.append(call)
            else:
                release.append((call, legs))
    requeue = tuple(c for c in live.values()
                    if c.context == HOLD_CONTEXT and c.uniqueid not in known)
    return TakeoverPlan(tuple(answer), tuple(release), tuple(finish), requeue)

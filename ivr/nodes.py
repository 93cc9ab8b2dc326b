"""The node kinds of a flow file, as frozen dataclasses (one per ``kind:``).

Each class documents what the node does for a caller; its fields are the YAML
fields of that kind (the loader in ``ivr.flow`` maps YAML names that differ, such
as ``timeout`` -> ``timeout_s``). Fields that name another node are listed in
``NODE_REF_FIELDS``, fields that name a prompt in ``PROMPT_REF_FIELDS``, so the
loader, the linter, the drawing and the diff all follow the same edges.
Invariant: nodes hold only names (of nodes, prompts, groups, queues); resolving
them is the loader's and the linter's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: Languages a caller can choose; the first is the default.
LANGUAGES: tuple[str, ...] = ("sv", "en", "fi")
#: Languages whose prompt texts are written in the flow file itself; the others come from a
#: translator's folder, ``dialplans/prompts/<lang>/`` (``ivr.translations``).
FLOW_TEXT_LANGUAGES: tuple[str, ...] = ("sv", "en")
#: Keys a caller can press.
DTMF_KEYS = frozenset("0123456789*#")
#: Checks a ``collect`` node can apply to what the caller typed.
Validation = Literal["digits", "luhn", "personnummer"]
VALIDATIONS: tuple[str, ...] = ("digits", "luhn", "personnummer")
#: What a ``message`` node takes for the person the caller tried to reach.
REQUESTS: tuple[str, ...] = ("message", "callback")
#: A ``message`` node's default recipient: the person the last lookup found.
CALLEE_RECIPIENT = "${callee}"
#: A ``message`` node's recipient that is a unit's mailbox: ``unit:<unit id>``.
UNIT_RECIPIENT_PREFIX = "unit:"


@dataclass(frozen=True)
class PlayNode:
    """Play one prompt (not interruptible), then go on. ``say_hours`` names a
    ``time_condition`` node: after the prompt the caller hears its hours today and when it
    opens next, made from that node's schedule (never a fixed sentence)."""

    prompt: str
    next: str
    say_hours: str | None = None


@dataclass(frozen=True)
class MenuNode:
    """Play a prompt and wait for one key; ``choices`` maps a key to the next node."""

    prompt: str
    choices: Mapping[str, str]
    timeout_s: float = 5.0
    max_attempts: int = 3
    on_failure: str | None = None
    invalid_prompt: str | None = None
    no_input_next: str | None = None


@dataclass(frozen=True)
class CollectNode:
    """Play a prompt and collect several digits (ended by ``#`` or the timeout) into ``variable``.

    ``validate``: ``digits`` (only length and digits), ``luhn`` (the last digit is a
    Luhn check digit), ``personnummer`` (10 or 12 digits, a plausible date, Luhn over
    the last 10). What the caller typed is never logged.
    """

    prompt: str
    next: str
    variable: str = "digits"
    min_digits: int = 1
    max_digits: int = 6
    timeout_s: float = 5.0
    max_attempts: int = 3
    on_failure: str | None = None
    invalid_prompt: str | None = None
    validate: str = "digits"


@dataclass(frozen=True)
class SetLanguageNode:
    """Switch the call's language (prompts from now on are played in it)."""

    language: str
    next: str


@dataclass(frozen=True)
class SetVariablesNode:
    """Set call variables (``district: sodermalm``), then go on. They stay set for the
    rest of the call, also in a flow a ``goto`` continues in; a value may use
    ``${...}`` of variables already set. The caller hears nothing."""

    variables: Mapping[str, str]
    next: str


@dataclass(frozen=True)
class TimeConditionNode:
    """Branch on the opening hours (weekly hours, Swedish holidays and eves, exceptions)."""

    schedule: Any  # ivr.timeconditions.Schedule
    open: str
    closed: str


@dataclass(frozen=True)
class TimeWindow:
    """One named window of a ``time_switch``: its hours and where it leads."""

    schedule: Any  # ivr.timeconditions.Schedule
    next: str


@dataclass(frozen=True)
class TimeSwitchNode:
    """Branch on several named time windows (day, evening, ...); ``otherwise`` when none is open.

    The linter reports windows that overlap and the gaps between them.
    """

    windows: Mapping[str, TimeWindow]
    otherwise: str


@dataclass(frozen=True)
class AnnouncementNode:
    """Say an operational message (from ``announcements.yaml``) if it is on now, then go on.

    The message, its start and end and whether it is enabled live outside the flow,
    so a storm warning is switched on and off without editing the flow.
    """

    announcement: str
    next: str


@dataclass(frozen=True)
class LookupExtensionNode:
    """Look the collected digits up as an employee's extension in the directory.

    ``absent``: where to go when the person found has an absence note now.
    ``unit_found``: where to go when the number is a unit's own number (the unit becomes
    the callee: its answering group and contact-center requirements); without it a unit
    number counts as not found.
    """

    variable: str
    found: str
    not_found: str
    absent: str | None = None
    not_found_prompt: str | None = None
    counts_against: str | None = None
    unit_found: str | None = None


@dataclass(frozen=True)
class DialByNameNode:
    """The caller spells the family name on the keypad; the directory returns candidates.

    One candidate: go to ``found`` (a ``transfer`` rings them). Two to
    ``max_candidates``: the caller hears them by name ("for Anna Ek, press 1")
    and ``choose_prompt``, and picks one with a key.
    None: ``not_found_prompt``; too many: ``too_many_prompt`` (else ``not_found_prompt``);
    then again, ``on_failure`` after ``max_attempts``.
    """

    prompt: str
    choose_prompt: str
    found: str
    on_failure: str
    absent: str | None = None
    not_found_prompt: str | None = None
    too_many_prompt: str | None = None
    min_keys: int = 3
    max_keys: int = 10
    max_candidates: int = 5
    timeout_s: float = 6.0
    max_attempts: int = 3


@dataclass(frozen=True)
class AbsenceNoteNode:
    """Say the absence note of the person looked up (category, until when, message), then
    offer its forward target: ``to_colleague`` (the extension goes into ``extension``),
    ``to_unit`` (the unit id into ``unit``) or ``to_contact_center``; ``otherwise`` when
    it has none or the node leaves that target out."""

    otherwise: str
    to_colleague: str | None = None
    to_unit: str | None = None
    to_contact_center: str | None = None


@dataclass(frozen=True)
class TransferNode:
    """Put the caller through: to the employee found by the last lookup (default), to a
    ``unit`` (via the queue side), or to an external ``number``; ``on_no_answer`` otherwise."""

    timeout_s: int
    on_no_answer: str
    prompt: str | None = None
    unit: str | None = None
    number: str | None = None


@dataclass(frozen=True)
class DialGroupNode:
    """Ring a group from the configuration (operators, contact center, a unit's answering
    group) by ``strategy``: ``ring_all`` (everyone at once for the group's timeout),
    ``in_order`` or ``longest_idle`` (one member after another, each for
    ``member_timeout_s``, within the group's timeout), or ``unit``: the strategy and
    member ring time of the callee's unit in the directory (see ``ivr.answering``).

    When the configuration makes the group an ACD queue (``[queues.<name>] group``),
    the call is queued instead, carrying ``requirements`` (``district=${district}``;
    a pair whose value comes out empty is left out). A plain ring group ignores them.
    """

    group: str
    on_no_answer: str | None = None
    prompt: str | None = None
    strategy: str = "ring_all"
    member_timeout_s: int = 15
    requirements: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EnqueueNode:
    """Put the caller in a queue with requirements (``topic=bygglov lang=${language}``).

    Values may use ``${language}``, ``${caller}`` and collected variables. The queue
    side (outside the IVR) answers the call; the flow ends here.
    """

    queue: str
    requirements: Mapping[str, str] = field(default_factory=dict)
    priority: int = 0
    prompt: str | None = None


@dataclass(frozen=True)
class CallbackOfferNode:
    """Offer a call back instead of waiting: ``accept_key`` books it in ``queue`` (the
    caller hears ``confirm_prompt``, then the call ends); any other key or silence
    goes to ``decline``."""

    prompt: str
    queue: str
    decline: str
    confirm_prompt: str
    requirements: Mapping[str, str] = field(default_factory=dict)
    priority: int = 0
    accept_key: str = "1"
    timeout_s: float = 5.0


@dataclass(frozen=True)
class VoicemailNode:
    """Record a message (after ``prompt`` and a beep) into ``folder``; then ``next``."""

    prompt: str
    next: str
    folder: str = "messages"
    max_s: int = 120


@dataclass(frozen=True)
class QueueStatusNode:
    """Look at a queue before sending the caller there: ``open`` while agents are logged in
    and neither the estimated wait (``max_wait_s``) nor the number of callers waiting
    (``max_waiting``) is above its limit; ``overloaded`` otherwise (nobody logged in
    counts as overloaded). The verdict is kept in ``${queue_status}`` (``open``,
    ``nobody``, ``wait``, ``length``, ``unknown``). Without a queue side (no ACD
    configured) the load is unknown and the call goes to ``open``."""

    queue: str
    open: str
    overloaded: str
    max_wait_s: int = 300
    max_waiting: int = 20


@dataclass(frozen=True)
class MessageNode:
    """Take a message (``request: message``: ``prompt``, a beep, the caller speaks until
    ``#``, silence or ``max_s``) or a callback request (``request: callback``: booked for
    the caller's number; ``prompt``, if any, confirms it) for ``recipient``: ``${callee}``
    (the person looked up; their unit's mailbox if they cannot be found) or
    ``unit:<unit id>`` (``unit:${unit}``). The controller stores it in Redis before it
    e-mails it, so mail trouble delays it but never loses it. A callback needs the
    caller's number: ``no_number`` is where a caller with a hidden number goes."""

    next: str
    prompt: str | None = None
    request: str = "message"
    recipient: str = CALLEE_RECIPIENT
    no_number: str | None = None
    folder: str = "messages"
    max_s: int = 120


@dataclass(frozen=True)
class GotoNode:
    """Continue at another node of this flow (``node``) or at the start of another ``flow``."""

    node: str | None = None
    flow: str | None = None


@dataclass(frozen=True)
class HangupNode:
    """Say goodbye (optional prompt) and end the call."""

    prompt: str | None = None


Node = (
    PlayNode
    | MenuNode
    | CollectNode
    | SetLanguageNode
    | SetVariablesNode
    | TimeConditionNode
    | TimeSwitchNode
    | AnnouncementNode
    | LookupExtensionNode
    | DialByNameNode
    | AbsenceNoteNode
    | TransferNode
    | DialGroupNode
    | EnqueueNode
    | CallbackOfferNode
    | VoicemailNode
    | QueueStatusNode
    | MessageNode
    | GotoNode
    | HangupNode
)

#: Attributes that name another node of the same flow (YAML name differs only for on_no_input).
NODE_REF_FIELDS: tuple[str, ...] = (
    "next", "on_failure", "no_input_next", "open", "closed", "found", "not_found", "absent",
    "unit_found",
    "on_no_answer", "otherwise", "to_colleague", "to_unit", "to_contact_center",
    "decline", "node", "overloaded", "no_number",
)
#: Attributes that name a node without being a way there (the node whose failures count).
COUNTER_REF_FIELDS: tuple[str, ...] = ("counts_against", "say_hours")
#: Attributes that name a prompt.
PROMPT_REF_FIELDS: tuple[str, ...] = (
    "prompt", "invalid_prompt", "not_found_prompt", "confirm_prompt", "choose_prompt",
    "too_many_prompt",
)
#: Nodes where the caller reaches a human (or a queue that reaches one).
HUMAN_KINDS = (TransferNode, DialGroupNode, EnqueueNode, CallbackOfferNode)


def successors(node: Node) -> list[tuple[str, str]]:
    """(label, node name) of every node this one can lead to, in a stable order."""
    out: list[tuple[str, str]] = []
    if isinstance(node, MenuNode):
        out.extend((f"key {k}", t) for k, t in node.choices.items())
    if isinstance(node, TimeSwitchNode):
        out.extend((name, w.next) for name, w in node.windows.items())
    for attr in NODE_REF_FIELDS:
        target = getattr(node, attr, None)
        if isinstance(target, str):
            out.append((attr, target))
    return out

"""Reading one node of a flow file: the field table of each node kind and its checks.

`FIELDS` names the plain YAML fields of every node kind (key, dataclass attribute, type,
default); `CUSTOM` adds the fields built by hand (menu ``choices``, opening-hours
``schedule`` and ``windows``, ``variables``, ``requirements``); `build_node` turns one
node's mapping into its frozen dataclass and applies the rules across fields. A `Checker`
records every problem with file, line and column instead of stopping at the first, so a
node is always built (with None for what was wrong) and the loader in ``ivr.flow`` can
report the whole file at once. Pure: no I/O, the text and positions come from the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ivr.errors import FlowProblem
from ivr.nodes import (
    DTMF_KEYS,
    REQUESTS,
    VALIDATIONS,
    AbsenceNoteNode,
    AnnouncementNode,
    CallbackOfferNode,
    CollectNode,
    DialByNameNode,
    DialGroupNode,
    EnqueueNode,
    GotoNode,
    HangupNode,
    LookupExtensionNode,
    MenuNode,
    MessageNode,
    Node,
    PlayNode,
    QueueStatusNode,
    SetLanguageNode,
    SetVariablesNode,
    TimeConditionNode,
    TimeSwitchNode,
    TimeWindow,
    TransferNode,
    VoicemailNode,
)
from ivr.yamlsrc import Positions


class Checker:
    """Reads one node's fields, recording every problem instead of stopping at the first."""

    def __init__(self, source: str, positions: Positions) -> None:
        self.source = source
        self.positions = positions
        self.problems: list[FlowProblem] = []

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        mark = self.positions.at(path)
        where = ".".join(str(p) for p in path)
        self.problems.append(
            FlowProblem(
                self.source,
                mark.line if mark else None,
                mark.column if mark else None,
                f"{where}: {message}" if where else message,
            )
        )

    def field(
        self,
        data: Mapping[str, Any],
        path: tuple[str | int, ...],
        key: str,
        kind: type | tuple[type, ...],
        default: Any = ...,
    ) -> Any:
        if key not in data:
            if default is ...:
                self.problem(path, f"missing field {key!r}")
            return None if default is ... else default
        value = data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            self.problem((*path, key), f"expected a number, got {value!r}")
            return None
        if not isinstance(value, kind):
            names = (kind.__name__ if isinstance(kind, type)
                     else " or ".join(k.__name__ for k in kind))
            self.problem((*path, key), f"expected {names}, got {type(value).__name__} {value!r}")
            return None
        return value


@dataclass(frozen=True)
class FieldSpec:
    """One YAML field of a node kind: its key, the dataclass attribute, its type and default."""

    key: str
    attr: str
    kind: type | tuple[type, ...]
    default: Any = ...
    """``...`` means required."""


def _f(key: str, kind: type | tuple[type, ...] = str, default: Any = ...,
       attr: str = "") -> FieldSpec:
    return FieldSpec(key, attr or key, kind, default)


_NUM = (int, float)
#: What a ``dial_group`` may say in ``strategy`` (``unit``: the callee's unit's own).
GROUP_STRATEGIES = ("ring_all", "in_order", "longest_idle", "unit")
_TIMEOUT = _f("timeout", _NUM, 5.0, "timeout_s")
_OPT = None  # an optional field without a default value

#: The plain fields of each node kind, in the order they are documented. Fields built by
#: hand (menu ``choices``, ``schedule``, ``windows``, ``requirements``) are in ``CUSTOM``.
FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "play": (_f("prompt"), _f("next"), _f("say_hours", str, _OPT)),
    "menu": (_f("prompt"), _TIMEOUT, _f("max_attempts", int, 3), _f("on_failure", str, _OPT),
             _f("invalid_prompt", str, _OPT), _f("on_no_input", str, _OPT, "no_input_next")),
    "collect": (_f("prompt"), _f("next"), _f("variable", str, "digits"),
                _f("min_digits", int, 1), _f("max_digits", int, 6), _TIMEOUT,
                _f("max_attempts", int, 3), _f("on_failure", str, _OPT),
                _f("invalid_prompt", str, _OPT), _f("validate", str, "digits")),
    "set_language": (_f("language"), _f("next")),
    "set_variables": (_f("next"),),
    "time_condition": (_f("open"), _f("closed")),
    "time_switch": (_f("otherwise"),),
    "announcement": (_f("announcement"), _f("next")),
    "lookup_extension": (_f("variable", str, "digits"), _f("found"), _f("not_found"),
                         _f("absent", str, _OPT), _f("not_found_prompt", str, _OPT),
                         _f("counts_against", str, _OPT), _f("unit_found", str, _OPT)),
    "dial_by_name": (_f("prompt"), _f("choose_prompt"), _f("found"), _f("on_failure"),
                     _f("absent", str, _OPT),
                     _f("not_found_prompt", str, _OPT), _f("too_many_prompt", str, _OPT),
                     _f("min_keys", int, 3),
                     _f("max_keys", int, 10), _f("max_candidates", int, 5),
                     _f("timeout", _NUM, 6.0, "timeout_s"), _f("max_attempts", int, 3)),
    "absence_note": (_f("otherwise"), _f("to_colleague", str, _OPT), _f("to_unit", str, _OPT),
                     _f("to_contact_center", str, _OPT)),
    "transfer": (_f("timeout", int, 20, "timeout_s"), _f("on_no_answer"),
                 _f("prompt", str, _OPT), _f("unit", str, _OPT), _f("number", str, _OPT)),
    "dial_group": (_f("group"), _f("on_no_answer", str, _OPT), _f("prompt", str, _OPT),
                   _f("strategy", str, "ring_all"),
                   _f("member_timeout", int, 15, "member_timeout_s")),
    "enqueue": (_f("queue"), _f("priority", int, 0), _f("prompt", str, _OPT)),
    "callback_offer": (_f("prompt"), _f("queue"), _f("decline"), _f("confirm_prompt"),
                       _f("priority", int, 0), _f("accept_key", str, "1"), _TIMEOUT),
    "voicemail": (_f("prompt"), _f("next"), _f("folder", str, "messages"),
                  _f("max_seconds", int, 120, "max_s")),
    "queue_status": (_f("queue"), _f("open"), _f("overloaded"),
                     _f("max_wait", int, 300, "max_wait_s"), _f("max_waiting", int, 20)),
    "message": (_f("next"), _f("prompt", str, _OPT), _f("request", str, "message"),
                _f("recipient", str, "${callee}"), _f("no_number", str, _OPT),
                _f("folder", str, "messages"), _f("max_seconds", int, 120, "max_s")),
    "goto": (_f("node", str, _OPT), _f("flow", str, _OPT)),
    "hangup": (_f("prompt", str, _OPT),),
}

CLASSES: dict[str, type] = {
    "play": PlayNode, "menu": MenuNode, "collect": CollectNode, "set_language": SetLanguageNode,
    "set_variables": SetVariablesNode,
    "time_condition": TimeConditionNode, "time_switch": TimeSwitchNode,
    "announcement": AnnouncementNode, "lookup_extension": LookupExtensionNode,
    "dial_by_name": DialByNameNode, "absence_note": AbsenceNoteNode, "transfer": TransferNode,
    "dial_group": DialGroupNode, "enqueue": EnqueueNode, "callback_offer": CallbackOfferNode,
    "voicemail": VoicemailNode, "queue_status": QueueStatusNode, "message": MessageNode,
    "goto": GotoNode, "hangup": HangupNode,
}

Path_ = tuple[str | int, ...]
Custom = Callable[[Checker, Mapping[str, Any], Path_], dict[str, Any]]


def _choices(c: Checker, data: Mapping[str, Any], path: Path_) -> dict[str, Any]:
    raw = c.field(data, path, "choices", dict) or {}
    result: dict[str, str] = {}
    for key, target in raw.items():
        if len(key) != 1 or key not in DTMF_KEYS:
            c.problem((*path, "choices", key), f"{key!r} is not a single phone key (0-9, *, #)")
        elif not isinstance(target, str):
            c.problem((*path, "choices", key), "expected the name of a node")
        else:
            result[key] = target
    return {"choices": result}


def _schedule(c: Checker, raw: Any, path: Path_) -> Any:
    from ivr.schedule_parser import ScheduleError, parse_schedule

    mark = c.positions.at(path)
    where = f"{c.source}:{mark.line if mark else '?'}"
    try:
        return parse_schedule(raw, where)
    except ScheduleError as exc:
        c.problem(path, str(exc))
        return None


def _time_condition(c: Checker, d: Mapping[str, Any], p: Path_) -> dict[str, Any]:
    raw = c.field(d, p, "schedule", dict)
    return {"schedule": None if raw is None else _schedule(c, raw, (*p, "schedule"))}


def _windows(c: Checker, d: Mapping[str, Any], p: Path_) -> dict[str, Any]:
    windows: dict[str, TimeWindow] = {}
    for name, raw in (c.field(d, p, "windows", dict) or {}).items():
        wp = (*p, "windows", name)
        if not isinstance(raw, dict):
            c.problem(wp, "expected a mapping with 'schedule' and 'next'")
            continue
        for key in set(raw) - {"schedule", "next"}:
            c.problem((*wp, key), "unknown field for a time window")
        sched = c.field(raw, wp, "schedule", dict)
        schedule = None if sched is None else _schedule(c, sched, (*wp, "schedule"))
        windows[name] = TimeWindow(schedule, c.field(raw, wp, "next", str))
    if not windows:
        c.problem((*p, "windows"), "needs at least one window")
    return {"windows": windows}


def parse_requirements(raw: Any) -> dict[str, str] | None:
    """``{topic: bygglov}`` or ``"topic=bygglov lang=${language}"`` -> a dict; None if malformed."""
    if isinstance(raw, dict):
        if all(isinstance(v, str | int) and not isinstance(v, bool) for v in raw.values()):
            return {str(k): str(v) for k, v in raw.items()}
        return None
    if isinstance(raw, str):
        pairs = [part.split("=", 1) for part in raw.split()]
        if all(len(pair) == 2 and pair[0] and pair[1] for pair in pairs):
            return {k: v for k, v in pairs}
    return None


def _requirements(c: Checker, d: Mapping[str, Any], p: Path_) -> dict[str, Any]:
    raw = d.get("requirements", {})
    parsed = parse_requirements(raw)
    if parsed is None:
        c.problem((*p, "requirements"), "expected key=value pairs, e.g. 'topic=bygglov lang=sv'")
        parsed = {}
    return {"requirements": parsed}


#: A variable name a flow may set (the same as ``${name}`` in a value).
VARIABLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
#: Variables a ``set_variables`` node may not set: the call's own, or set by other nodes.
RESERVED_VARIABLES = frozenset({"language", "caller", "dialled", "extension", "unit",
                                "unit_id", "unit_topic", "unit_district", "unit_group",
                                "dial_status"})


def _set_variables(c: Checker, d: Mapping[str, Any], p: Path_) -> dict[str, Any]:
    raw = c.field(d, p, "variables", dict) or {}
    result: dict[str, str] = {}
    for name, value in raw.items():
        where = (*p, "variables", name)
        if not isinstance(name, str) or not VARIABLE_NAME.fullmatch(name):
            c.problem(where, f"{name!r} is not a variable name (a-z, 0-9, _)")
        elif name in RESERVED_VARIABLES or name.startswith("absence_"):
            c.problem(where, f"{name!r} is set by the call itself; choose another name")
        elif isinstance(value, bool) or not isinstance(value, str | int):
            c.problem(where, "expected a text value")
        else:
            result[name] = str(value)
    if isinstance(d.get("variables"), dict) and not raw:
        c.problem((*p, "variables"), "needs at least one variable")
    return {"variables": result}


CUSTOM: dict[str, tuple[tuple[str, ...], Custom]] = {
    "menu": (("choices",), _choices),
    "set_variables": (("variables",), _set_variables),
    "dial_group": (("requirements",), _requirements),
    "time_condition": (("schedule",), _time_condition),
    "time_switch": (("windows",), _windows),
    "enqueue": (("requirements",), _requirements),
    "callback_offer": (("requirements",), _requirements),
}


def _check_node(c: Checker, kind: str, node: Any, p: Path_) -> None:
    """Rules across fields of one node."""
    if isinstance(node, CollectNode):
        if (node.min_digits or 0) < 1 or (node.max_digits or 0) < (node.min_digits or 0):
            c.problem(p, "needs 1 <= min_digits <= max_digits")
        if node.validate not in VALIDATIONS:
            c.problem((*p, "validate"), f"must be one of {', '.join(VALIDATIONS)}")
    if isinstance(node, DialByNameNode) and not 1 <= (node.min_keys or 0) <= (node.max_keys or 0):
        c.problem(p, "needs 1 <= min_keys <= max_keys")
    if isinstance(node, DialByNameNode) and not 1 <= (node.max_candidates or 0) <= 9:
        c.problem((*p, "max_candidates"), "must be between 1 and 9 (one key per candidate)")
    if isinstance(node, GotoNode) and (node.node is None) == (node.flow is None):
        c.problem(p, "a goto names exactly one of 'node' or 'flow'")
    if isinstance(node, TransferNode):
        if node.unit is not None and node.number is not None:
            c.problem(p, "a transfer goes to a 'unit' or a 'number', not both")
        if node.number is not None and not node.number.lstrip("+").isdigit():
            c.problem((*p, "number"), "an external number is digits, optionally after '+'")
    if isinstance(node, DialGroupNode) and "${" in (node.group or "") \
            and node.on_no_answer is None:
        c.problem(p, "a group named by a variable may not exist for a call; give 'on_no_answer'")
    if isinstance(node, DialGroupNode) and node.strategy not in GROUP_STRATEGIES:
        c.problem((*p, "strategy"), f"must be one of {', '.join(GROUP_STRATEGIES)}")
    if isinstance(node, DialGroupNode) and not 1 <= node.member_timeout_s <= 300:
        c.problem((*p, "member_timeout"), "must be 1 to 300 seconds")
    if isinstance(node, CallbackOfferNode) and node.accept_key not in DTMF_KEYS:
        c.problem((*p, "accept_key"), "must be one phone key (0-9, *, #)")
    if isinstance(node, QueueStatusNode):
        for attr, key in (("max_wait_s", "max_wait"), ("max_waiting", "max_waiting")):
            if (getattr(node, attr) or 0) < 0:
                c.problem((*p, key), "must be 0 or more")
    if isinstance(node, MessageNode):
        _check_message(c, node, p)


def _check_message(c: Checker, node: MessageNode, p: Path_) -> None:
    from ivr.nodes import CALLEE_RECIPIENT, UNIT_RECIPIENT_PREFIX

    if node.request not in REQUESTS:
        c.problem((*p, "request"), f"must be one of {', '.join(REQUESTS)}")
    if node.request == "message" and node.prompt is None:
        c.problem(p, "a message needs a 'prompt' (what the caller hears before the beep)")
    if node.request == "callback" and node.no_number is None:
        c.problem(p, "a callback needs the caller's number; give 'no_number' for callers "
                     "with a hidden number")
    recipient = node.recipient or ""
    if recipient != CALLEE_RECIPIENT and not (
            recipient.startswith(UNIT_RECIPIENT_PREFIX) and recipient[5:].strip()):
        c.problem((*p, "recipient"), "must be '${callee}' or 'unit:<unit id>' "
                                     "(for example 'unit:${unit}')")
    if not 1 <= (node.max_s or 0) <= 600:
        c.problem((*p, "max_seconds"), "must be between 1 and 600")


def build_node(c: Checker, kind: str, d: Mapping[str, Any], p: Path_) -> Node:
    values: dict[str, Any] = {}
    for spec in FIELDS[kind]:
        value = c.field(d, p, spec.key, spec.kind, spec.default)
        if spec.kind == _NUM and value is not None:
            value = float(value)
        values[spec.attr] = value
    if kind in CUSTOM:
        values.update(CUSTOM[kind][1](c, d, p))
    node: Node = CLASSES[kind](**values)
    _check_node(c, kind, node, p)
    return node


def node_kinds() -> tuple[str, ...]:
    """The node kinds a flow file may use."""
    return tuple(FIELDS)


def node_fields(kind: str) -> frozenset[str]:
    """The YAML fields a node of ``kind`` may have (besides ``kind`` and ``description``)."""
    custom = CUSTOM[kind][0] if kind in CUSTOM else ()
    return frozenset(s.key for s in FIELDS[kind]) | frozenset(custom)


#: Attribute name -> YAML key, where they differ.
YAML_KEYS = {s.attr: s.key for specs in FIELDS.values() for s in specs if s.attr != s.key}
#: The keys every node may have besides its kind's fields.
COMMON_KEYS = {"kind", "description"}

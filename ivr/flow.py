"""IVR flow files: the model and the loader that checks a file before it can run.

A flow file (``dialplans/<name>.yaml``) names its entry numbers, its start node,
its prompts (a key with Swedish and English text) and its nodes. The loader turns
it into frozen dataclasses and collects *every* problem in the file (unknown node
kinds, missing fields, references to nodes or prompts that do not exist, bad
digits) before it reports, each with file, line and column. A ``Flow`` that
exists is therefore internally consistent: every ``next`` names a node and every
prompt key has a text in each language the flow offers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.errors import FlowFileError, FlowProblem
from ivr.yamlsrc import Positions, YamlSourceError, load_with_positions

#: Languages a caller can choose; the first is the default.
LANGUAGES: tuple[str, ...] = ("sv", "en")
#: Keys a caller can press.
DTMF_KEYS = frozenset("0123456789*#")


@dataclass(frozen=True)
class PlayNode:
    """Play one prompt (not interruptible), then go on."""

    prompt: str
    next: str


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
    """Play a prompt and collect several digits (ended by ``#`` or the timeout) into ``variable``."""

    prompt: str
    next: str
    variable: str = "digits"
    min_digits: int = 1
    max_digits: int = 6
    timeout_s: float = 5.0
    max_attempts: int = 3
    on_failure: str | None = None
    invalid_prompt: str | None = None


@dataclass(frozen=True)
class SetLanguageNode:
    """Switch the call's language (prompts from now on are played in it)."""

    language: str
    next: str


@dataclass(frozen=True)
class TimeConditionNode:
    """Branch on the opening hours (weekly hours, Swedish holidays and eves, exceptions)."""

    schedule: Any  # ivr.timeconditions.Schedule
    open: str
    closed: str


@dataclass(frozen=True)
class LookupExtensionNode:
    """Look the collected digits up as an employee's extension in the directory."""

    variable: str
    found: str
    not_found: str
    absent: str | None = None
    not_found_prompt: str | None = None
    counts_against: str | None = None


@dataclass(frozen=True)
class TransferNode:
    """Ring the employee found by the last lookup; go to ``on_no_answer`` when nobody answers."""

    timeout_s: int
    on_no_answer: str
    prompt: str | None = None


@dataclass(frozen=True)
class DialGroupNode:
    """Ring a group from the configuration (operators, contact center)."""

    group: str
    on_no_answer: str | None = None
    prompt: str | None = None


@dataclass(frozen=True)
class HangupNode:
    """Say goodbye (optional prompt) and end the call."""

    prompt: str | None = None


Node = (
    PlayNode
    | MenuNode
    | CollectNode
    | SetLanguageNode
    | TimeConditionNode
    | LookupExtensionNode
    | TransferNode
    | DialGroupNode
    | HangupNode
)


@dataclass(frozen=True)
class Flow:
    """A checked flow: its nodes, prompts and the entry numbers that lead to it."""

    name: str
    start: str
    nodes: Mapping[str, Node]
    prompts: Mapping[str, Mapping[str, str]]
    entry_numbers: tuple[str, ...] = ()
    source: str = ""
    """Where the flow was read from (file path)."""
    source_text: str = ""
    """The file's text: stored with the version so any controller can resume a call on it."""
    version: str = ""
    lines: Mapping[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<Flow {self.name} v{self.version[:8]}: {len(self.nodes)} nodes>"


class _Checker:
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
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problem((*path, key), f"expected {names}, got {type(value).__name__} {value!r}")
            return None
        return value


NodeBuilder = Callable[[_Checker, Mapping[str, Any], tuple[str | int, ...]], Node | None]


def _choices(c: _Checker, data: Mapping[str, Any], path: tuple[str | int, ...]) -> dict[str, str]:
    raw = c.field(data, path, "choices", dict) or {}
    result: dict[str, str] = {}
    for key, target in raw.items():
        if len(key) != 1 or key not in DTMF_KEYS:
            c.problem((*path, "choices", key), f"{key!r} is not a single phone key (0-9, *, #)")
        elif not isinstance(target, str):
            c.problem((*path, "choices", key), "expected the name of a node")
        else:
            result[key] = target
    return result


def _build_menu(c: _Checker, d: Mapping[str, Any], p: tuple[str | int, ...]) -> Node | None:
    return MenuNode(
        prompt=c.field(d, p, "prompt", str),
        choices=_choices(c, d, p),
        timeout_s=float(c.field(d, p, "timeout", (int, float), 5.0) or 5.0),
        max_attempts=c.field(d, p, "max_attempts", int, 3) or 3,
        on_failure=c.field(d, p, "on_failure", str, None),
        invalid_prompt=c.field(d, p, "invalid_prompt", str, None),
        no_input_next=c.field(d, p, "on_no_input", str, None),
    )


def _build_collect(c: _Checker, d: Mapping[str, Any], p: tuple[str | int, ...]) -> Node | None:
    node = CollectNode(
        prompt=c.field(d, p, "prompt", str),
        next=c.field(d, p, "next", str),
        variable=c.field(d, p, "variable", str, "digits"),
        min_digits=c.field(d, p, "min_digits", int, 1),
        max_digits=c.field(d, p, "max_digits", int, 6),
        timeout_s=float(c.field(d, p, "timeout", (int, float), 5.0) or 5.0),
        max_attempts=c.field(d, p, "max_attempts", int, 3) or 3,
        on_failure=c.field(d, p, "on_failure", str, None),
        invalid_prompt=c.field(d, p, "invalid_prompt", str, None),
    )
    if (node.min_digits or 0) < 1 or (node.max_digits or 0) < (node.min_digits or 0):
        c.problem(p, "needs 1 <= min_digits <= max_digits")
    return node


def _build_time_condition(c: _Checker, d: Mapping[str, Any], p: tuple[str | int, ...]) -> Node | None:
    from ivr.timeconditions import ScheduleError, parse_schedule

    raw = c.field(d, p, "schedule", dict)
    schedule = None
    if raw is not None:
        mark = c.positions.at((*p, "schedule"))
        where = f"{c.source}:{mark.line if mark else '?'}"
        try:
            schedule = parse_schedule(raw, where)
        except ScheduleError as exc:
            c.problem((*p, "schedule"), str(exc))
    return TimeConditionNode(schedule, c.field(d, p, "open", str), c.field(d, p, "closed", str))


_BUILDERS: dict[str, NodeBuilder] = {
    "play": lambda c, d, p: PlayNode(c.field(d, p, "prompt", str), c.field(d, p, "next", str)),
    "menu": _build_menu,
    "collect": _build_collect,
    "set_language": lambda c, d, p: SetLanguageNode(
        c.field(d, p, "language", str), c.field(d, p, "next", str)
    ),
    "time_condition": _build_time_condition,
    "lookup_extension": lambda c, d, p: LookupExtensionNode(
        variable=c.field(d, p, "variable", str, "digits"),
        found=c.field(d, p, "found", str),
        not_found=c.field(d, p, "not_found", str),
        absent=c.field(d, p, "absent", str, None),
        not_found_prompt=c.field(d, p, "not_found_prompt", str, None),
        counts_against=c.field(d, p, "counts_against", str, None),
    ),
    "transfer": lambda c, d, p: TransferNode(
        timeout_s=c.field(d, p, "timeout", int, 20),
        on_no_answer=c.field(d, p, "on_no_answer", str),
        prompt=c.field(d, p, "prompt", str, None),
    ),
    "dial_group": lambda c, d, p: DialGroupNode(
        group=c.field(d, p, "group", str),
        on_no_answer=c.field(d, p, "on_no_answer", str, None),
        prompt=c.field(d, p, "prompt", str, None),
    ),
    "hangup": lambda c, d, p: HangupNode(c.field(d, p, "prompt", str, None)),
}

#: Fields of a node that name another node, and fields that name a prompt.
_NODE_REFS = ("next", "on_failure", "no_input_next", "open", "closed", "found", "not_found",
              "absent", "on_no_answer", "counts_against")
_PROMPT_REFS = ("prompt", "invalid_prompt", "not_found_prompt")
_COMMON_KEYS = {"kind", "description"}


def node_kinds() -> tuple[str, ...]:
    """The node kinds a flow file may use."""
    return tuple(_BUILDERS)


def _check_references(c: _Checker, flow_nodes: Mapping[str, Node], prompts: Mapping[str, Any]) -> None:
    for name, node in flow_nodes.items():
        path: tuple[str | int, ...] = ("nodes", name)
        yaml_key = {"no_input_next": "on_no_input"}
        for attr in _NODE_REFS:
            target = getattr(node, attr, None)
            if target is not None and target not in flow_nodes:
                key = yaml_key.get(attr, attr)
                c.problem((*path, key), f"refers to node {target!r}, which does not exist")
        for attr in _PROMPT_REFS:
            key = getattr(node, attr, None)
            if key is not None and key not in prompts:
                c.problem((*path, attr), f"refers to prompt {key!r}, which is not in 'prompts'")
        if isinstance(node, MenuNode):
            for digit, target in node.choices.items():
                if target not in flow_nodes:
                    c.problem((*path, "choices", digit), f"refers to node {target!r}, which does not exist")
        if isinstance(node, SetLanguageNode) and node.language not in LANGUAGES:
            c.problem((*path, "language"), f"must be one of {', '.join(LANGUAGES)}")


def _check_prompts(c: _Checker, raw: Any) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        c.problem(("prompts",), "expected a mapping of prompt keys to texts per language")
        return {}
    prompts: dict[str, dict[str, str]] = {}
    for key, texts in raw.items():
        if not isinstance(texts, dict):
            c.problem(("prompts", key), "expected texts per language, e.g. {sv: ..., en: ...}")
            continue
        for lang in LANGUAGES:
            if not isinstance(texts.get(lang), str) or not texts[lang].strip():
                c.problem(("prompts", key), f"missing {lang!r} text")
        prompts[key] = {k: v for k, v in texts.items() if isinstance(v, str)}
    return prompts


def parse_flow(text: str, source: str) -> Flow:
    """Check and build a flow from the text of a flow file; raise ``FlowFileError`` with all problems."""
    try:
        data, positions = load_with_positions(text)
    except YamlSourceError as exc:
        line = exc.mark.line if exc.mark else None
        col = exc.mark.column if exc.mark else None
        raise FlowFileError(source, [FlowProblem(source, line, col, exc.message)]) from exc
    c = _Checker(source, positions)
    if not isinstance(data, dict):
        c.problem((), "a flow file is a mapping with 'flow', 'start', 'prompts' and 'nodes'")
        raise FlowFileError(source, c.problems)
    for key in set(data) - {"flow", "start", "entry_numbers", "prompts", "nodes", "description"}:
        c.problem((key,), "unknown top-level key")
    name = c.field(data, (), "flow", str)
    start = c.field(data, (), "start", str)
    entries = [str(e) for e in (c.field(data, (), "entry_numbers", list, []) or [])]
    prompts = _check_prompts(c, data.get("prompts", {}))
    nodes: dict[str, Node] = {}
    for node_name, raw in (c.field(data, (), "nodes", dict) or {}).items():
        path: tuple[str | int, ...] = ("nodes", node_name)
        if not isinstance(raw, dict):
            c.problem(path, "expected a mapping with a 'kind'")
            continue
        kind = raw.get("kind")
        builder = _BUILDERS.get(kind) if isinstance(kind, str) else None
        if builder is None:
            c.problem((*path, "kind"), f"unknown node kind {kind!r}; one of {', '.join(_BUILDERS)}")
            continue
        node = builder(c, raw, path)
        allowed = _COMMON_KEYS | _allowed_keys(kind)
        for key in set(raw) - allowed:
            c.problem((*path, key), f"unknown field for a {kind} node")
        if node is not None:
            nodes[node_name] = node
    if start is not None and start not in nodes:
        c.problem(("start",), f"refers to node {start!r}, which does not exist")
    _check_references(c, nodes, prompts)
    if c.problems:
        raise FlowFileError(source, c.problems)
    lines = {n: m.line for n in nodes if (m := positions.at(("nodes", n))) is not None}
    return Flow(
        name=name,
        start=start,
        nodes=nodes,
        prompts=prompts,
        entry_numbers=tuple(entries),
        source=source,
        source_text=text,
        version=hashlib.sha256(text.encode()).hexdigest(),
        lines=lines,
    )


_ALLOWED: dict[str, set[str]] = {
    "play": {"prompt", "next"},
    "menu": {"prompt", "choices", "timeout", "max_attempts", "on_failure", "invalid_prompt",
             "on_no_input"},
    "collect": {"prompt", "next", "variable", "min_digits", "max_digits", "timeout",
                "max_attempts", "on_failure", "invalid_prompt"},
    "set_language": {"language", "next"},
    "time_condition": {"schedule", "open", "closed"},
    "lookup_extension": {"variable", "found", "not_found", "absent", "not_found_prompt",
                         "counts_against"},
    "transfer": {"timeout", "on_no_answer", "prompt"},
    "dial_group": {"group", "on_no_answer", "prompt"},
    "hangup": {"prompt"},
}


def _allowed_keys(kind: str) -> set[str]:
    return _ALLOWED[kind]


def load_flow(path: Path) -> Flow:
    """Read and check one flow file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowFileError(str(path), [FlowProblem(str(path), None, None, str(exc))]) from exc
    return parse_flow(text, str(path))


def load_flows(folder: Path) -> dict[str, Flow]:
    """Load every ``*.yaml`` flow in ``folder``; report the problems of all files at once.

    Files named ``prompts-*.yaml`` hold only prompt texts (for `vaxel prompts build`) and
    are not flows."""
    flows: dict[str, Flow] = {}
    problems: list[FlowProblem] = []
    by_entry: dict[str, str] = {}
    for path in sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("prompts-")):
        try:
            flow = load_flow(path)
        except FlowFileError as exc:
            problems.extend(exc.problems)
            continue
        if flow.name in flows:
            problems.append(FlowProblem(str(path), None, None, f"flow {flow.name!r} defined twice"))
        for number in flow.entry_numbers:
            if number in by_entry:
                problems.append(FlowProblem(str(path), None, None,
                                            f"entry number {number} already leads to {by_entry[number]!r}"))
            by_entry[number] = flow.name
        flows[flow.name] = flow
    if problems:
        raise FlowFileError(str(folder), problems)
    if not flows:
        raise FlowFileError(str(folder), [FlowProblem(str(folder), None, None, "no *.yaml flow files")])
    return flows

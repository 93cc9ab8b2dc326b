"""IVR flow files: the model and the loader that checks a file before it can run.

A flow file (``dialplans/<name>.yaml``) names its entry numbers, its start node,
its prompts (a key with Swedish and English text) and its nodes. The loader turns
it into frozen dataclasses and collects *every* problem in the file (unknown node
kinds, missing fields, references to nodes or prompts that do not exist, bad
digits) before it reports, each with file, line and column. A ``Flow`` that
exists is therefore internally consistent: every ``next`` names a node and every
prompt key has a text in each language the flow offers. Each node's own fields are read
and checked by `ivr.node_loader`; this module checks the file as a whole (references,
prompts, start) and the set of flows in a folder (names, entry numbers, gotos).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.errors import FlowFileError, FlowProblem
from ivr.node_loader import COMMON_KEYS, FIELDS, YAML_KEYS, Checker, Path_, build_node, node_fields
from ivr.nodes import (
    COUNTER_REF_FIELDS as COUNTER_REF_FIELDS,
)
from ivr.nodes import (
    DTMF_KEYS as DTMF_KEYS,
)
from ivr.nodes import (
    FLOW_TEXT_LANGUAGES as FLOW_TEXT_LANGUAGES,
)
from ivr.nodes import (
    LANGUAGES as LANGUAGES,
)
from ivr.nodes import (
    PROMPT_REF_FIELDS as PROMPT_REF_FIELDS,
)
from ivr.nodes import (
    REQUESTS as REQUESTS,
)
from ivr.nodes import (
    VALIDATIONS as VALIDATIONS,
)
from ivr.nodes import (  # re-exported: the flow model is the nodes plus Flow
    AbsenceNoteNode as AbsenceNoteNode,
)
from ivr.nodes import (
    AnnouncementNode as AnnouncementNode,
)
from ivr.nodes import (
    CallbackOfferNode as CallbackOfferNode,
)
from ivr.nodes import (
    CollectNode as CollectNode,
)
from ivr.nodes import (
    DialByNameNode as DialByNameNode,
)
from ivr.nodes import (
    DialGroupNode as DialGroupNode,
)
from ivr.nodes import (
    EnqueueNode as EnqueueNode,
)
from ivr.nodes import (
    GotoNode as GotoNode,
)
from ivr.nodes import (
    HangupNode as HangupNode,
)
from ivr.nodes import (
    LookupExtensionNode as LookupExtensionNode,
)
from ivr.nodes import (
    MenuNode as MenuNode,
)
from ivr.nodes import (
    MessageNode as MessageNode,
)
from ivr.nodes import (
    Node as Node,
)
from ivr.nodes import (
    PlayNode as PlayNode,
)
from ivr.nodes import (
    QueueStatusNode as QueueStatusNode,
)
from ivr.nodes import (
    SetLanguageNode as SetLanguageNode,
)
from ivr.nodes import (
    SetVariablesNode as SetVariablesNode,
)
from ivr.nodes import (
    TimeConditionNode as TimeConditionNode,
)
from ivr.nodes import (
    TimeSwitchNode as TimeSwitchNode,
)
from ivr.nodes import (
    TimeWindow as TimeWindow,
)
from ivr.nodes import (
    TransferNode as TransferNode,
)
from ivr.nodes import (
    VoicemailNode as VoicemailNode,
)
from ivr.nodes import (
    successors as successors,
)
from ivr.yamlsrc import YamlSourceError, load_with_positions


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


def _check_references(c: Checker, flow_nodes: Mapping[str, Node],
                      prompts: Mapping[str, Any], unbuilt: frozenset[str] = frozenset()) -> None:
    for name, node in flow_nodes.items():
        path: Path_ = ("nodes", name)
        counters = [(k, t) for k in COUNTER_REF_FIELDS if (t := getattr(node, k, None))]
        for label, target in [*successors(node), *counters]:
            if target in flow_nodes or target in unbuilt:
                continue
            if label.startswith("key "):
                where: Path_ = (*path, "choices", label[4:])
            elif isinstance(node, TimeSwitchNode) and label in node.windows:
                where = (*path, "windows", label, "next")
            else:
                where = (*path, YAML_KEYS.get(label, label))
            c.problem(where, f"refers to node {target!r}, which does not exist")
        for attr in PROMPT_REF_FIELDS:
            key = getattr(node, attr, None)
            if key is not None and key not in prompts:
                c.problem((*path, attr), f"refers to prompt {key!r}, which is not in 'prompts'")
        hours_of = getattr(node, "say_hours", None) or ""
        if hours_of in flow_nodes and not isinstance(flow_nodes[hours_of], TimeConditionNode):
            c.problem((*path, "say_hours"), f"node {hours_of!r} is not a time_condition")
        if isinstance(node, SetLanguageNode) and node.language not in LANGUAGES:
            c.problem((*path, "language"), f"must be one of {', '.join(LANGUAGES)}")

def _check_prompts(c: Checker, raw: Any) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        c.problem(("prompts",), "expected a mapping of prompt keys to texts per language")
        return {}
    prompts: dict[str, dict[str, str]] = {}
    for key, texts in raw.items():
        if not isinstance(texts, dict):
            c.problem(("prompts", key), "expected texts per language, e.g. {sv: ..., en: ...}")
            continue
        for lang in FLOW_TEXT_LANGUAGES:
            if not isinstance(texts.get(lang), str) or not texts[lang].strip():
                c.problem(("prompts", key), f"missing {lang!r} text")
        prompts[key] = {k: v for k, v in texts.items() if isinstance(v, str)}
    return prompts


def parse_flow(text: str, source: str) -> Flow:
    """Check and build a flow from a flow file's text; raise ``FlowFileError`` with all problems."""
    try:
        data, positions = load_with_positions(text)
    except YamlSourceError as exc:
        line = exc.mark.line if exc.mark else None
        col = exc.mark.column if exc.mark else None
        raise FlowFileError(source, [FlowProblem(source, line, col, exc.message)]) from exc
    c = Checker(source, positions)
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
    unbuilt: set[str] = set()  # nodes with a mistake of their own: no follow-on errors for them
    for node_name, raw in (c.field(data, (), "nodes", dict) or {}).items():
        path: tuple[str | int, ...] = ("nodes", node_name)
        if not isinstance(raw, dict):
            c.problem(path, "expected a mapping with a 'kind'")
            unbuilt.add(str(node_name))
            continue
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in FIELDS:
            c.problem((*path, "kind"), f"unknown node kind {kind!r}; one of {', '.join(FIELDS)}")
            unbuilt.add(str(node_name))
            continue
        node = build_node(c, kind, raw, path)
        allowed = COMMON_KEYS | node_fields(kind)
        for key in set(raw) - allowed:
            c.problem((*path, key), f"unknown field for a {kind} node")
        nodes[node_name] = node
    if start is not None and start not in nodes and start not in unbuilt:
        c.problem(("start",), f"refers to node {start!r}, which does not exist")
    _check_references(c, nodes, prompts, frozenset(unbuilt))
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


def load_flow(path: Path) -> Flow:
    """Read and check one flow file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowFileError(str(path), [FlowProblem(str(path), None, None, str(exc))]) from exc
    return parse_flow(text, str(path))


#: Files in a dialplans folder that are not flows.
ANNOUNCEMENTS_FILE = "announcements.yaml"
TARGETS_FILE = "targets.yaml"
NOT_FLOWS = frozenset({ANNOUNCEMENTS_FILE, TARGETS_FILE})
_FLOW_LINE = re.compile(r"^flow:\s*(\S+)\s*(?:#.*)?$", re.MULTILINE)
#: Files named ``prompts-*.yaml`` hold only prompt texts (for `vaxel prompts build`).
PROMPTS_ONLY_PREFIX = "prompts-"


def read_folder(folder: Path) -> dict[str, str]:
    """The texts of every ``*.yaml`` in ``folder`` (flows and the side files) by file name, and
    of the translators' ``prompts/<lang>/*.yaml`` by their path in the folder."""
    try:
        paths = [*sorted(folder.glob("*.yaml")), *sorted(folder.glob("prompts/*/*.yaml"))]
        return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in paths}
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowFileError(str(folder), [FlowProblem(str(folder), None, None, str(exc))]) from exc


def parse_flow_set(files: Mapping[str, str], where: str) -> dict[str, Flow]:
    """Check and build every flow of a set of files (name -> text); report all problems at once.

    ``where`` is the folder (or deployed version) the names are relative to.
    """
    flows: dict[str, Flow] = {}
    problems: list[FlowProblem] = []
    by_entry: dict[str, str] = {}
    broken: set[str | None] = set()  # flows whose file has a problem of its own
    for name, text in sorted(files.items()):
        if name in NOT_FLOWS or name.startswith(PROMPTS_ONLY_PREFIX) or "/" in name:
            continue
        source = f"{where.rstrip('/')}/{name}" if where else name
        try:
            flow = parse_flow(text, source)
        except FlowFileError as exc:
            problems.extend(exc.problems)
            broken.add(_declared_name(text))
            continue
        if flow.name in flows:
            problems.append(FlowProblem(source, 1, 1, f"flow {flow.name!r} defined twice"))
        for number in flow.entry_numbers:
            if number in by_entry:
                problems.append(FlowProblem(
                    source, 1, 1, f"entry number {number} already leads to {by_entry[number]!r}"))
            by_entry[number] = flow.name
        flows[flow.name] = flow
    for flow in flows.values():
        for node_name, node in flow.nodes.items():
            # A goto into a flow whose file failed is that file's mistake, reported there once.
            if (isinstance(node, GotoNode) and node.flow is not None
                    and node.flow not in flows and node.flow not in broken):
                problems.append(FlowProblem(flow.source, flow.lines.get(node_name), None,
                                            f"nodes.{node_name}.flow: refers to flow "
                                            f"{node.flow!r}, which does not exist"))
    if problems:
        raise FlowFileError(where, problems)
    if not flows:
        raise FlowFileError(where, [FlowProblem(where, None, None, "no *.yaml flow files")])
    return flows


def _declared_name(text: str) -> str | None:
    """The ``flow:`` name a file that failed to load means to define (read line by line, so a
    YAML error elsewhere in the file does not hide it)."""
    match = _FLOW_LINE.search(text)
    return match.group(1).strip("'\"") if match else None


def load_flows(folder: Path) -> dict[str, Flow]:
    """Load every ``*.yaml`` flow in ``folder``; report the problems of all files at once."""
    return parse_flow_set(read_folder(folder), str(folder))

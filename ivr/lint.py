"""The dialplan linter: what a loadable flow can still get wrong for callers (pure).

``check_files`` takes the texts of a dialplans folder (name -> text) and returns
every finding of every file at once: load problems (syntax, fields, references
inside a file, with line and column) and the linter's own findings, each naming
file and line:

- ``unreachable``: a node no caller can reach from ``start``;
- ``unknown-target``: a queue, group, skill (requirement key or value), unit or
  announcement that ``targets.yaml`` / ``announcements.yaml`` does not list;
- ``dead-end``: a place where the call ends without a person or a goodbye (a
  ``hangup`` without prompt, a menu or collect without ``on_failure``);
- ``no-exit``: nodes from which a caller can never reach a person or a goodbye
  (loops without exit);
- ``window-overlap`` (error) and ``window-gap`` (warning) between the windows of a
  ``time_switch`` over the coming year;
- ``unknown-variable`` (warning): a ``${name}`` in requirements or ``set_variables`` that
  no ``collect`` or ``set_variables`` sets, in the flow or in a flow whose ``goto`` leads to it;
- ``no-recording`` (warning): prompts still played by the synthesised placeholder;
- ``missing-translation`` (error): a prompt without a text in a translated language
  (``dialplans/prompts/<lang>/``), ``unused-translation`` (warning): a translated key no
  prompt has (``ivr.translations``).

Errors block ``vaxel dialplan deploy``; warnings do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ivr import nodes as n
from ivr.announcements import Announcement
from ivr.errors import FlowFileError
from ivr.flow import ANNOUNCEMENTS_FILE, TARGETS_FILE, Flow, parse_flow_set
from ivr.flowset import parse_set
from ivr.targets import Targets
from ivr.translations import offered_languages, translation_findings

Severity = Literal["error", "warning"]
#: How many days ahead time windows are checked.
WINDOW_DAYS = 366
_VAR = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")
#: Variables every call has.
BUILTIN_VARIABLES = frozenset({"language", "caller", "extension", "unit", "dialled",
                               "unit_id", "unit_topic", "unit_district", "unit_group",
                               "queue_status"})


@dataclass(frozen=True)
class Finding:
    """One finding, with its place."""

    file: str
    line: int | None
    column: int | None
    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        where += f":{self.column}" if self.line is not None and self.column is not None else ""
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class LintContext:
    """What the linter checks names against; None means "not known, do not check"."""

    targets: Targets | None = None
    announcements: Mapping[str, Announcement] | None = None
    recordings: frozenset[tuple[str, str]] | None = None
    """(language, prompt key) pairs with a recorded file."""
    today: date = date(2026, 1, 1)
    carried: Mapping[str, frozenset[str]] | None = None
    """Per flow: variables calls bring from other flows (``carried_variables``)."""
    languages: tuple[str, ...] = n.LANGUAGES
    """The languages callers can hear the prompts in."""


def _at(flow: Flow, node: str | None, severity: Severity, code: str, message: str) -> Finding:
    line = flow.lines.get(node) if node else 1
    return Finding(flow.source, line, None, severity, code,
                   f"nodes.{node}: {message}" if node else message)


def reachable(flow: Flow) -> list[str]:
    """Nodes a caller can reach from ``start``, in the order first reached."""
    seen, todo = [flow.start], [flow.start]
    while todo:
        for _, target in n.successors(flow.nodes[todo.pop()]):
            if target in flow.nodes and target not in seen:
                seen.append(target)
                todo.append(target)
    return seen


def _good_end(node: n.Node) -> bool:
    if isinstance(node, n.HUMAN_KINDS):
        return True
    if isinstance(node, n.HangupNode):
        return node.prompt is not None
    return isinstance(node, n.GotoNode) and node.flow is not None


def _no_exit(flow: Flow, reach: list[str]) -> list[str]:
    """Reachable nodes from which no good end is reachable."""
    good = {name for name in reach if _good_end(flow.nodes[name])}
    changed = True
    while changed:
        changed = False
        for name in reach:
            if name not in good and any(t in good for _, t in n.successors(flow.nodes[name])):
                good.add(name)
                changed = True
    # A hangup without goodbye is reported as a dead end, not again here.
    return [name for name in reach
            if name not in good and not isinstance(flow.nodes[name], n.HangupNode)]


def _dead_ends(flow: Flow, name: str, node: n.Node) -> Iterable[Finding]:
    if isinstance(node, n.HangupNode) and node.prompt is None:
        yield _at(flow, name, "error", "dead-end", "hangs up without a goodbye prompt")
    if isinstance(node, n.MenuNode | n.CollectNode) and node.on_failure is None:
        yield _at(flow, name, "error", "dead-end",
                  f"after {node.max_attempts} failed attempts the call is hung up silently; "
                  "give 'on_failure'")


def _targets(flow: Flow, name: str, node: n.Node, ctx: LintContext) -> Iterable[Finding]:
    if isinstance(node, n.AnnouncementNode) and ctx.announcements is not None \
            and node.announcement not in ctx.announcements:
        yield _at(flow, name, "error", "unknown-target",
                  f"announcement {node.announcement!r} is not in {ANNOUNCEMENTS_FILE}")
    t = ctx.targets
    if t is None:
        return
    checks: list[tuple[str, str | None, frozenset[str]]] = []
    if isinstance(node, n.DialGroupNode) and not _VAR.search(node.group):
        checks.append(("group", node.group, t.groups))
    if isinstance(node, n.EnqueueNode | n.CallbackOfferNode):
        checks.append(("queue", node.queue, t.queues))
    if isinstance(node, n.EnqueueNode | n.CallbackOfferNode | n.DialGroupNode):
        for key, value in node.requirements.items():
            if key not in t.skills:
                checks.append(("skill", key, frozenset()))
            elif not _VAR.search(value):
                checks.append((f"value of {key!r}", value, t.skills[key]))
    if isinstance(node, n.TransferNode) and node.unit and not _VAR.search(node.unit):
        checks.append(("unit", node.unit, t.units))
    if isinstance(node, n.QueueStatusNode):
        checks.append(("queue", node.queue, t.queues))
    if isinstance(node, n.MessageNode) and node.recipient.startswith(n.UNIT_RECIPIENT_PREFIX):
        unit = node.recipient.removeprefix(n.UNIT_RECIPIENT_PREFIX)
        if not _VAR.search(unit):
            checks.append(("unit", unit, t.units))
    for what, target, known in checks:
        if target is not None and target not in known:
            yield _at(flow, name, "error", "unknown-target",
                      f"{what} {target!r} is not in {TARGETS_FILE}")


def set_in(flow: Flow) -> frozenset[str]:
    """Variables a flow's own nodes set (``collect`` and ``set_variables``)."""
    return frozenset({x.variable for x in flow.nodes.values() if isinstance(x, n.CollectNode)}
                     | {k for x in flow.nodes.values() if isinstance(x, n.SetVariablesNode)
                        for k in x.variables})


def carried_variables(flows: Mapping[str, Flow]) -> dict[str, frozenset[str]]:
    """Per flow: the variables a call may bring into it from flows whose ``goto`` leads
    there, directly or through others (the district flows set ``district`` for the city's)."""
    carried: dict[str, set[str]] = {name: set() for name in flows}
    changed = True
    while changed:
        changed = False
        for flow in flows.values():
            brings = set_in(flow) | carried[flow.name]
            for node in flow.nodes.values():
                target = node.flow if isinstance(node, n.GotoNode) else None
                if target in carried and not brings <= carried[target]:
                    carried[target] |= brings
                    changed = True
    return {name: frozenset(v) for name, v in carried.items()}


def _variables(flow: Flow, name: str, node: n.Node, carried: frozenset[str]) -> Iterable[Finding]:
    if isinstance(node, n.EnqueueNode | n.CallbackOfferNode | n.DialGroupNode):
        values = list(node.requirements.values())
    elif isinstance(node, n.SetVariablesNode):
        values = list(node.variables.values())
    elif isinstance(node, n.MessageNode) and node.recipient != n.CALLEE_RECIPIENT:
        values = [node.recipient]
    else:
        return
    known = BUILTIN_VARIABLES | set_in(flow) | carried
    for value in values:
        for var in _VAR.findall(value):
            if var not in known:
                yield _at(flow, name, "warning", "unknown-variable",
                          f"${{{var}}} is never collected or set; it will be empty")


def _windows(flow: Flow, name: str, node: n.Node, today: date) -> Iterable[Finding]:
    from ivr.timeconditions import gaps_and_overlaps

    if not isinstance(node, n.TimeSwitchNode):
        return
    days = [today + timedelta(days=i) for i in range(WINDOW_DAYS)]
    found = gaps_and_overlaps({k: w.schedule for k, w in node.windows.items()}, days)
    for kind, severity in (("overlap", "error"), ("gap", "warning")):
        these = [f for f in found if f.kind == kind]
        if these:
            more = f" and {len(these) - 1} more" if len(these) > 1 else ""
            tail = "" if kind == "overlap" else f"; callers go to {node.otherwise!r} then"
            yield _at(flow, name, severity, f"window-{kind}",  # type: ignore[arg-type]
                      f"time windows {kind}: {these[0]}{more}{tail}")


def lint_flow(flow: Flow, ctx: LintContext) -> list[Finding]:
    """Every finding about one loaded flow."""
    reach = reachable(flow)
    findings = [_at(flow, name, "error", "unreachable", "no caller can reach this node")
                for name in flow.nodes if name not in reach]
    for name in _no_exit(flow, reach):
        findings.append(_at(flow, name, "error", "no-exit",
                            "from here a caller never reaches a person or a goodbye (loop?)"))
    for name in reach:
        node = flow.nodes[name]
        findings.extend(_dead_ends(flow, name, node))
        findings.extend(_targets(flow, name, node, ctx))
        findings.extend(_variables(flow, name, node,
                                   (ctx.carried or {}).get(flow.name, frozenset())))
        findings.extend(_windows(flow, name, node, ctx.today))
    if ctx.recordings is not None:
        missing = sorted(f"{lang}/{key}" for key in flow.prompts for lang in ctx.languages
                         if (lang, key) not in ctx.recordings)
        if missing:
            shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
            findings.append(Finding(flow.source, 1, None, "warning", "no-recording",
                                    f"{len(missing)} prompt(s) have no recording and play the "
                                    f"synthesised placeholder: {shown}"))
    return findings


def check_files(files: Mapping[str, str], where: str, today: date,
                recordings: frozenset[tuple[str, str]] | None = None) -> list[Finding]:
    """Load and lint a whole dialplans folder (name -> text); every finding of every file."""
    try:
        flow_set = parse_set(files, where)
    except FlowFileError as exc:
        findings = [Finding(p.file, p.line, p.column, "error", "load", p.message)
                    for p in exc.problems]
        return _sorted(findings + _lint_loadable(files, where, today, recordings))
    chosen = {node.language for flow in flow_set.flows.values() for node in flow.nodes.values()
              if isinstance(node, n.SetLanguageNode)}
    required = offered_languages(files, chosen)
    ctx = LintContext(flow_set.targets, flow_set.announcements, recordings, today,
                      carried_variables(flow_set.flows),
                      (*n.FLOW_TEXT_LANGUAGES, *sorted(required)))
    findings = [f for flow in flow_set.flows.values() for f in lint_flow(flow, ctx)]
    findings.extend(Finding(t.file, t.line, None, "error" if t.severity == "error" else "warning",
                            t.code, t.message)
                    for t in translation_findings(files, where, required))
    if flow_set.targets is None:
        findings.append(Finding(where, None, None, "warning", "no-targets",
                                f"no {TARGETS_FILE}: queues, groups, skills and units unchecked"))
    return _sorted(findings)


def _lint_loadable(files: Mapping[str, str], where: str, today: date,
                   recordings: frozenset[tuple[str, str]] | None) -> list[Finding]:
    """When some file does not load, still lint the flows that do (on their own)."""
    findings: list[Finding] = []
    for name, text in files.items():
        try:
            flows = parse_flow_set({name: text}, where)
        except FlowFileError:
            continue
        for flow in flows.values():
            findings.extend(f for f in lint_flow(flow, LintContext(recordings=recordings,
                                                                   today=today))
                            if f.code != "unknown-target")
    return findings


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file, f.line or 0, f.column or 0, f.message))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)

"""Draw a flow as a Graphviz diagram an admin can read and attach to a change request.

``to_dot`` (pure) turns a flow into DOT text: one box per node with its name, kind
and what the caller hears (Swedish text of its prompt), an edge per successor
labelled with the key or condition. Ends are coloured: green where a person (or a
queue) takes the call, grey for a goodbye, red for a silent end. ``render`` runs
``dot`` to write SVG and PNG (the only I/O here).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ivr import nodes as n
from ivr.flow import Flow

#: Longest prompt text shown in a box.
MAX_TEXT = 60
#: Longest ``dot`` may take, in seconds.
DOT_TIMEOUT_S = 60.0
_SHAPES: dict[type, str] = {
    n.MenuNode: "diamond", n.CollectNode: "parallelogram", n.DialByNameNode: "parallelogram",
    n.TimeConditionNode: "hexagon", n.TimeSwitchNode: "hexagon", n.AnnouncementNode: "note",
    n.LookupExtensionNode: "cylinder", n.AbsenceNoteNode: "note", n.GotoNode: "cds",
}


#: How an edge reads in the diagram (the attribute names are for code).
EDGE_LABELS = {"no_input_next": "no input", "on_failure": "too many tries",
               "on_no_answer": "no answer", "not_found": "not found", "to_colleague": "colleague",
               "to_unit": "unit", "to_contact_center": "contact center"}


class DrawError(Exception):
    """Graphviz is missing or failed; the message says which and why."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _kind(node: n.Node) -> str:
    from ivr.node_loader import CLASSES

    return next(k for k, cls in CLASSES.items() if isinstance(node, cls))


def _detail(flow: Flow, node: n.Node) -> str:
    prompt = getattr(node, "prompt", None)
    parts: list[str] = []
    if prompt:
        text = flow.prompts.get(prompt, {}).get("sv", "")
        parts.append(f"«{text[:MAX_TEXT]}{'…' if len(text) > MAX_TEXT else ''}»")
    if isinstance(node, n.DialGroupNode):
        reqs = " ".join(f"{k}={v}" for k, v in node.requirements.items())
        parts.append(f"group {node.group} {reqs}".strip())
    if isinstance(node, n.EnqueueNode | n.CallbackOfferNode):
        reqs = " ".join(f"{k}={v}" for k, v in node.requirements.items())
        parts.append(f"queue {node.queue} {reqs}".strip())
    if isinstance(node, n.TransferNode):
        parts.append(f"unit {node.unit}" if node.unit else f"number {node.number}"
                     if node.number else "the person found")
    if isinstance(node, n.AnnouncementNode):
        parts.append(f"if on: {node.announcement}")
    if isinstance(node, n.SetVariablesNode):
        parts.append(" ".join(f"{k}={v}" for k, v in node.variables.items()))
    if isinstance(node, n.GotoNode) and node.flow:
        parts.append(f"flow {node.flow}")
    return "\\n".join(_quote(p)[1:-1] for p in parts)


def _style(node: n.Node) -> str:
    if isinstance(node, n.HUMAN_KINDS):
        return 'style=filled fillcolor="#c8e6c9"'
    if isinstance(node, n.HangupNode):
        return 'style=filled fillcolor="#e0e0e0"' if node.prompt else \
            'style=filled fillcolor="#ffcdd2"'
    return ""


def to_dot(flow: Flow) -> str:
    """The flow as DOT text (deterministic: same flow, same text)."""
    lines = [f"digraph {_quote(flow.name)} {{", "  rankdir=TB;",
             '  node [shape=box fontname="Helvetica" fontsize=10];',
             '  edge [fontname="Helvetica" fontsize=9];',
             f'  labelloc=t; label={_quote(f"{flow.name} (v{flow.version[:8]})")};',
             '  "_start" [shape=circle label="" width=0.2 style=filled fillcolor=black];',
             f"  \"_start\" -> {_quote(flow.start)};"]
    for name, node in flow.nodes.items():
        label = f"{_quote(name)[1:-1]}\\n[{_kind(node)}]"
        detail = _detail(flow, node)
        label += f"\\n{detail}" if detail else ""
        shape = _SHAPES.get(type(node), "box")
        lines.append(f'  {_quote(name)} [shape={shape} label="{label}" {_style(node)}];')
    for name, node in flow.nodes.items():
        for edge, target in n.successors(node):
            text = EDGE_LABELS.get(edge, edge)
            label = "" if edge == "next" else f" [label={_quote(text)}]"
            lines.append(f"  {_quote(name)} -> {_quote(target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


#: What ``vaxel dialplan draw -o FILE`` writes, by the file's suffix.
FORMATS = ("svg", "png", "dot")


def render(dot_text: str, out_base: Path, formats: tuple[str, ...] = ("svg", "png")) -> list[Path]:
    """Write ``<out_base>.<format>`` for each of ``formats`` (``dot``: the Graphviz source;
    the others through Graphviz ``dot``); return the files written."""
    out_base.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = out_base.with_suffix(f".{fmt}")
        if fmt == "dot":
            target.write_text(dot_text, encoding="utf-8")
            written.append(target)
            continue
        try:
            done = subprocess.run(["dot", f"-T{fmt}", "-o", str(target)], input=dot_text.encode(),
                                  capture_output=True, timeout=DOT_TIMEOUT_S, check=False)
        except FileNotFoundError as exc:
            raise DrawError("Graphviz 'dot' is not installed (apt-get install graphviz)") from exc
        except subprocess.TimeoutExpired as exc:
            raise DrawError(f"dot took longer than {DOT_TIMEOUT_S:.0f} s") from exc
        if done.returncode != 0:
            raise DrawError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
        written.append(target)
    return written

"""What a change to the flows does to the paths callers take (pure).

``caller_paths`` enumerates, for each flow, every path from ``start`` to where
the call leaves the IVR (a person, a group, a queue, a goodbye, another flow),
up to ``MAX_DEPTH`` nodes; a path that comes back to a node already on it stops
there ("loops back to ..."). A path is named by the caller's choices and the
conditions on the way (``key 2 / key 1``, ``open``, ``no answer``) and carries
where it ends and what the caller hears. ``diff_paths`` compares two versions:
paths added, removed, and changed (same choices, another end or other words).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ivr import nodes as n
from ivr.flow import Flow

#: Longest path followed, in nodes.
MAX_DEPTH = 40
#: Edges that are not a choice or a condition (left out of a path's name).
_SILENT_EDGES = frozenset({"next"})
_EDGE_NAMES = {"no_input_next": "no input", "on_failure": "too many tries",
               "on_no_answer": "no answer", "not_found": "not found"}


@dataclass(frozen=True)
class CallerPath:
    """One way through a flow: the choices naming it, where it ends, what is heard."""

    flow: str
    choices: tuple[str, ...]
    end: str
    heard: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.flow}: {' / '.join(self.choices) or '(no choice)'}"


def describe_end(node: n.Node) -> str | None:
    """Where a call leaves the IVR at this node, or None if it goes on."""
    if isinstance(node, n.DialGroupNode):
        return f"group {node.group}"
    if isinstance(node, n.EnqueueNode):
        reqs = " ".join(f"{k}={v}" for k, v in node.requirements.items())
        return f"queue {node.queue} [{reqs}] priority {node.priority}"
    if isinstance(node, n.CallbackOfferNode):
        return None
    if isinstance(node, n.TransferNode):
        return f"unit {node.unit}" if node.unit else (
            f"number {node.number}" if node.number else "the person looked up")
    if isinstance(node, n.HangupNode):
        return f"goodbye ({node.prompt})" if node.prompt else "silent hang-up"
    if isinstance(node, n.GotoNode) and node.flow:
        return f"flow {node.flow}"
    return None


def _heard(flow: Flow, node: n.Node) -> tuple[str, ...]:
    keys = [getattr(node, attr, None) for attr in ("prompt", "confirm_prompt")]
    return tuple(f"{k}: {flow.prompts[k].get('sv', '')}" for k in keys if k and k in flow.prompts)


def _merged_edges(node: n.Node) -> list[tuple[str, str]]:
    """Successors with the edges to one target merged ("no input | too many tries")."""
    by_target: dict[str, list[str]] = {}
    for edge, target in n.successors(node):
        by_target.setdefault(target, []).append(edge)
    return [(edges[0] if edges == ["next"] else
             " | ".join(_EDGE_NAMES.get(e, e) for e in edges if e not in _SILENT_EDGES), target)
            for target, edges in by_target.items()]


def caller_paths(flow: Flow, max_depth: int = MAX_DEPTH) -> list[CallerPath]:
    """Every path through ``flow`` (see the module doc), in a stable order."""
    out: list[CallerPath] = []

    def walk(name: str, on_path: tuple[str, ...], choices: tuple[str, ...],
             heard: tuple[str, ...]) -> None:
        node = flow.nodes[name]
        heard = heard + _heard(flow, node)
        end = describe_end(node)
        # A transfer/group with a no-answer branch ends when answered, and goes on if not.
        if end is not None:
            out.append(CallerPath(flow.name, choices, end, heard))
        if end is not None and not isinstance(node, n.TransferNode | n.DialGroupNode):
            return
        if len(on_path) >= max_depth:
            out.append(CallerPath(flow.name, choices, f"(cut after {max_depth} nodes)", heard))
            return
        for edge, target in _merged_edges(node):
            label = choices if edge in _SILENT_EDGES else (*choices, edge)
            if target in on_path:
                out.append(CallerPath(flow.name, label, f"loops back to {target}", heard))
            else:
                walk(target, (*on_path, target), label, heard)

    walk(flow.start, (flow.start,), (), ())
    return out


@dataclass(frozen=True)
class PathChange:
    kind: str  # "added", "removed", "changed"
    name: str
    before: CallerPath | None
    after: CallerPath | None

    def __str__(self) -> str:
        if self.kind == "added" and self.after:
            return f"+ {self.name} -> {self.after.end}"
        if self.kind == "removed" and self.before:
            return f"- {self.name} -> {self.before.end}"
        assert self.before and self.after
        lines = [f"~ {self.name}"]
        if self.before.end != self.after.end:
            lines.append(f"    ends: {self.before.end} -> {self.after.end}")
        for text in self.before.heard:
            if text not in self.after.heard:
                lines.append(f"    no longer hears: {text}")
        for text in self.after.heard:
            if text not in self.before.heard:
                lines.append(f"    now hears: {text}")
        return "\n".join(lines)


def _index(flows: Mapping[str, Flow]) -> dict[str, CallerPath]:
    index: dict[str, CallerPath] = {}
    for flow in flows.values():
        for path in caller_paths(flow):
            name, i = path.name, 2
            while name in index:  # the same choices reach two places (rare): number them
                name, i = f"{path.name} #{i}", i + 1
            index[name] = path
    return index


def diff_paths(old: Mapping[str, Flow], new: Mapping[str, Flow]) -> list[PathChange]:
    """Paths added, removed and changed between two sets of flows (by flow name)."""
    before, after = _index(old), _index(new)
    changes = [PathChange("removed", k, before[k], None) for k in before if k not in after]
    changes += [PathChange("added", k, None, after[k]) for k in after if k not in before]
    changes += [PathChange("changed", k, before[k], after[k]) for k in before
                if k in after and before[k] != after[k]]
    order = {"removed": 0, "added": 1, "changed": 2}
    return sorted(changes, key=lambda c: (c.name, order[c.kind]))

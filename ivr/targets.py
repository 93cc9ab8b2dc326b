"""The names a flow may point at outside itself: ring groups, queues, skills and units (pure).

They are listed in ``dialplans/targets.yaml`` (reviewed with the flows; the
queue side and the configuration must offer at least these)::

    groups: [operators, contact_center]      # ring groups of the controller config
    queues: [kontaktcenter]                  # queues of the queue side
    skills:                                  # requirement keys and their values
      topic: [skola, aldreomsorg, bygglov]
      lang: [sv, en]
    units: [u-bygglov]                       # directory unit ids a transfer may name

A value ``${...}`` in a requirement is filled in during the call and not checked.
When the file is missing, the linter cannot check these names and says so once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.errors import FlowFileError, FlowProblem
from ivr.yamlsrc import YamlSourceError, load_with_positions

_KEYS = ("groups", "queues", "skills", "units")


@dataclass(frozen=True)
class Targets:
    """Known names; ``skills`` maps a requirement key to its allowed values."""

    groups: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()
    skills: Mapping[str, frozenset[str]] = field(default_factory=dict)
    units: frozenset[str] = frozenset()


def _names(value: Any) -> frozenset[str] | None:
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return frozenset(str(v) for v in value)
    return None


def parse_targets(text: str, source: str) -> Targets:
    """Check and build ``targets.yaml``; raise ``FlowFileError`` naming each bad key's line."""
    try:
        data, pos = load_with_positions(text)
    except YamlSourceError as exc:
        line, col = (exc.mark.line, exc.mark.column) if exc.mark else (None, None)
        raise FlowFileError(source, [FlowProblem(source, line, col, exc.message)]) from exc
    data = data or {}
    problems: list[FlowProblem] = []

    def problem(path: tuple[str | int, ...], message: str) -> None:
        mark = pos.at(path)
        problems.append(FlowProblem(source, mark.line if mark else None,
                                    mark.column if mark else None,
                                    f"{'.'.join(map(str, path))}: {message}"))

    if not isinstance(data, dict):
        raise FlowFileError(source, [FlowProblem(source, 1, 1, "expected a mapping")])
    for key in sorted(set(data) - set(_KEYS)):
        problem((key,), f"unknown key; one of {', '.join(_KEYS)}")
    lists: dict[str, frozenset[str]] = {}
    for key in ("groups", "queues", "units"):
        names = _names(data.get(key, []))
        if names is None:
            problem((key,), "expected a list of names")
        lists[key] = names or frozenset()
    skills: dict[str, frozenset[str]] = {}
    raw_skills = data.get("skills", {})
    if not isinstance(raw_skills, dict):
        problem(("skills",), "expected a mapping of requirement keys to lists of values")
        raw_skills = {}
    for key, values in raw_skills.items():
        names = _names(values)
        if names is None:
            problem(("skills", key), "expected a list of values")
        skills[key] = names or frozenset()
    if problems:
        raise FlowFileError(source, problems)
    return Targets(lists["groups"], lists["queues"], skills, lists["units"])

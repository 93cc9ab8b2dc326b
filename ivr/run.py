"""The state of one call's run through a flow, and what the node kinds may do with it.

`CallState` is the run's whole state as plain data (JSON-serialisable, saved in Redis
between AGI sessions); `Group` is a ring group from the configuration. `Run` is the face
of the interpreter's `FlowRun` that the node kinds in `ivr.steps` and `ivr.offers` use:
they import this module, never the interpreter, so the interpreter stands on them and
nothing runs in a circle. Pure: no clock, file or socket.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ivr import actions as a
from ivr import flow as f

Actions = list[a.Action]


@dataclass(frozen=True)
class Group:
    """A ring group from the configuration: the Dial() string of its members and the ring time."""

    name: str
    dial: str
    timeout_s: int = 30

    @property
    def members(self) -> tuple[str, ...]:
        """The members' dial strings, in the group's order."""
        return tuple(m for m in self.dial.split("&") if m)


@dataclass(frozen=True)
class CallState:
    """Everything the run needs to continue, as plain data (JSON-serialisable)."""

    call_id: str
    flow: str
    version: str
    node: str
    language: str = f.LANGUAGES[0]
    waiting: str = "none"
    after_playback: str | None = None
    failures: Mapping[str, int] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    path: tuple[str, ...] = ()
    callee: a.Callee | None = None
    done: bool = False
    candidates: tuple[a.Callee, ...] = ()
    """People found by name, while the caller chooses among them."""
    candidate_absences: tuple[a.Absence | None, ...] = ()
    ring_steps: tuple[tuple[str, int], ...] = ()
    """The answering group's members still to ring one by one: (dial string, seconds)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON. (Written out rather than ``dataclasses.asdict``, whose deep
        copy was a tenth of the controller's time per call; the result is the same.)"""
        d = dict(self.__dict__)
        d["failures"] = dict(self.failures)
        d["variables"] = dict(self.variables)
        d["path"] = list(self.path)
        d["callee"] = _plain(self.callee) if self.callee is not None else None
        d["candidates"] = [_plain(c) for c in self.candidates]
        d["candidate_absences"] = [_plain(x) if x else None for x in self.candidate_absences]
        d["ring_steps"] = [list(step) for step in self.ring_steps]
        return d

    def replaced(self, changes: Mapping[str, Any]) -> CallState:
        """A copy with ``changes`` (as ``dataclasses.replace``, without running ``__init__``
        again: the interpreter replaces the state a few dozen times per call)."""
        unknown = changes.keys() - _STATE_FIELDS
        if unknown:
            raise TypeError(f"CallState has no field {sorted(unknown)}")
        new = object.__new__(CallState)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CallState:
        data = dict(d)
        data["path"] = tuple(data.get("path", ()))
        callee = data.get("callee")
        data["callee"] = a.Callee(**callee) if callee else None
        data["candidates"] = tuple(a.Callee(**c) for c in data.get("candidates", ()))
        data["candidate_absences"] = tuple(a.Absence(**x) if x else None
                                           for x in data.get("candidate_absences", ()))
        data["ring_steps"] = tuple((str(d), int(t)) for d, t in data.get("ring_steps", ()))
        return cls(**data)


_STATE_FIELDS = frozenset(f.name for f in dataclasses.fields(CallState))


def _plain(value: Any) -> dict[str, Any]:
    """A flat dataclass (``Callee``, ``Absence``: no nested dataclasses) as a dict."""
    return dict(value.__dict__)


class Run(Protocol):
    """What a node kind's functions may read and do with the run they are given."""

    flow: f.Flow
    groups: Mapping[str, Group]
    state: CallState

    def _set(self, **changes: Any) -> None:
        """Replace fields of the state."""

    def _trace(self, step: str) -> None:
        """Add a step to the call's path."""

    def _enter(self, name: str, now: datetime, hops: int = 0) -> Actions:
        """Enter the node ``name`` and return its actions."""

    def _play_then(self, prompt: str, then: str) -> Actions:
        """Play a prompt, then go on at ``then``."""

    def _say_then(self, text: str, then: str) -> Actions:
        """Say a text, then go on at ``then``."""

    def _fail(self, counter_node: str, retry_prompt: str | None, now: datetime,
              retry: str | None = None) -> Actions:
        """Count a failed attempt at ``counter_node`` and retry or leave."""

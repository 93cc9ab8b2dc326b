"""Pure change logic: field differences for history, and the plan of an import or sync.

An import or sync first computes a ``SyncPlan`` from what the directory holds
and what the source says, without touching the database; dry-run prints the
plan, a real run applies it in one transaction. Employees are matched by their
stable id only, never by name or extension.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from directory.entities import Device, Employee


def plain(value: object) -> object:
    """A JSON-ready form of an entity field value (devices as "kind:dial")."""
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Device):
        return f"{value.kind}:{value.dial}" + (f":{value.number}" if value.number else "")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


_SCALARS = (str, bool, int, float)


def diff(old: object | None, new: object) -> dict[str, list[object]]:
    """``{field: [old, new]}`` for each field of the dataclass ``new`` that differs from ``old``."""
    result: dict[str, list[object]] = {}
    for f in dataclasses.fields(new):  # type: ignore[arg-type]
        after = getattr(new, f.name)
        before = None if old is None else getattr(old, f.name)
        if old is None or before != after:
            result[f.name] = [plain(before), plain(after)]
    return result


@dataclass(frozen=True)
class SyncPlan:
    """What an import or sync will do; applied as a whole or not at all."""

    added: tuple[Employee, ...]
    changed: tuple[tuple[Employee, Employee], ...]  # (old, new)
    deactivated: tuple[Employee, ...]
    unchanged: int

    @property
    def new_versions(self) -> tuple[Employee, ...]:
        return tuple(new for _, new in self.changed)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.deactivated)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.deactivated)} deactivated, {self.unchanged} unchanged"
        )

    def lines(self) -> list[str]:
        """One line per change, for dry-run output and the sync report."""
        out = [f"+ {e.id} {e.full_name}" for e in self.added]
        for old, new in self.changed:
            fields = ", ".join(
                f"{name}: {before!r} -> {after!r}"
                for name, (before, after) in diff(old, new).items()
            )
            out.append(f"~ {new.id} {new.full_name}: {fields}")
        out += [f"- {e.id} {e.full_name}" for e in self.deactivated]
        return out


def plan_sync(
    current: Mapping[str, Employee], incoming: Sequence[Employee], *, deactivate_missing: bool
) -> SyncPlan:
    """Compare the directory's active employees with a source's, by stable id."""
    added: list[Employee] = []
    changed: list[tuple[Employee, Employee]] = []
    unchanged = 0
    for new in incoming:
        old = current.get(new.id)
        if old is None:
            added.append(new)
        elif old != new:
            changed.append((old, new))
        else:
            unchanged += 1
    seen = {e.id for e in incoming}
    gone = (
        tuple(e for key, e in sorted(current.items()) if key not in seen)
        if deactivate_missing
        else ()
    )
    return SyncPlan(tuple(added), tuple(changed), gone, unchanged)

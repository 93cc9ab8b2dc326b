"""The directory as the IVR and the console see it: a small port, and an in-memory fake.

``DirectoryLookup`` is what a caller-facing flow needs (who is on an
extension, are they away, which unit); ``Directory`` satisfies it, and so does
``FakeDirectory``, which unit tests of the IVR can fill without a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from directory.entities import AbsenceNote, Employee, Unit, note_in_force
from directory.text import number_key


class DirectoryLookup(Protocol):
    def employee_by_extension(self, extension: str) -> Employee | None: ...

    def employee_by_direct_number(self, number: str) -> Employee | None: ...

    def unit_by_number(self, number: str) -> Unit | None: ...

    def current_absence(self, employee_id: str, now: datetime) -> AbsenceNote | None: ...

    def absences(self, employee_id: str) -> list[AbsenceNote]: ...

    def unit(self, unit_id: str) -> Unit | None: ...


@dataclass
class FakeDirectory:
    """An in-memory ``DirectoryLookup`` for tests: people, units and absence notes in dicts."""

    employees: dict[str, Employee] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    notes: dict[str, list[AbsenceNote]] = field(default_factory=dict)

    @classmethod
    def of(cls, employees: Iterable[Employee] = (), units: Iterable[Unit] = ()) -> FakeDirectory:
        return cls({e.id: e for e in employees}, {u.id: u for u in units})

    def set_absence(self, employee_id: str, note: AbsenceNote) -> None:
        self.notes.setdefault(employee_id, []).append(note)

    def employee_by_extension(self, extension: str) -> Employee | None:
        return next((e for e in self.employees.values() if e.extension == extension), None)

    def employee_by_direct_number(self, number: str) -> Employee | None:
        digits = number_key(number)
        return next((e for e in self.employees.values()
                     if digits is not None and e.direct_number == digits), None)

    def unit_by_number(self, number: str) -> Unit | None:
        digits = number_key(number)
        return next((u for u in self.units.values()
                     if digits is not None and u.number == digits), None)

    def current_absence(self, employee_id: str, now: datetime) -> AbsenceNote | None:
        return note_in_force(self.notes.get(employee_id, []), now)

    def absences(self, employee_id: str) -> list[AbsenceNote]:
        return sorted(self.notes.get(employee_id, []), key=lambda n: n.starts_at)

    def unit(self, unit_id: str) -> Unit | None:
        return self.units.get(unit_id)

    def __repr__(self) -> str:
        return f"<FakeDirectory: {len(self.employees)} employees, {len(self.units)} units>"

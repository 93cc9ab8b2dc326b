"""The directory repository: a SQLAlchemy adapter that speaks in entities.

``Directory`` is thread-safe: every public call opens its own session and
transaction, so the IVR can call it through ``asyncio.to_thread``. Rows never
leave the package; callers receive frozen entities. Every write records who
changed what in the history table, in the same transaction. Leavers are
deactivated, never deleted: their history stays, their extension is freed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, true

from directory import convert, rows, search_sql, text
from directory import search as search_db
from directory.changes import SyncPlan, diff
from directory.entities import AbsenceNote, Employee, HistoryEntry, note_in_force
from directory.errors import Conflict, NotFound
from directory.models import AbsenceRow, EmployeeRow, HistoryRow
from directory.ranking import SearchHit
from directory.search import Audience
from directory.store_base import make_engine, utc_now
from directory.store_org import OrganisationStore

_NEWEST_CHANGE = select(func.max(HistoryRow.id))
_ID_BY_EXTENSION = select(EmployeeRow.id).where(
    EmployeeRow.extension == bindparam("extension"), EmployeeRow.active == true()
)

_ID_BY_DIRECT_NUMBER = select(EmployeeRow.id).where(
    EmployeeRow.direct_number == bindparam("number"), EmployeeRow.active == true()
)

#: Hits returned by a search when the caller does not say.
DEFAULT_LIMIT = 10


class Directory(OrganisationStore):
    """The city directory: organisation, districts, units, employees, absence notes, history."""

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], datetime] = utc_now) -> Directory:
        """Connect to ``url`` (``sqlite:///file.db``, ``postgresql://...``) and create the
        schema if it is missing."""
        directory = cls(make_engine(url), clock=clock)
        directory.create_schema()
        search_sql.prepare(directory._engine.dialect)
        return directory

    # --- employees -------------------------------------------------------------------

    def add_employee(
        self, id: str, given_name: str, family_name: str, *, actor: str = "system", **details: Any
    ) -> Employee:
        """Create an employee; ``details`` are the other ``Employee`` fields (title, unit_id,
        extension, devices, languages, listed). Conflict if the id or extension is taken."""
        details.setdefault("title", "")
        details.setdefault("unit_id", None)
        details.setdefault("extension", None)
        employee = Employee(id=id, given_name=given_name, family_name=family_name, **details)
        with self.transaction() as s:
            if s.get(EmployeeRow, id) is not None:
                raise Conflict(f"employee {id!r} already exists")
            rows.require_units(s, [employee.unit_id])
            rows.write_employees(s, [employee], replace=False)
            self.record(s, actor, "employee", [(id, "created", diff(None, employee))])
        return employee

    def update_employee(self, employee: Employee, *, actor: str = "system") -> Employee:
        """Replace an active employee's fields; records the difference."""
        with self.transaction() as s:
            old = rows.load_employees(s, [employee.id]).get(employee.id)
            if old is None:
                raise NotFound("employee", employee.id)
            rows.require_units(s, [employee.unit_id])
            rows.write_employees(s, [employee], replace=True)
            self.record(s, actor, "employee", [(employee.id, "updated", diff(old, employee))])
        return employee

    def deactivate_employee(self, employee_id: str, *, actor: str = "system") -> None:
        """Mark a leaver inactive: no longer found, extension freed; history keeps the record."""
        employee = self.employee(employee_id)
        if employee is None:
            raise NotFound("employee", employee_id)
        self.apply_plan(SyncPlan((), (), (employee,), 0), actor=actor)

    def apply_plan(self, plan: SyncPlan, *, actor: str = "system") -> None:
        """Apply an import or sync plan in one transaction: all of it or nothing."""
        with self.transaction() as s:
            rows.require_units(s, [e.unit_id for e in (*plan.added, *plan.new_versions)])
            # Leavers and changed people give up extensions before anyone takes them.
            rows.deactivate(s, [e.id for e in plan.deactivated])
            rows.write_employees(s, plan.new_versions, replace=True)
            # People who left earlier and come back keep their row (and history).
            returning = rows.existing_ids(s, EmployeeRow, [e.id for e in plan.added])
            rows.write_employees(s, [e for e in plan.added if e.id in returning], replace=True)
            rows.write_employees(s, [e for e in plan.added if e.id not in returning], replace=False)
            changes: list[rows.Change] = [(e.id, "created", diff(None, e)) for e in plan.added]
            changes += [(new.id, "updated", diff(old, new)) for old, new in plan.changed]
            changes += [
                (e.id, "deactivated", {"extension": [e.extension, None]}) for e in plan.deactivated
            ]
            self.record(s, actor, "employee", changes)

    def employee(self, employee_id: str) -> Employee | None:
        """An active employee by stable id (listed or not)."""
        with self.reading() as s:
            return rows.load_employees(s, [employee_id]).get(employee_id)

    def employee_by_extension(self, extension: str) -> Employee | None:
        """The active employee on ``extension``, listed or not (the IVR checks ``listed``)."""
        with self.reading() as s:
            employee_id = s.scalar(_ID_BY_EXTENSION, {"extension": extension})
            if employee_id is None:
                return None
            return rows.load_employees(s, [employee_id])[employee_id]

    def employee_by_direct_number(self, number: str) -> Employee | None:
        """The active employee whose direct number is ``number`` (any written form:
        ``08-508 12 345``, ``+46850812345``, ``46850812345``), listed or not."""
        digits = text.number_key(number)
        if digits is None:
            return None
        with self.reading() as s:
            employee_id = s.scalar(_ID_BY_DIRECT_NUMBER, {"number": digits})
            if employee_id is None:
                return None
            return rows.load_employees(s, [employee_id])[employee_id]

    def employees_in_unit(self, unit_id: str) -> list[Employee]:
        """Active employees of a unit, by family name, given name, id."""
        with self.transaction() as s:
            ids = list(
                s.scalars(
                    select(EmployeeRow.id)
                    .where(EmployeeRow.unit_id == unit_id, EmployeeRow.active.is_(True))
                    .order_by(EmployeeRow.sort_key)
                )
            )
            found = rows.load_employees(s, ids)
            return [found[i] for i in ids]

    def active_employees(self) -> dict[str, Employee]:
        """Every active employee by id (for import and sync planning)."""
        with self.transaction() as s:
            ids = list(s.scalars(select(EmployeeRow.id).where(EmployeeRow.active.is_(True))))
            return rows.load_employees(s, ids)

    # --- absence notes ---------------------------------------------------------------

    def set_absence(
        self, employee_id: str, note: AbsenceNote, *, actor: str = "system"
    ) -> AbsenceNote:
        """Add an absence note; notes it overlaps are cut short or removed (latest wins)."""
        with self.transaction() as s:
            if s.get(EmployeeRow, employee_id) is None:
                raise NotFound("employee", employee_id)
            for row in s.scalars(select(AbsenceRow).where(AbsenceRow.employee_id == employee_id)):
                old = convert.absence_from_row(row)
                if not _overlaps(old, note):
                    continue
                if old.starts_at < note.starts_at:
                    row.ends_at = note.starts_at
                else:
                    s.delete(row)
            s.add(AbsenceRow(**convert.absence_columns(employee_id, note)))
            self.record(s, actor, "absence", [(employee_id, "set", diff(None, note))])
        return note

    def clear_absence(self, employee_id: str, now: datetime, *, actor: str = "system") -> int:
        """End the note in force at ``now`` and drop upcoming ones; returns how many changed."""
        with self.transaction() as s:
            count = 0
            for row in s.scalars(select(AbsenceRow).where(AbsenceRow.employee_id == employee_id)):
                note = convert.absence_from_row(row)
                if note.starts_at > now:
                    s.delete(row)
                elif note.in_force(now):
                    row.ends_at = now
                else:
                    continue
                count += 1
            if count:
                self.record(s, actor, "absence", [(employee_id, "cleared", {"notes": [count, 0]})])
            return count

    def current_absence(self, employee_id: str, now: datetime) -> AbsenceNote | None:
        """The note in force at ``now`` (the latest started), or None."""
        return note_in_force(self.absences(employee_id), now)

    def absences(self, employee_id: str) -> list[AbsenceNote]:
        """All stored notes of an employee, by start."""
        with self.transaction() as s:
            found = s.scalars(
                select(AbsenceRow)
                .where(AbsenceRow.employee_id == employee_id)
                .order_by(AbsenceRow.starts_at, AbsenceRow.id)
            )
            return [convert.absence_from_row(r) for r in found]

    # --- search ----------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        audience: Audience = "public",
        district: str | None = None,
        street: str | None = None,
        postcode: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> list[SearchHit]:
        """Find people and units in one call, best first.

        ``query`` is an extension, a phone number, a name (any order, typos allowed) or
        unit words and topic keywords; ``district`` (id or name), ``street`` or ``postcode``
        limit units to the district that serves the caller. ``audience="public"`` hides
        unlisted people; ``"operator"`` shows them as one protected hit without details.
        Raises NotFound when the district, street or postcode is unknown.
        """
        with self.reading() as s:
            district_id = self._district_filter(s, district, street, postcode)
            return search_db.search(
                s, query, audience=audience, district_id=district_id, limit=limit
            )

    def _district_filter(
        self, s: Connection, district: str | None, street: str | None, postcode: str | None
    ) -> str | None:
        if district is not None:
            found = search_db.district_id(s, district)
            if found is None:
                raise NotFound("district", district)
            return found
        if street is None and postcode is None:
            return None
        found = rows.district_id_for(s, postcode=postcode, street=street)
        if found is None:
            raise NotFound("street or postcode", street or postcode or "")
        return found

    def dial_by_name(self, digits: str, *, limit: int = DEFAULT_LIMIT) -> list[Employee]:
        """Listed people whose family name begins with the keypad ``digits`` ("357" -> Ek...),
        ordered by the keys of the whole family name, then family name, given name and id."""
        with self.reading() as s:
            return search_db.dial_by_name(s, digits, limit)

    # --- history ---------------------------------------------------------------------

    def change_mark(self) -> int:
        """A number that grows with every recorded change (the newest history entry's id;
        0 for none): readers that keep answers in memory compare it to know they are stale."""
        with self.reading() as s:
            return int(s.scalar(_NEWEST_CHANGE) or 0)

    def history(self, entity_id: str | None = None, *, limit: int = 100) -> list[HistoryEntry]:
        """Recorded changes, newest first; only those of ``entity_id`` when given."""
        query = select(HistoryRow).order_by(HistoryRow.id.desc()).limit(limit)
        if entity_id is not None:
            query = query.where(HistoryRow.entity_id == entity_id)
        with self.transaction() as s:
            return [
                HistoryEntry(
                    at=r.at,
                    actor=r.actor,
                    entity=r.entity,
                    entity_id=r.entity_id,
                    action=r.action,
                    changes=json.loads(r.changes),
                )
                for r in s.scalars(query)
            ]


def _overlaps(a: AbsenceNote, b: AbsenceNote) -> bool:
    a_ends_after_b_starts = a.ends_at is None or a.ends_at > b.starts_at
    b_ends_after_a_starts = b.ends_at is None or b.ends_at > a.starts_at
    return a_ends_after_b_starts and b_ends_after_a_starts

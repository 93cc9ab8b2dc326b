"""The directory repository: a SQLAlchemy adapter that speaks in entities.

``Directory`` is thread-safe: every public call opens its own session and
transaction, so the IVR can call it through ``asyncio.to_thread``. Rows never
leave this module and its helpers; callers receive frozen entities. Every write
records who changed what in the history table, in the same transaction.
SQLAlchemy errors are translated at the boundary (``Conflict``, ``StoreUnavailable``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from directory import convert, text
from directory.changes import SyncPlan, diff
from directory.entities import (
    AbsenceNote,
    District,
    Employee,
    HistoryEntry,
    OrgKind,
    OrgNode,
    Unit,
)
from directory.errors import Conflict, DirectoryError, NotFound, StoreUnavailable
from directory.models import (
    AbsenceRow,
    Base,
    DeviceRow,
    DistrictRow,
    EmployeeRow,
    EmployeeTokenRow,
    HistoryRow,
    NameVariantRow,
    OrgNodeRow,
    PostcodeRow,
    StreetRow,
    UnitDistrictRow,
    UnitRow,
    UnitTokenRow,
)

#: Rows per statement in bulk writes (keeps IN lists and parameter counts within limits).
BATCH = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite gets foreign keys and WAL (in memory: one shared
    connection); ``postgresql://`` uses psycopg 3."""
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


class Directory:
    """The city directory: organisation, districts, units, employees, absence notes, history."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], datetime] = utc_now) -> Directory:
        """Connect to ``url`` and create the schema if it is missing."""
        directory = cls(make_engine(url), clock=clock)
        directory.create_schema()
        return directory

    def create_schema(self) -> None:
        """Create the tables that do not exist yet (idempotent)."""
        try:
            Base.metadata.create_all(self._engine)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"cannot create the directory schema: {exc}") from exc

    def close(self) -> None:
        self._engine.dispose()

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def __repr__(self) -> str:
        return f"<Directory {self._engine.url.render_as_string(hide_password=True)}>"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction; SQLAlchemy errors become directory errors."""
        try:
            with Session(self._engine) as session, session.begin():
                yield session
        except DirectoryError:
            raise
        except IntegrityError as exc:
            raise Conflict(f"directory write rejected: {exc.orig}") from exc
        except OperationalError as exc:
            raise StoreUnavailable(f"directory database unavailable: {exc.orig}") from exc

    def record(
        self,
        session: Session,
        actor: str,
        entity: str,
        entity_id: str,
        action: str,
        changes: dict[str, list[object]],
    ) -> None:
        """Append one history entry in the caller's transaction."""
        session.add(
            HistoryRow(
                at=self._clock(),
                actor=actor,
                entity=entity,
                entity_id=entity_id,
                action=action,
                changes=json.dumps(changes, ensure_ascii=False, default=str),
            )
        )

    # --- organisation, districts, units -------------------------------------------------

    def add_org_node(
        self,
        id: str,
        kind: OrgKind,
        name: str,
        parent_id: str | None = None,
        *,
        actor: str = "system",
    ) -> OrgNode:
        node = OrgNode(id=id, kind=kind, name=name, parent_id=parent_id)
        with self.transaction() as s:
            if parent_id is not None and s.get(OrgNodeRow, parent_id) is None:
                raise NotFound("org node", parent_id)
            s.add(OrgNodeRow(id=id, kind=kind.value, name=name, parent_id=parent_id))
            self.record(s, actor, "org", id, "created", diff(None, node))
        return node

    def org_node(self, node_id: str) -> OrgNode | None:
        with self.transaction() as s:
            row = s.get(OrgNodeRow, node_id)
            return None if row is None else _org(row)

    def org_children(self, parent_id: str | None) -> list[OrgNode]:
        """The nodes directly below ``parent_id`` (None: the roots), by name."""
        with self.transaction() as s:
            rows = s.scalars(
                select(OrgNodeRow)
                .where(
                    OrgNodeRow.parent_id.is_(parent_id)
                    if parent_id is None
                    else OrgNodeRow.parent_id == parent_id
                )
                .order_by(OrgNodeRow.name, OrgNodeRow.id)
            )
            return [_org(r) for r in rows]

    def add_district(
        self,
        id: str,
        name: str,
        *,
        postcodes: Iterable[str] = (),
        streets: Iterable[str] = (),
        actor: str = "system",
    ) -> District:
        district = District(id=id, name=name, postcodes=tuple(postcodes), streets=tuple(streets))
        with self.transaction() as s:
            s.add(DistrictRow(id=id, name=name, name_fold=" ".join(text.tokens(name))))
            s.flush()
            for code in district.postcodes:
                s.add(PostcodeRow(postcode=_postcode(code), district_id=id))
            for street in district.streets:
                s.add(StreetRow(street_fold=_street_key(street), street=street, district_id=id))
            self.record(s, actor, "district", id, "created", diff(None, district))
        return district

    def district(self, district_id: str) -> District | None:
        with self.transaction() as s:
            row = s.get(DistrictRow, district_id)
            return None if row is None else _district(s, row)

    def districts(self) -> list[District]:
        with self.transaction() as s:
            rows = s.scalars(select(DistrictRow).order_by(DistrictRow.name))
            return [_district(s, r) for r in rows]

    def district_for(
        self, *, postcode: str | None = None, street: str | None = None
    ) -> District | None:
        """The district a postcode or a street (house number ignored) belongs to."""
        with self.transaction() as s:
            district_id = self.district_id_for(s, postcode=postcode, street=street)
            row = None if district_id is None else s.get(DistrictRow, district_id)
            return None if row is None else _district(s, row)

    def district_id_for(
        self, s: Session, *, postcode: str | None = None, street: str | None = None
    ) -> str | None:
        if postcode:
            found = s.scalar(
                select(PostcodeRow.district_id).where(PostcodeRow.postcode == _postcode(postcode))
            )
            if found:
                return found
        if street:
            return s.scalar(
                select(StreetRow.district_id).where(StreetRow.street_fold == _street_key(street))
            )
        return None

    def add_unit(self, id: str, name: str, *, actor: str = "system", **details: Any) -> Unit:
        """Create a unit; ``details`` are the other ``Unit`` fields (topics, district_ids, ...)."""
        unit = Unit(id=id, name=name, **details)
        with self.transaction() as s:
            if unit.parent_id is not None and s.get(OrgNodeRow, unit.parent_id) is None:
                raise NotFound("org node", unit.parent_id)
            for district_id in unit.district_ids:
                if s.get(DistrictRow, district_id) is None:
                    raise NotFound("district", district_id)
            s.execute(insert(UnitRow), [convert.unit_columns(unit)])
            links = [
                {"unit_id": id, "district_id": d, "position": i}
                for i, d in enumerate(unit.district_ids)
            ]
            if links:
                s.execute(insert(UnitDistrictRow), links)
            tokens = convert.unit_token_columns(unit)
            s.execute(insert(UnitTokenRow), tokens)
            add_variants(s, [str(t["token"]) for t in tokens])
            self.record(s, actor, "unit", id, "created", diff(None, unit))
        return unit

    def unit(self, unit_id: str) -> Unit | None:
        with self.transaction() as s:
            row = s.get(UnitRow, unit_id)
            return None if row is None else units_from_rows(s, [row])[0]

    def units(self) -> list[Unit]:
        with self.transaction() as s:
            return units_from_rows(s, list(s.scalars(select(UnitRow).order_by(UnitRow.name_fold))))

    # --- employees -------------------------------------------------------------------

    def add_employee(
        self, id: str, given_name: str, family_name: str, *, actor: str = "system", **details: Any
    ) -> Employee:
        """Create an employee; ``details`` are the other ``Employee`` fields. Conflict if the id
        or extension is taken."""
        employee = Employee(
            id=id,
            given_name=given_name,
            family_name=family_name,
            title=details.pop("title", ""),
            unit_id=details.pop("unit_id", None),
            extension=details.pop("extension", None),
            **details,
        )
        with self.transaction() as s:
            if s.get(EmployeeRow, id) is not None:
                raise Conflict(f"employee {id!r} already exists")
            self.check_references(s, [employee])
            write_employees(s, [employee], replace=False)
            self.record(s, actor, "employee", id, "created", diff(None, employee))
        return employee

    def update_employee(self, employee: Employee, *, actor: str = "system") -> Employee:
        """Replace an active employee's fields; records the difference."""
        with self.transaction() as s:
            old = load_employees(s, [employee.id]).get(employee.id)
            if old is None:
                raise NotFound("employee", employee.id)
            self.check_references(s, [employee])
            write_employees(s, [employee], replace=True)
            self.record(s, actor, "employee", employee.id, "updated", diff(old, employee))
        return employee

    def deactivate_employee(self, employee_id: str, *, actor: str = "system") -> None:
        """Mark a leaver inactive: no longer found, extension freed; history keeps the record."""
        with self.transaction() as s:
            old = load_employees(s, [employee_id]).get(employee_id)
            if old is None:
                raise NotFound("employee", employee_id)
            deactivate(s, [employee_id])
            self.record(
                s,
                actor,
                "employee",
                employee_id,
                "deactivated",
                {"extension": [old.extension, None]},
            )

    def check_references(self, s: Session, employees: Sequence[Employee]) -> None:
        """Fail with NotFound naming the unit when an employee points at a missing unit."""
        unit_ids = {e.unit_id for e in employees if e.unit_id is not None}
        known: set[str] = set()
        for part in chunks(sorted(unit_ids)):
            known.update(s.scalars(select(UnitRow.id).where(UnitRow.id.in_(part))))
        missing = sorted(unit_ids - known)
        if missing:
            raise NotFound("unit", missing[0])

    def employee(self, employee_id: str) -> Employee | None:
        """An active employee by stable id (listed or not)."""
        with self.transaction() as s:
            return load_employees(s, [employee_id]).get(employee_id)

    def employee_by_extension(self, extension: str) -> Employee | None:
        """The active employee on ``extension``, listed or not (the IVR checks ``listed``)."""
        with self.transaction() as s:
            employee_id = s.scalar(
                select(EmployeeRow.id).where(
                    EmployeeRow.extension == extension, EmployeeRow.active.is_(True)
                )
            )
            return None if employee_id is None else load_employees(s, [employee_id])[employee_id]

    def employees_in_unit(self, unit_id: str) -> list[Employee]:
        with self.transaction() as s:
            ids = list(
                s.scalars(
                    select(EmployeeRow.id)
                    .where(EmployeeRow.unit_id == unit_id, EmployeeRow.active.is_(True))
                    .order_by(EmployeeRow.family_fold, EmployeeRow.given_fold, EmployeeRow.id)
                )
            )
            found = load_employees(s, ids)
            return [found[i] for i in ids]

    def active_employees(self) -> dict[str, Employee]:
        """Every active employee by id (for import and sync planning)."""
        with self.transaction() as s:
            ids = list(s.scalars(select(EmployeeRow.id).where(EmployeeRow.active.is_(True))))
            return load_employees(s, ids)

    def apply_plan(self, plan: SyncPlan, *, actor: str = "system") -> None:
        """Apply an import or sync plan in one transaction: all of it or nothing."""
        with self.transaction() as s:
            self.check_references(s, [*plan.added, *(new for _, new in plan.changed)])
            # Leavers and changed people give up extensions before anyone takes them.
            deactivate(s, [e.id for e in plan.deactivated])
            write_employees(s, [new for _, new in plan.changed], replace=True)
            # People who left earlier and come back keep their row (and history).
            reactivated = self._existing_ids(s, [e.id for e in plan.added])
            write_employees(s, [e for e in plan.added if e.id in reactivated], replace=True)
            write_employees(s, [e for e in plan.added if e.id not in reactivated], replace=False)
            history = [(e.id, "created", diff(None, e)) for e in plan.added]
            history += [(new.id, "updated", diff(old, new)) for old, new in plan.changed]
            history += [
                (e.id, "deactivated", {"extension": [e.extension, None]}) for e in plan.deactivated
            ]
            now = self._clock()
            rows = [
                {
                    "at": now,
                    "actor": actor,
                    "entity": "employee",
                    "entity_id": i,
                    "action": a,
                    "changes": json.dumps(c, ensure_ascii=False, default=str),
                }
                for i, a, c in history
            ]
            for part in chunks(rows):
                s.execute(insert(HistoryRow), list(part))

    def _existing_ids(self, s: Session, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(list(ids)):
            found.update(s.scalars(select(EmployeeRow.id).where(EmployeeRow.id.in_(part))))
        return found

    def put_units(self, units: Sequence[Unit], *, actor: str = "system") -> None:
        """Create many units in one transaction (seeding and imports)."""
        with self.transaction() as s:
            for part in chunks(list(units)):
                s.execute(insert(UnitRow), [convert.unit_columns(u) for u in part])
            links = [
                {"unit_id": u.id, "district_id": d, "position": i}
                for u in units
                for i, d in enumerate(u.district_ids)
            ]
            tokens = [t for u in units for t in convert.unit_token_columns(u)]
            for lpart in chunks(links):
                s.execute(insert(UnitDistrictRow), list(lpart))
            for tpart in chunks(tokens):
                s.execute(insert(UnitTokenRow), list(tpart))
            add_variants(s, sorted({str(t["token"]) for t in tokens}))
            now = self._clock()
            rows = [
                {
                    "at": now,
                    "actor": actor,
                    "entity": "unit",
                    "entity_id": u.id,
                    "action": "created",
                    "changes": json.dumps(diff(None, u), ensure_ascii=False, default=str),
                }
                for u in units
            ]
            for part in chunks(rows):
                s.execute(insert(HistoryRow), list(part))

    # --- absence notes ---------------------------------------------------------------

    def set_absence(
        self, employee_id: str, note: AbsenceNote, *, actor: str = "system"
    ) -> AbsenceNote:
        """Add an absence note; notes it overlaps are cut short or removed (latest wins)."""
        with self.transaction() as s:
            if load_employees(s, [employee_id]).get(employee_id) is None:
                raise NotFound("employee", employee_id)
            self._cut_overlaps(s, employee_id, note)
            s.execute(insert(AbsenceRow), [convert.absence_columns(employee_id, note)])
            self.record(s, actor, "absence", employee_id, "set", diff(None, note))
        return note

    def _cut_overlaps(self, s: Session, employee_id: str, note: AbsenceNote) -> None:
        for row in s.scalars(select(AbsenceRow).where(AbsenceRow.employee_id == employee_id)):
            old = convert.absence_from_row(row)
            ends_after_start = old.ends_at is None or old.ends_at > note.starts_at
            starts_before_end = note.ends_at is None or old.starts_at < note.ends_at
            if not (ends_after_start and starts_before_end):
                continue
            if old.starts_at < note.starts_at:
                row.ends_at = note.starts_at
            else:
                s.delete(row)

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
                self.record(s, actor, "absence", employee_id, "cleared", {"count": [None, count]})
            return count

    def current_absence(self, employee_id: str, now: datetime) -> AbsenceNote | None:
        """The note in force at ``now`` (the latest started), or None."""
        notes = [n for n in self.absences(employee_id) if n.in_force(now)]
        return max(notes, key=lambda n: n.starts_at) if notes else None

    def absences(self, employee_id: str) -> list[AbsenceNote]:
        """All stored notes of an employee, by start."""
        with self.transaction() as s:
            rows = s.scalars(
                select(AbsenceRow)
                .where(AbsenceRow.employee_id == employee_id)
                .order_by(AbsenceRow.starts_at, AbsenceRow.id)
            )
            return [convert.absence_from_row(r) for r in rows]

    # --- history ---------------------------------------------------------------------

    def history(self, entity_id: str | None = None, *, limit: int = 100) -> list[HistoryEntry]:
        """Recorded changes, newest first; only those of ``entity_id`` when given."""
        with self.transaction() as s:
            query = select(HistoryRow).order_by(HistoryRow.id.desc()).limit(limit)
            if entity_id is not None:
                query = query.where(HistoryRow.entity_id == entity_id)
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


def _postcode(code: str) -> str:
    return code.replace(" ", "")


def _street_key(street: str) -> str:
    """A street without house number or letter: "Drottninggatan 5B" -> "drottninggatan"."""
    words = [t for t in text.tokens(street) if not t[0].isdigit()]
    return " ".join(words)


def _org(row: OrgNodeRow) -> OrgNode:
    return OrgNode(id=row.id, kind=OrgKind(row.kind), name=row.name, parent_id=row.parent_id)


def _district(s: Session, row: DistrictRow) -> District:
    codes = s.scalars(
        select(PostcodeRow.postcode)
        .where(PostcodeRow.district_id == row.id)
        .order_by(PostcodeRow.postcode)
    )
    streets = s.scalars(
        select(StreetRow.street)
        .where(StreetRow.district_id == row.id)
        .order_by(StreetRow.street_fold)
    )
    return District(id=row.id, name=row.name, postcodes=tuple(codes), streets=tuple(streets))


def units_from_rows(s: Session, rows: Sequence[UnitRow]) -> list[Unit]:
    links: dict[str, list[str]] = {r.id: [] for r in rows}
    for part in chunks([r.id for r in rows]):
        for link in s.scalars(
            select(UnitDistrictRow)
            .where(UnitDistrictRow.unit_id.in_(part))
            .order_by(UnitDistrictRow.position)
        ):
            links[link.unit_id].append(link.district_id)
    return [convert.unit_from_row(r, links[r.id]) for r in rows]


def load_employees(s: Session, ids: Sequence[str]) -> dict[str, Employee]:
    """Active employees with their devices, by id (missing or inactive ids are left out)."""
    result: dict[str, Employee] = {}
    for part in chunks(list(ids)):
        rows = list(
            s.scalars(
                select(EmployeeRow).where(EmployeeRow.id.in_(part), EmployeeRow.active.is_(True))
            )
        )
        devices: dict[str, list[DeviceRow]] = {r.id: [] for r in rows}
        for d in s.scalars(select(DeviceRow).where(DeviceRow.employee_id.in_(part))):
            devices.setdefault(d.employee_id, []).append(d)
        for r in rows:
            result[r.id] = convert.employee_from_row(r, devices[r.id])
    return result


def write_employees(s: Session, employees: Sequence[Employee], *, replace: bool) -> None:
    """Insert (or, with ``replace``, overwrite) employees with devices and search tokens."""
    ids = [e.id for e in employees]
    if replace:
        for part in chunks(ids):
            s.execute(delete(DeviceRow).where(DeviceRow.employee_id.in_(part)))
            s.execute(delete(EmployeeTokenRow).where(EmployeeTokenRow.employee_id.in_(part)))
            # Free extensions first so that two employees may swap them in one import.
            s.execute(update(EmployeeRow).where(EmployeeRow.id.in_(part)).values(extension=None))
        for e in employees:
            columns = convert.employee_columns(e)
            s.execute(update(EmployeeRow).where(EmployeeRow.id == e.id).values(**columns))
    elif employees:
        for part in chunks(employees):
            s.execute(insert(EmployeeRow), [convert.employee_columns(e) for e in part])
    devices = [d for e in employees for d in convert.device_columns(e.id, e.devices)]
    tokens = [t for e in employees for t in convert.token_columns(e)]
    for dpart in chunks(devices):
        s.execute(insert(DeviceRow), list(dpart))
    for tpart in chunks(tokens):
        s.execute(insert(EmployeeTokenRow), list(tpart))
    add_variants(s, sorted({str(t["token"]) for t in tokens}))


def deactivate(s: Session, ids: Sequence[str]) -> None:
    for part in chunks(list(ids)):
        s.execute(
            update(EmployeeRow).where(EmployeeRow.id.in_(part)).values(active=False, extension=None)
        )


def add_variants(s: Session, vocabulary: Sequence[str]) -> None:
    """Add the fuzzy-index variants of tokens not indexed yet (a token is its own variant)."""
    known: set[str] = set()
    for part in chunks(list(vocabulary)):
        known.update(
            s.scalars(
                select(NameVariantRow.token).where(
                    NameVariantRow.variant.in_(part), NameVariantRow.variant == NameVariantRow.token
                )
            )
        )
    pairs = sorted(text.index_variants(t for t in vocabulary if t not in known))
    for ppart in chunks(pairs, 2000):
        s.execute(insert(NameVariantRow), [{"variant": v, "token": t} for v, t in ppart])

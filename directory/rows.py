"""Session-level helpers of the repository: bulk reads and writes of rows.

Every function takes the caller's session and runs inside its transaction, so
a write made of several of them is still all or nothing. Bulk statements are
cut into batches of ``BATCH`` rows to stay within the parameter limits of
SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, delete, insert, select, true, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from directory import convert, prepared, text
from directory.entities import Device, District, Employee, OrgKind, OrgNode, Unit
from directory.errors import NotFound
from directory.models import (
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
    VocabularyRow,
)
from directory.prepared import Prepared

#: Rows per statement in bulk writes (keeps IN lists and parameter counts within limits).
BATCH = 500

#: What read helpers accept: an ORM session, or a plain connection (cheaper, for searches).
Reader = Session | Connection

#: Which kind of entity uses a token (a column of ``VocabularyRow``).
VocabularyKind = Literal["employees", "units", "districts"]

#: One history entry before it is written: (entity id, action, {field: [old, new]}).
Change = tuple[str, str, dict[str, list[object]]]


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def insert_many(s: Session, model: type[Base], rows: Sequence[dict[str, object]]) -> None:
    """Core executemany on the table: the ORM's bulk path issues one statement per row here."""
    table = model.__table__
    for part in chunks(rows):
        s.execute(insert(table), part)  # type: ignore[arg-type]


def write_history(
    s: Session, at: datetime, actor: str, entity: str, changes: Sequence[Change]
) -> None:
    insert_many(
        s,
        HistoryRow,
        [
            {
                "at": at,
                "actor": actor,
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "changes": json.dumps(fields, ensure_ascii=False, default=str),
            }
            for entity_id, action, fields in changes
        ],
    )


def existing_ids(
    s: Session, model: type[EmployeeRow] | type[UnitRow], ids: Sequence[str]
) -> set[str]:
    """Which of ``ids`` have a row in ``model``'s table (active or not)."""
    found: set[str] = set()
    for part in chunks(sorted(set(ids))):
        found.update(s.scalars(select(model.id).where(model.id.in_(part))))
    return found


def require_units(s: Session, unit_ids: Sequence[str | None]) -> None:
    """Fail with NotFound naming the first unit id that does not exist."""
    wanted = {u for u in unit_ids if u is not None}
    missing = sorted(wanted - existing_ids(s, UnitRow, sorted(wanted)))
    if missing:
        raise NotFound("unit", missing[0])


_EMPLOYEES = EmployeeRow.__table__.c
_DEVICES = DeviceRow.__table__.c
_UNITS = UnitRow.__table__.c
_LINKS = UnitDistrictRow.__table__.c


def _ids(size: int) -> list[Any]:
    return [bindparam(f"ids_{j}") for j in range(size)]


@functools.lru_cache(maxsize=16)
def employees_statement(size: int) -> Prepared:
    """Active people joined with their devices, by ``size`` ids (``ids_j``)."""
    return Prepared(
        select(
            *_EMPLOYEES,
            _DEVICES.position.label("d_position"),
            _DEVICES.kind.label("d_kind"),
            _DEVICES.dial.label("d_dial"),
            _DEVICES.raw_number.label("d_number"),
        )
        .outerjoin(DeviceRow.__table__, _DEVICES.employee_id == _EMPLOYEES.id)
        .where(_EMPLOYEES.id.in_(_ids(size)), _EMPLOYEES.active == true())
    )


@functools.lru_cache(maxsize=16)
def units_statement(size: int) -> Prepared:
    """Units joined with their district links, by ``size`` ids (``ids_j``)."""
    return Prepared(
        select(*_UNITS, _LINKS.district_id.label("l_district"), _LINKS.position.label("l_position"))
        .outerjoin(UnitDistrictRow.__table__, _LINKS.unit_id == _UNITS.id)
        .where(_UNITS.id.in_(_ids(size)))
    )


def _by_ids(s: Reader, statement: Callable[[int], Prepared], ids: Sequence[str]) -> Iterator[Any]:
    """Rows of ``statement`` for ``ids``, in batches (a session's pending rows flushed first)."""
    if isinstance(s, Session):
        s.flush()
    conn = s.connection() if isinstance(s, Session) else s
    for part in chunks(ids):
        found = statement(len(prepared.padded(part)))
        yield from found.named(conn, prepared.in_params("ids", part))


def load_employees(s: Reader, ids: Sequence[str]) -> dict[str, Employee]:
    """Active employees with their devices, by id (missing or inactive ids are left out).

    One prepared statement (people joined with their devices), not ORM entities: this is
    on every search's path, where SQLAlchemy's execution layer and the ORM's identity map
    cost more than the query itself.
    """
    rows: dict[str, Any] = {}
    devices: dict[str, list[Device]] = {}
    found = _by_ids(s, employees_statement, ids)
    for r in sorted(found, key=lambda r: (r.id, r.d_position or 0)):
        rows[r.id] = r
        mine = devices.setdefault(r.id, [])
        if r.d_kind is not None:
            mine.append(Device(kind=r.d_kind, dial=r.d_dial, number=r.d_number))
    return {i: convert.employee_from_row(r, devices[i]) for i, r in rows.items()}


def write_employees(s: Session, employees: Sequence[Employee], *, replace: bool) -> None:
    """Insert (or, with ``replace``, overwrite and reactivate) employees with devices and tokens."""
    if replace:
        ids = [e.id for e in employees]
        for part in chunks(ids):
            s.execute(delete(DeviceRow).where(DeviceRow.employee_id.in_(part)))
            s.execute(delete(EmployeeTokenRow).where(EmployeeTokenRow.employee_id.in_(part)))
            # Free extensions and direct numbers first so that two employees may swap them
            # in one import.
            s.execute(
                update(EmployeeRow)
                .where(EmployeeRow.id.in_(part))
                .values(extension=None, direct_number=None)
            )
        # ORM bulk UPDATE by primary key: one executemany, not one statement per person.
        for part in chunks([convert.employee_columns(e) for e in employees]):
            s.execute(update(EmployeeRow), part)
    else:
        insert_many(s, EmployeeRow, [convert.employee_columns(e) for e in employees])
    insert_many(
        s, DeviceRow, [d for e in employees for d in convert.device_columns(e.id, e.devices)]
    )
    tokens = [t for e in employees for t in convert.token_columns(e)]
    insert_many(s, EmployeeTokenRow, tokens)
    add_vocabulary(s, {str(t["token"]) for t in tokens}, "employees")


def deactivate(s: Session, ids: Sequence[str]) -> None:
    """Leavers keep their row and history but lose their extension, direct number and search
    tokens."""
    for part in chunks(ids):
        s.execute(delete(EmployeeTokenRow).where(EmployeeTokenRow.employee_id.in_(part)))
        s.execute(
            update(EmployeeRow)
            .where(EmployeeRow.id.in_(part))
            .values(active=False, extension=None, direct_number=None)
        )


def write_units(s: Session, units: Sequence[Unit]) -> None:
    """Insert units with their district links and search tokens."""
    insert_many(s, UnitRow, [convert.unit_columns(u) for u in units])
    insert_many(
        s,
        UnitDistrictRow,
        [
            {"unit_id": u.id, "district_id": d, "position": i}
            for u in units
            for i, d in enumerate(u.district_ids)
        ],
    )
    tokens = [t for u in units for t in convert.unit_token_columns(u)]
    insert_many(s, UnitTokenRow, tokens)
    add_vocabulary(s, {str(t["token"]) for t in tokens}, "units")


def add_vocabulary(s: Session, tokens: set[str], kind: VocabularyKind) -> None:
    """Record that ``kind`` uses ``tokens``; new tokens also get their fuzzy-index variants."""
    flag = getattr(VocabularyRow, kind)
    known: set[str] = set()
    unflagged: list[str] = []
    for part in chunks(sorted(tokens)):
        for token, flagged in s.execute(
            select(VocabularyRow.token, flag).where(VocabularyRow.token.in_(part))
        ):
            known.add(token)
            if not flagged:
                unflagged.append(token)
    new = sorted(tokens - known)
    insert_many(
        s,
        VocabularyRow,
        [
            {
                "token": t,
                "employees": kind == "employees",
                "units": kind == "units",
                "districts": kind == "districts",
            }
            for t in new
        ],
    )
    for part in chunks(unflagged):
        s.execute(update(VocabularyRow).where(VocabularyRow.token.in_(part)).values({kind: True}))
    pairs = sorted(text.index_variants(new))
    insert_many(s, NameVariantRow, [{"variant": v, "token": t} for v, t in pairs])


def load_units(s: Reader, ids: Sequence[str]) -> list[Unit]:
    """Units with their districts, in the order of ``ids`` (missing ids are left out)."""
    found: dict[str, Any] = {}
    links: dict[str, list[tuple[int, str]]] = {}
    for r in _by_ids(s, units_statement, ids):
        found[r.id] = r
        if r.l_district is not None:
            links.setdefault(r.id, []).append((r.l_position, r.l_district))
    return [
        convert.unit_from_row(found[i], [d for _, d in sorted(links.get(i, []))])
        for i in ids
        if i in found
    ]


def postcode_key(code: str) -> str:
    return code.replace(" ", "")


def street_key(street: str) -> str:
    """A street without house number or letter: "Drottninggatan 5B" -> "drottninggatan"."""
    return " ".join(t for t in text.tokens(street) if not t[0].isdigit())


def org_from_row(row: OrgNodeRow) -> OrgNode:
    return OrgNode(id=row.id, kind=OrgKind(row.kind), name=row.name, parent_id=row.parent_id)


def district_from_row(s: Session, row: DistrictRow) -> District:
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


def district_id_for(s: Reader, *, postcode: str | None, street: str | None) -> str | None:
    """The district of a postcode, else of a street (house number ignored), else None."""
    if postcode:
        found = s.scalar(
            select(PostcodeRow.district_id).where(PostcodeRow.postcode == postcode_key(postcode))
        )
        if found:
            return found
    if street:
        return s.scalar(
            select(StreetRow.district_id).where(StreetRow.street_fold == street_key(street))
        )
    return None

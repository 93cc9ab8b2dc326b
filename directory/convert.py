"""Conversions between ORM rows and entities; the only place that knows both shapes.

Invariant: every derived search column and token row is computed here from the
entity, so a row written through this module is always searchable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import time
from typing import Any

from directory import text
from directory.entities import (
    AbsenceCategory,
    AbsenceNote,
    AbsenceReason,
    AnswerStrategy,
    Device,
    Employee,
    ForwardKind,
    OpeningHours,
    Unit,
)
from directory.models import AbsenceRow, EmployeeRow, UnitRow
from directory.ranking import employee_name_tokens, employee_sort_key, unit_sort_key, unit_tokens


def employee_columns(e: Employee) -> dict[str, object]:
    """The ``employees`` columns for ``e`` (including derived search columns)."""
    return {
        "id": e.id,
        "given_name": e.given_name,
        "family_name": e.family_name,
        "title": e.title,
        "unit_id": e.unit_id,
        "extension": e.extension,
        "languages": ",".join(e.languages),
        "listed": e.listed,
        "active": True,
        "sort_key": employee_sort_key(e),
        "family_keys": text.keypad_digits(e.family_name),
        "direct_number": e.direct_number,
        "email": e.email,
    }


def device_columns(employee_id: str, devices: tuple[Device, ...]) -> list[dict[str, object]]:
    return [
        {
            "employee_id": employee_id,
            "position": i,
            "kind": d.kind,
            "dial": d.dial,
            "number": text.phone_digits(d.number) if d.number else None,
            "raw_number": d.number,
        }
        for i, d in enumerate(devices)
    ]


def token_columns(e: Employee) -> list[dict[str, object]]:
    key = employee_sort_key(e)
    tokens = employee_name_tokens(e)
    names = text.delimited_tokens(tokens)
    return [
        {"token": t, "employee_id": e.id, "listed": e.listed, "sort_key": key, "name_tokens": names}
        for t in tokens
    ]


def unit_token_columns(u: Unit) -> list[dict[str, object]]:
    key = unit_sort_key(u)
    return [{"token": t, "unit_id": u.id, "sort_key": key} for t in unit_tokens(u)]


def employee_from_row(row: EmployeeRow | Any, devices: Sequence[Device]) -> Employee:
    """An employee from its row (ORM object or Core row of the same columns) and devices."""
    return Employee(
        id=row.id,
        given_name=row.given_name,
        family_name=row.family_name,
        title=row.title,
        unit_id=row.unit_id,
        extension=row.extension,
        devices=tuple(devices),
        languages=tuple(x for x in row.languages.split(",") if x),
        listed=row.listed,
        direct_number=row.direct_number,
        email=row.email,
    )


def unit_columns(u: Unit) -> dict[str, object]:
    return {
        "id": u.id,
        "name": u.name,
        "sort_key": unit_sort_key(u),
        "parent_id": u.parent_id,
        "description": u.description,
        "topics": json.dumps(list(u.topics), ensure_ascii=False),
        "opening_hours": json.dumps(
            [
                [h.weekday, h.opens.isoformat("minutes"), h.closes.isoformat("minutes")]
                for h in u.opening_hours
            ]
        ),
        "phone_group": u.phone_group,
        "visiting_address": u.visiting_address,
        "cost_centre": u.cost_centre,
        "number": u.number,
        "answer_strategy": u.answer_strategy.value,
        "member_ring_s": u.member_ring_s,
        "email": u.email,
    }


def unit_from_row(row: UnitRow | Any, district_ids: list[str]) -> Unit:
    hours = json.loads(row.opening_hours or "[]")
    return Unit(
        id=row.id,
        name=row.name,
        parent_id=row.parent_id,
        description=row.description,
        topics=tuple(json.loads(row.topics or "[]")),
        district_ids=tuple(district_ids),
        opening_hours=tuple(
            OpeningHours(wd, time.fromisoformat(o), time.fromisoformat(c)) for wd, o, c in hours
        ),
        phone_group=row.phone_group,
        visiting_address=row.visiting_address,
        cost_centre=row.cost_centre,
        number=row.number,
        answer_strategy=AnswerStrategy(row.answer_strategy),
        member_ring_s=row.member_ring_s,
        email=row.email,
    )


def absence_columns(employee_id: str, n: AbsenceNote) -> dict[str, object]:
    return {
        "employee_id": employee_id,
        "category": n.category.value,
        "starts_at": n.starts_at,
        "ends_at": n.ends_at,
        "reason": n.message,
        "forward_kind": n.forward_kind.value,
        "forward_target": n.forward_target,
    }


def absence_from_row(row: AbsenceRow) -> AbsenceNote:
    return AbsenceNote(
        category=AbsenceCategory(row.category),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=AbsenceReason(row.reason),
        forward_kind=ForwardKind(row.forward_kind),
        forward_target=row.forward_target,
    )

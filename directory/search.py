"""Search against the database: indexed SQL narrows candidates, ``ranking`` decides.

One call answers every kind of query: an extension, a phone number (reverse
lookup of a caller), a name (any order, typos, Swedish letters typed as a/o),
a unit name or topic keyword, optionally limited to a district given by id,
name, street or postcode, or named inside the query ("hemtjänst bromma").

Invariants: candidates are fetched level by level (exact, prefix, fuzzy), each
level ordered by name and limited, so a query never reads more than a few
pages of rows however common the name; unlisted people never reach a public
caller, and an operator sees only a protected hit without any detail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, or_, select
from sqlalchemy.orm import Session

from directory import ranking, rows, text
from directory.entities import Employee, Unit
from directory.models import (
    DeviceRow,
    DistrictRow,
    EmployeeRow,
    EmployeeTokenRow,
    NameVariantRow,
    UnitDistrictRow,
    UnitRow,
    UnitTokenRow,
)
from directory.ranking import MatchRank, SearchHit

Audience = Literal["public", "operator"]

#: Upper bound of a prefix range: sorts after every token character (tokens are a-z, 0-9).
_PREFIX_END = "\x7f"

#: Levels of the name search, in the order they are fetched.
_LEVELS = (MatchRank.EXACT_NAME, MatchRank.PREFIX, MatchRank.FUZZY)


def search(
    s: Session, query: str, *, audience: Audience, district_id: str | None, limit: int
) -> list[SearchHit]:
    """Every hit for ``query``, best first (see ``ranking`` for the order)."""
    parsed = ranking.parse_query(query)
    listed_only = audience == "public"
    if parsed.extension is not None:
        employees = _by_extension(s, parsed.extension, listed_only)
        hits = [SearchHit(MatchRank.EXACT_EXTENSION, employee=e) for e in employees]
    elif parsed.phone is not None:
        employees = _by_phone(s, parsed.phone, listed_only, limit)
        hits = [SearchHit(MatchRank.PHONE_NUMBER, employee=e) for e in employees]
    elif parsed.name_tokens:
        districts = _district_names(s)
        unit_tokens, named_district = ranking.split_district(parsed.name_tokens, districts)
        hits = _employees_by_name(s, parsed.name_tokens, listed_only, limit)
        hits += _units_by_tokens(s, unit_tokens, district_id or named_district, limit)
    else:
        hits = []
    return ranking.order_hits(ranking.protect(hits), limit)


def dial_by_name(s: Session, digits: str, limit: int) -> list[Employee]:
    """Listed employees whose family name starts with the keys ``digits``, in a stable order."""
    if not digits.isdigit():
        return []
    ids = list(
        s.scalars(
            select(EmployeeRow.id)
            .where(
                EmployeeRow.family_keys >= digits,
                EmployeeRow.family_keys < digits + _PREFIX_END,
                EmployeeRow.active.is_(True),
                EmployeeRow.listed.is_(True),
            )
            .order_by(
                EmployeeRow.family_keys,
                EmployeeRow.family_fold,
                EmployeeRow.given_fold,
                EmployeeRow.id,
            )
            .limit(limit)
        )
    )
    found = rows.load_employees(s, ids)
    return [found[i] for i in ids]


def district_id(s: Session, name_or_id: str) -> str | None:
    """A district id from its id or its name typed any way ("Ostermalm", "östermalm")."""
    if s.get(DistrictRow, name_or_id) is not None:
        return name_or_id
    folded = " ".join(text.tokens(name_or_id))
    return s.scalar(select(DistrictRow.id).where(DistrictRow.name_fold == folded))


def _visible(listed_only: bool) -> ColumnElement[bool]:
    active = EmployeeRow.active.is_(True)
    return and_(active, EmployeeRow.listed.is_(True)) if listed_only else active


def _by_extension(s: Session, extension: str, listed_only: bool) -> list[Employee]:
    ids = list(
        s.scalars(
            select(EmployeeRow.id).where(EmployeeRow.extension == extension, _visible(listed_only))
        )
    )
    return list(rows.load_employees(s, ids).values())


def _by_phone(s: Session, phone: str, listed_only: bool, limit: int) -> list[Employee]:
    ids = list(
        s.scalars(
            select(EmployeeRow.id)
            .join(DeviceRow, DeviceRow.employee_id == EmployeeRow.id)
            .where(DeviceRow.number == phone, _visible(listed_only))
            .distinct()
            .limit(limit)
        )
    )
    return list(rows.load_employees(s, ids).values())


def _district_names(s: Session) -> dict[tuple[str, ...], str]:
    return {
        tuple(fold.split()): did
        for did, fold in s.execute(select(DistrictRow.id, DistrictRow.name_fold))
    }


def _fuzzy_tokens(s: Session, query_token: str) -> set[str]:
    """Indexed tokens within the typo allowance of ``query_token`` (symmetric-delete lookup)."""
    limit = text.max_edits(query_token)
    if not limit:
        return set()
    variants = sorted(text.deletion_variants(query_token, limit))
    candidates = s.scalars(select(NameVariantRow.token).where(NameVariantRow.variant.in_(variants)))
    return {t for t in candidates if text.edit_distance(query_token, t, limit) <= limit}


def _token_condition(
    column: SQLColumnExpression[str], query_token: str, level: MatchRank, fuzzy: set[str]
) -> ColumnElement[bool]:
    conditions = [column == query_token]
    if level >= MatchRank.PREFIX and len(query_token) >= ranking.MIN_PREFIX:
        conditions.append(and_(column >= query_token, column < query_token + _PREFIX_END))
    if level >= MatchRank.FUZZY and fuzzy:
        conditions.append(column.in_(sorted(fuzzy)))
    return or_(*conditions)


def _level_ids(
    s: Session,
    base: Select[Any],
    id_column: SQLColumnExpression[str],
    token_model: type[EmployeeTokenRow] | type[UnitTokenRow],
    owner: SQLColumnExpression[str],
    query_tokens: Sequence[str],
    level: MatchRank,
    fuzzy: dict[str, set[str]],
    limit: int,
) -> list[str]:
    """Ids of owners having, for every query token, a token that matches at ``level`` or better."""
    query = base
    for q in query_tokens:
        matching = select(owner).where(_token_condition(token_model.token, q, level, fuzzy[q]))
        query = query.where(id_column.in_(matching))
    return list(s.scalars(query.limit(limit)))


def _by_levels(
    s: Session,
    query_tokens: Sequence[str],
    limit: int,
    fetch: Callable[[MatchRank, dict[str, set[str]], int], list[str]],
    load: Callable[[list[str]], Sequence[tuple[tuple[str, ...], SearchHit]]],
) -> list[SearchHit]:
    """Fetch candidate ids level by level until ``limit`` hits are certain; rank each purely.

    ``load`` returns, per id, the entity's tokens and an EXACT_NAME hit for it, which is
    re-ranked here; a level's ids are ordered by name, so the first ``limit`` are the best.
    """
    hits: dict[str, SearchHit] = {}
    fuzzy: dict[str, set[str]] = {q: set() for q in query_tokens}
    for level in _LEVELS:
        if level is MatchRank.FUZZY:
            fuzzy = {q: _fuzzy_tokens(s, q) for q in query_tokens}
        ids = fetch(level, fuzzy, limit + len(hits))
        for tokens, hit in load([i for i in ids if i not in hits]):
            rank = ranking.name_rank(query_tokens, tokens)
            if rank is not None:
                hits[_hit_id(hit)] = replace(hit, rank=rank)
        if len(hits) >= limit:
            break
    return list(hits.values())


def _hit_id(hit: SearchHit) -> str:
    entity = hit.employee or hit.unit
    assert entity is not None
    return entity.id


def _employees_by_name(
    s: Session, query_tokens: Sequence[str], listed_only: bool, limit: int
) -> list[SearchHit]:
    base = (
        select(EmployeeRow.id)
        .where(_visible(listed_only))
        .order_by(EmployeeRow.family_fold, EmployeeRow.given_fold, EmployeeRow.id)
    )

    def fetch(level: MatchRank, fuzzy: dict[str, set[str]], n: int) -> list[str]:
        return _level_ids(
            s,
            base,
            EmployeeRow.id,
            EmployeeTokenRow,
            EmployeeTokenRow.employee_id,
            query_tokens,
            level,
            fuzzy,
            n,
        )

    def load(ids: list[str]) -> list[tuple[tuple[str, ...], SearchHit]]:
        return [
            (ranking.employee_name_tokens(e), SearchHit(MatchRank.EXACT_NAME, employee=e))
            for e in rows.load_employees(s, ids).values()
        ]

    return _by_levels(s, query_tokens, limit, fetch, load)


def _units_by_tokens(
    s: Session, query_tokens: Sequence[str], district_id: str | None, limit: int
) -> list[SearchHit]:
    base = select(UnitRow.id).order_by(UnitRow.name_fold, UnitRow.id)
    if district_id is not None:
        serving = select(UnitDistrictRow.unit_id).where(UnitDistrictRow.district_id == district_id)
        base = base.where(UnitRow.id.in_(serving))
        if not query_tokens:
            ids = list(s.scalars(base.limit(limit)))
            return [SearchHit(MatchRank.EXACT_NAME, unit=u) for u in _load_units(s, ids)]
    if not query_tokens:
        return []

    def fetch(level: MatchRank, fuzzy: dict[str, set[str]], n: int) -> list[str]:
        return _level_ids(
            s, base, UnitRow.id, UnitTokenRow, UnitTokenRow.unit_id, query_tokens, level, fuzzy, n
        )

    def load(ids: list[str]) -> list[tuple[tuple[str, ...], SearchHit]]:
        return [
            (ranking.unit_tokens(u), SearchHit(MatchRank.EXACT_NAME, unit=u))
            for u in _load_units(s, ids)
        ]

    return _by_levels(s, query_tokens, limit, fetch, load)


def _load_units(s: Session, ids: Sequence[str]) -> list[Unit]:
    found = list(s.scalars(select(UnitRow).where(UnitRow.id.in_(list(ids)))))
    return rows.units_from_rows(s, found)

"""The SQL of search: every statement shape, built once and compiled at start-up.

The statements ``search`` runs: lookups by extension, phone number, district and
dial-by-name keys; the vocabulary and typo-variant lookups; and the token-index
queries of people and units, one shape per number of words and padded list size.

Invariants: every statement is a ``Prepared`` built from Core tables, so a shape
is compiled once per process; list parameters are padded to a power of two
(``prepared.padded``), so few shapes exist, and ``prepare`` compiles the common
ones before any caller waits; no function here runs a query.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    exists,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean

from directory import rows, token_counts
from directory.models import (
    DeviceRow,
    DistrictRow,
    EmployeeRow,
    EmployeeTokenRow,
    NameVariantRow,
    UnitDistrictRow,
    UnitRow,
    UnitTokenRow,
    VocabularyRow,
)
from directory.prepared import Prepared

#: Upper bound of a prefix range: sorts after every token character (tokens are a-z, 0-9).
PREFIX_END = "\x7f"


DIAL_BY_NAME = Prepared(
    select(EmployeeRow.id)
    .where(
        EmployeeRow.family_keys >= bindparam("keys"),
        EmployeeRow.family_keys < bindparam("end"),
        EmployeeRow.active.is_(True),
        EmployeeRow.listed.is_(True),
    )
    .order_by(EmployeeRow.family_keys, EmployeeRow.sort_key)
    .limit(bindparam("n"))
)
DISTRICT_BY_ID = Prepared(select(DistrictRow.id).where(DistrictRow.id == bindparam("key")))
DISTRICT_BY_NAME = Prepared(select(DistrictRow.id).where(DistrictRow.name_fold == bindparam("key")))
DISTRICT_NAMES = Prepared(select(DistrictRow.id, DistrictRow.name_fold))


def _visible(listed_only: bool) -> ColumnElement[bool]:
    active = EmployeeRow.active == true()
    return and_(active, EmployeeRow.listed == true()) if listed_only else active


#: Prepared lookups by listed_only; parameters ``extension`` / ``phone`` and ``n``.
BY_EXTENSION = {
    listed: Prepared(
        select(EmployeeRow.id).where(
            EmployeeRow.extension == bindparam("extension"), _visible(listed)
        )
    )
    for listed in (False, True)
}
BY_PHONE = {
    listed: Prepared(
        select(EmployeeRow.id)
        .join(DeviceRow, DeviceRow.employee_id == EmployeeRow.id)
        .where(DeviceRow.number == bindparam("phone"), _visible(listed))
        .distinct()
        .order_by(EmployeeRow.id)
        .limit(bindparam("n"))
    )
    for listed in (False, True)
}
BY_DIRECT_NUMBER = {
    listed: Prepared(
        select(EmployeeRow.id).where(
            EmployeeRow.direct_number == bindparam("phone"), _visible(listed)
        )
    )
    for listed in (False, True)
}


_VOCABULARY = VocabularyRow.__table__.c
_VARIANTS = NameVariantRow.__table__.c
_VOCABULARY_COLUMNS = (
    _VOCABULARY.token,
    _VOCABULARY.employees,
    _VOCABULARY.units,
    _VOCABULARY.districts,
)


@functools.lru_cache(maxsize=32)
def vocabulary_statement(prefix: tuple[bool, ...]) -> Prepared:
    column = _VOCABULARY.token
    conditions = [
        and_(column >= bindparam(f"q{i}"), column < bindparam(f"e{i}"))
        if is_prefix
        else column == bindparam(f"q{i}")
        for i, is_prefix in enumerate(prefix)
    ]
    return Prepared(select(*_VOCABULARY_COLUMNS).where(or_(*conditions)))


@functools.lru_cache(maxsize=16)
def fuzzy_statement(size: int) -> Prepared:
    """Known tokens having one of ``size`` deletion variants (``variants_j``)."""
    return Prepared(
        select(*_VOCABULARY_COLUMNS)
        .join(NameVariantRow.__table__, _VARIANTS.token == _VOCABULARY.token)
        .where(_VARIANTS.variant.in_(_params("variants", size)))
    )


UNITS_IN_DISTRICT = Prepared(
    select(UnitDistrictRow.unit_id)
    .join(UnitRow, UnitRow.id == UnitDistrictRow.unit_id)
    .where(UnitDistrictRow.district_id == bindparam("district"))
    .order_by(UnitRow.sort_key)
    .limit(bindparam("n"))
)


@functools.lru_cache(maxsize=256)
def token_statement(
    model: type[EmployeeTokenRow] | type[UnitTokenRow],
    sizes: tuple[int, ...],
    listed_only: bool,
    in_district: bool,
    distinct: bool,
) -> Prepared:
    """The statement for one shape of token query, built once (parameters: ``tk_j``, the
    j-th token or pattern of set k, n, district). ``sizes`` holds the padded size of each set.

    Set 0 is the driving set (the smallest), read in sort-key order from a covering index.
    A person's other words are checked in the same index row (``name_tokens`` contains
    " t " per token ``t`` of set ``k``, parameters ``tk_j``): no probe per candidate, so a name
    of two common words (1,500 people called Anna) costs one index range scan. A unit's
    other words are checked with EXISTS (primary-key probes; units are few).
    """
    # Core tables, not ORM entities: a new shape is built and compiled in half the time
    # (a first use of a shape is part of some search's latency).
    people = model is EmployeeTokenRow
    table = model.__table__
    outer = table.alias()
    owner = outer.c.employee_id if people else outer.c.unit_id
    columns = [owner, outer.c.sort_key]
    if people:
        columns += [outer.c.listed, outer.c.name_tokens]
    driving, *others = sizes
    query = select(*columns).where(outer.c.token.in_(_params("t0", driving)))
    if listed_only:
        query = query.where(outer.c.listed == true())
    if in_district:
        links = UnitDistrictRow.__table__.c
        serving = select(links.unit_id).where(links.district_id == bindparam("district"))
        query = query.where(owner.in_(serving))
    for k, size in enumerate(others, start=1):
        if people:
            names = outer.c.name_tokens
            query = query.where(or_(*(_Contains(names, p) for p in _params(f"t{k}", size))))
            continue
        # EXISTS, not IN: each candidate read in order is checked with one primary-key
        # probe, and the scan stops after a page; IN would first collect every owner of
        # the other word.
        inner = table.alias()
        query = query.where(
            exists().where(inner.c.unit_id == owner, inner.c.token.in_(_params(f"t{k}", size)))
        )
    if distinct:
        query = query.distinct()  # one owner may match through several of its driving tokens
    return Prepared(query.order_by(outer.c.sort_key).limit(bindparam("n")))


class _Contains(FunctionElement[bool]):
    """``haystack`` holds ``needle`` as a substring: a plain search where ``LIKE '%x%'``
    parses a pattern for every row (a quarter of a name scan's time on SQLite)."""

    type = Boolean()
    inherit_cache = True
    name = "contains"


@compiles(_Contains)
def _contains_sqlite(element: _Contains, compiler: Any, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"instr({haystack}, {needle}) > 0"


@compiles(_Contains, "postgresql")
def _contains_postgresql(element: _Contains, compiler: Any, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"strpos({haystack}, {needle}) > 0"


def _params(name: str, size: int) -> list[Any]:
    """Bind parameters ``name_0 .. name_{size-1}`` (a padded list, see ``prepared``)."""
    return [bindparam(f"{name}_{j}") for j in range(size)]


#: Sizes of IN lists (padded) whose statements ``prepare`` compiles at start-up.
_PREPARED_SIZES = (1, 2, 4, 8, 16)


def prepare(dialect: Dialect) -> None:
    """Build and compile the statement shapes that most searches use, once per process
    (about a hundred, 2 ms each), so that no caller waits for a shape's first use."""
    statements = [DIAL_BY_NAME, DISTRICT_BY_ID, DISTRICT_BY_NAME, DISTRICT_NAMES]
    statements += [*BY_EXTENSION.values(), *BY_PHONE.values(), *BY_DIRECT_NUMBER.values()]
    statements += [UNITS_IN_DISTRICT]
    for words in (1, 2, 3):
        statements += map(vocabulary_statement, itertools.product((True, False), repeat=words))
    statements += [fuzzy_statement(size) for size in (8, 16, 32, 64, 128)]
    for size in _PREPARED_SIZES:
        statements += [rows.employees_statement(size), rows.units_statement(size)]
        statements += [token_counts.count_statement(size)]
        for listed, others in itertools.product((True, False), ((), (1,), (2,), (4,), (1, 1))):
            people = (size, *others)
            statements.append(token_statement(EmployeeTokenRow, people, listed, False, size > 1))
        for in_district, others in itertools.product((False, True), ((), (1,))):
            units = (size, *others)
            statements.append(token_statement(UnitTokenRow, units, False, in_district, size > 1))
    for statement in statements:
        statement.prepare(dialect)

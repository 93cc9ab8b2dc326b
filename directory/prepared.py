"""Prepared read statements for the search path: compiled once per database, run on the
driver's cursor.

A search makes three or four small statements whose SQL work is a few index reads;
going through SQLAlchemy's execution layer (cache lookup, parameter processing,
result objects) cost more than the reads themselves. A ``Prepared`` statement is
built with SQLAlchemy (one source for both databases), compiled once per dialect,
and executed with the DBAPI cursor of the caller's connection; rows come back as
plain tuples, or as named tuples for code that reads columns by name.

Invariants: a prepared statement has no expanding (``IN``) parameters: callers give
fixed-size lists (``padded``), so a handful of shapes exist and stay compiled (also
in SQLite's and psycopg's own statement caches); result columns get their type's
result processing (booleans on SQLite, aware datetimes); driver errors leave as
directory errors with the cause kept.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect

from directory.errors import DirectoryError, StoreUnavailable


class _Compiled(NamedTuple):
    sql: str
    names: tuple[str, ...]  # the parameters: in order for positional drivers
    positional: bool
    defaults: dict[str, Any]  # values of the parameters the statement carries itself
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, its processor)


class Prepared:
    """One read statement, compiled on first use per kind of database (thread-safe:
    compiling twice in a race gives the same result)."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self._statement = statement
        self._by_dialect: dict[tuple[Any, ...], _Compiled] = {}
        self._row_type: Any = None  # the named tuple of ``named``, made on first use

    def __repr__(self) -> str:
        return f"<Prepared {str(self._statement).splitlines()[0][:60]}...>"

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The rows for ``params`` as tuples in the statement's column order."""
        compiled = self._compiled(conn.dialect)
        given = {**compiled.defaults, **params}
        values: Any = (
            tuple(given[n] for n in compiled.names)
            if compiled.positional
            else {n: given[n] for n in compiled.names}
        )
        dbapi = conn.dialect.loaded_dbapi
        try:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(compiled.sql, values)
                found: list[Any] = cursor.fetchall()
            finally:
                cursor.close()
        except dbapi.OperationalError as exc:
            raise StoreUnavailable(f"directory database unavailable: {exc}") from exc
        except dbapi.Error as exc:
            raise DirectoryError(f"directory query failed: {exc}") from exc
        if not compiled.processors:
            return found
        processed = []
        for row in found:
            values = list(row)
            for i, process in compiled.processors:
                values[i] = process(values[i])
            processed.append(tuple(values))
        return processed

    def named(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The rows for ``params`` as named tuples (columns by their keys, like ORM rows)."""
        if self._row_type is None:
            keys = list(self._statement.selected_columns.keys())
            self._row_type = namedtuple("Row", keys, rename=True)  # type: ignore[misc]
        make = self._row_type._make
        return [make(r) for r in self.rows(conn, params)]

    def prepare(self, dialect: Dialect) -> None:
        """Compile now for ``dialect`` (at start-up, so that no search pays for it)."""
        self._compiled(dialect)

    def _compiled(self, dialect: Dialect) -> _Compiled:
        # By kind of database, not by engine: every engine of one kind and server version
        # renders the same SQL, so a process compiles each statement once.
        key = (type(dialect), dialect.paramstyle, dialect.server_version_info)
        found = self._by_dialect.get(key)
        if found is None:
            found = self._by_dialect[key] = _compile(self._statement, dialect)
        return found


def _compile(statement: Select[*tuple[Any, ...]], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    if compiled.post_compile_params:
        names = sorted(p.key for p in compiled.post_compile_params)
        raise ValueError(f"prepared statements take no expanding parameters: {names}")
    defaults = {
        name: bind.value
        for bind, name in compiled.bind_names.items()
        if not bind.required and bind.callable is None
    }
    processors = [
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.selected_columns
    ]
    positional = compiled.positiontup is not None
    return _Compiled(
        sql=compiled.string,
        names=tuple(compiled.positiontup or sorted(set(compiled.bind_names.values()))),
        positional=positional,
        defaults=defaults,
        processors=tuple((i, p) for i, p in enumerate(processors) if p is not None),
    )


def padded(values: Sequence[Any]) -> list[Any]:
    """``values`` (not empty) repeated at the end up to the next power of two in length: an
    ``IN`` list of few sizes, so few statement shapes (a repeated value changes no answer)."""
    size = 1 << (len(values) - 1).bit_length()
    return [*values, *[values[-1]] * (size - len(values))]


def in_params(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """Parameters ``name_0 .. name_k`` of a padded list (see ``padded``)."""
    return {f"{name}_{j}": v for j, v in enumerate(padded(values))}

"""`RecordStore`: call records in the directory's database (SQLite or PostgreSQL).

The reports' own tables (`reports.record_table`) with their own Alembic history
(``reports/migrations``, version table ``reports_alembic_version``): opening a store
brings them to the newest migration. Writes are upserts keyed by the call id, in one
transaction together with the recorder's stream positions, so a crash between the two
cannot make a restarted recorder apply an entry twice (and `reports.records` ignores an
entry at or before a record's own position anyway). SQLAlchemy errors become
`RecordsUnavailable` with the cause kept.

`record_case_outcome` is the API for the web console's case-outcome form (the console
may also keep writing its ``vaxel:outcomes`` stream, which the recorder folds in; both
paths set the same columns, the latest wins).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.exc import SQLAlchemyError

from reports.record_table import call_records, from_row, record_cursors, to_row
from reports.records import CallRecord

MIGRATIONS = Path(__file__).parent / "migrations"
#: Case outcomes the console's form offers (``console/outcomes.py``, ``OutcomeKind``).
CASE_OUTCOMES = ("resolved", "forwarded", "case_opened")
#: Rows per statement when loading or writing many records.
CHUNK = 500


class RecordsError(Exception):
    """Base of the reports' store errors."""


class RecordsUnavailable(RecordsError):
    """The database could not be reached or refused a statement."""


class UnknownCall(RecordsError):
    """No record of that call."""


@contextmanager
def translated(action: str) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise RecordsUnavailable(f"call records: {action} failed: {exc}") from exc


def ensure_schema(engine: sa.Engine, attempts: int = 3) -> None:
    """Run the reports' migrations up to the newest.

    Two controllers starting at once on a new database race to create the tables: the
    loser's transaction fails ("already exists") and is rolled back whole; it then looks
    again and finds the winner's tables at the newest version."""
    for attempt in range(1, attempts + 1):
        try:
            with translated("migrate"), engine.begin() as connection:
                config = AlembicConfig()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except RecordsUnavailable as exc:
            if attempt == attempts or "already exists" not in str(exc):
                raise
            time.sleep(0.2 * attempt)


class RecordStore:
    """See the module docstring."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return f"<RecordStore {self.engine.url.render_as_string(hide_password=True)}>"

    @classmethod
    def open(cls, url: str) -> RecordStore:
        with translated("open"):
            engine = sa.create_engine(url, future=True)
        ensure_schema(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # ---------------------------------------------------------------- write

    def load(self, call_ids: Iterable[str]) -> dict[str, CallRecord]:
        ids = sorted(set(call_ids))
        found: dict[str, CallRecord] = {}
        with translated("load"), self.engine.connect() as c:
            for i in range(0, len(ids), CHUNK):
                q = sa.select(call_records).where(call_records.c.call_id.in_(ids[i:i + CHUNK]))
                found.update((row.call_id, from_row(row._mapping)) for row in c.execute(q))
        return found

    def save(self, records: Sequence[CallRecord], cursors: Mapping[str, str] | None = None
             ) -> None:
        """Upsert ``records`` and set the stream positions, in one transaction."""
        with translated("save"), self.engine.begin() as c:
            self._upsert(c, call_records, [to_row(r) for r in records], ["call_id"])
            self._upsert(c, record_cursors, [{"stream": s, "last_id": i}
                                             for s, i in (cursors or {}).items()], ["stream"])

    def _upsert(self, c: sa.Connection, table: sa.Table, rows: list[dict[str, Any]],
                keys: list[str]) -> None:
        """One fixed INSERT .. ON CONFLICT DO UPDATE run for every row (executemany): the
        statement is compiled once and cached. (A multi-row VALUES was compiled afresh for
        every round: two thirds of the recorder's CPU.)"""
        if rows:
            c.execute(upsert_statement(self.dialect, table, tuple(keys)), rows)

    def cursors(self) -> dict[str, str]:
        with translated("read cursors"), self.engine.connect() as c:
            return {row.stream: row.last_id for row in c.execute(sa.select(record_cursors))}

    def record_case_outcome(self, call_id: str, outcome: str, *, topic: str = "",
                            unit: str = "", agent_id: str = "") -> CallRecord:
        """The agent's case outcome of a call (the console's wrap-up form): ``outcome`` is one
        of `CASE_OUTCOMES`. A call the recorder has not written yet gets a row with just
        this (the recorder fills in the rest). Returns the record."""
        if outcome not in CASE_OUTCOMES:
            raise ValueError(f"outcome: {outcome!r} is not one of {', '.join(CASE_OUTCOMES)}")
        if not call_id:
            raise ValueError("call_id: empty")
        record = self.load([call_id]).get(call_id) or CallRecord(call_id)
        record = replace(record, case_outcome=outcome, case_topic=topic, case_unit=unit,
                         agent_id=record.agent_id or agent_id)
        self.save([record])
        return record

    # ---------------------------------------------------------------- read

    def get(self, call_id: str) -> CallRecord:
        found = self.load([call_id]).get(call_id)
        if found is None:
            raise UnknownCall(f"no call record {call_id!r}")
        return found

    def between(self, since: float, until: float) -> Iterator[CallRecord]:
        """Records of calls that arrived in [since, until), oldest first, streamed."""
        q = (sa.select(call_records)
             .where(call_records.c.arrived_at >= since, call_records.c.arrived_at < until)
             .order_by(call_records.c.arrived_at))
        with translated("read"), self.engine.connect() as c:
            result = c.execution_options(stream_results=True, yield_per=5000).execute(q)
            for row in result:
                yield from_row(row._mapping)

    def rows_between(self, since: float, until: float, columns: Sequence[str], *,
                     queue: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Only ``columns`` of the records in [since, until) (of one queue if given), as
        plain tuples streamed from the driver's cursor (a server-side cursor on PostgreSQL):
        the monthly statement reads a million rows this way in constant memory, without
        SQLAlchemy's per-row processing (the columns are plain numbers and strings)."""
        cols = [call_records.c[name] for name in columns]
        q = sa.select(*cols).where(call_records.c.arrived_at >= since,
                                   call_records.c.arrived_at < until)
        if queue is not None:
            q = q.where(call_records.c.queue == queue)
        compiled = q.compile(dialect=self.engine.dialect)
        params = compiled.construct_params()
        positional = [params[name] for name in (compiled.positiontup or [])]
        with translated("read"), self.engine.connect() as c:
            raw: Any = c.connection.dbapi_connection
            if self.dialect == "postgresql":
                cursor = raw.cursor(name=f"records_{id(q)}")
                cursor.itersize = 20000
                cursor.execute(str(compiled), params)
            else:
                cursor = raw.cursor()
                cursor.execute(str(compiled), positional)
            try:
                while batch := cursor.fetchmany(20000):
                    yield from batch
            finally:
                cursor.close()

    def ping(self) -> None:
        """``SELECT 1`` (the health check); `RecordsUnavailable` when it fails."""
        with translated("ping"), self.engine.connect() as c:
            c.execute(sa.text("SELECT 1"))

    def count(self) -> int:
        with translated("count"), self.engine.connect() as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(call_records))
                       .scalar_one())

    def first_arrival(self) -> float | None:
        with translated("read"), self.engine.connect() as c:
            value = c.execute(sa.select(sa.func.min(call_records.c.arrived_at))).scalar()
        return None if value is None else float(value)


@functools.cache
def upsert_statement(dialect: str, table: sa.Table, keys: tuple[str, ...]) -> Any:
    """``INSERT INTO table .. ON CONFLICT (keys) DO UPDATE SET`` every other column."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        insert: Any = pg_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        insert = sqlite_insert
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={col.name: stmt.excluded[col.name] for col in table.c if col.name not in keys})

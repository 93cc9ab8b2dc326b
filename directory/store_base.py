"""The repository's foundation: engine set-up, one session per call, error translation.

Invariants: each public repository call runs in its own session and
transaction (thread-safe; the IVR calls through ``asyncio.to_thread``);
SQLAlchemy errors leave as directory errors with the cause kept; the clock is
injected, so history timestamps are testable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from directory.errors import Conflict, DirectoryError, StoreUnavailable
from directory.rows import Change, write_history
from directory.schema import ensure_schema

#: SQLite page cache per connection (KiB).
SQLITE_CACHE_KIB = 65536
#: SQLite memory-mapped I/O window (bytes).
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The 50,000-person city is about 50 MB: keep it in memory (the default cache is 2 MB).
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite gets foreign keys and WAL (in memory: one shared
    connection); ``postgresql://`` uses psycopg 3."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


class Store:
    """Engine, clock and transactions shared by the repository's parts."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    def create_schema(self) -> None:
        """Create the schema in a new database, or migrate an older one (Alembic; idempotent)."""
        try:
            ensure_schema(self._engine)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"cannot create the directory schema: {exc}") from exc

    def close(self) -> None:
        self._engine.dispose()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
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

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A plain connection for read-only calls on hot paths (searches, lookups)."""
        try:
            with self._engine.connect() as connection:
                yield connection
        except DirectoryError:
            raise
        except OperationalError as exc:
            raise StoreUnavailable(f"directory database unavailable: {exc.orig}") from exc

    def record(self, s: Session, actor: str, entity: str, changes: Sequence[Change]) -> None:
        """Append history entries in the caller's transaction."""
        write_history(s, self._clock(), actor, entity, changes)

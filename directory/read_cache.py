"""The directory as the call path reads it, kept answering while the database is away.

:class:`ReadCache` wraps a :class:`directory.store.Directory`: every read method's answer
is remembered (bounded, least recently used out first); when the database fails (a driver
or connection error), the last answer to the same question is returned instead, so calls
are still routed by the directory as it was. A question never asked before cannot be
answered and raises :class:`DirectoryUnavailable`. Arguments that are times (``now`` of an
absence check) are not part of the question: with the database away, the absence known
last stands. Writes are not cached: they fail as before (the call path writes nothing to
the directory; call state and records live in Redis).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any

import structlog

from directory.errors import DirectoryError, StoreUnavailable

log = structlog.get_logger(__name__)

#: Answers kept (each a question: method name and arguments).
MAX_ENTRIES = 200_000
#: Methods whose answers are kept (the reads of the call path and of operators).
READS = frozenset({
    "employee", "employee_by_extension", "employee_by_direct_number", "employees_in_unit",
    "active_employees", "current_absence", "absences", "search", "dial_by_name",
    "org_node", "org_children", "units_below", "district", "districts", "district_for",
    "unit", "unit_by_number", "unit_ids", "units",
})


class DirectoryUnavailable(DirectoryError):
    """The database failed and this question was never answered before."""


def _database_errors() -> tuple[type[BaseException], ...]:
    import sqlalchemy.exc

    errors: list[type[BaseException]] = [StoreUnavailable, sqlalchemy.exc.DBAPIError,
                                         sqlalchemy.exc.OperationalError, ConnectionError]
    try:
        import psycopg

        errors.append(psycopg.OperationalError)
        errors.append(psycopg.InterfaceError)
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    return tuple(errors)


class ReadCache:
    """See the module docstring; every other attribute is the wrapped directory's."""

    def __init__(self, directory: Any, max_entries: int = MAX_ENTRIES) -> None:
        self._directory = directory
        self._max = max_entries
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._errors = _database_errors()
        self.served_from_cache = 0
        """Answers given from the cache because the database failed (for logs and tests)."""

    def __repr__(self) -> str:
        return (f"<ReadCache {len(self._answers)} answers, "
                f"{self.served_from_cache} served while the database failed>")

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._directory, name)
        if name not in READS or not callable(attr):
            return attr
        return lambda *args, **kwargs: self._read(name, attr, args, kwargs)

    def _read(self, name: str, method: Callable[..., Any], args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> Any:
        key = _question(name, args, kwargs)
        try:
            answer = method(*args, **kwargs)
        except self._errors as exc:
            with self._lock:
                if key is None or key not in self._answers:
                    raise DirectoryUnavailable(f"directory database failed and {name} was "
                                               f"never answered before: {exc}") from exc
                self._answers.move_to_end(key)
                self.served_from_cache += 1
                answer = self._answers[key]
            log.warning("directory.served_from_cache", method=name, error=str(exc)[:200])
            return answer
        if key is not None:
            with self._lock:
                self._answers[key] = answer
                self._answers.move_to_end(key)
                while len(self._answers) > self._max:
                    self._answers.popitem(last=False)
        return answer


def _question(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable | None:
    """The cache key of a call, times left out; None when an argument cannot be a key."""
    def keep(value: Any) -> bool:
        return not isinstance(value, datetime | date)

    try:
        key = (name, tuple(a for a in args if keep(a)),
               tuple(sorted((k, v) for k, v in kwargs.items() if keep(v))))
        hash(key)
    except TypeError:
        return None
    return key

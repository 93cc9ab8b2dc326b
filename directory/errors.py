"""The directory's error tree.

Every error names the place it comes from (entity and field, or file and line),
so that an operator can fix the input without reading a traceback. Adapters
translate foreign exceptions (SQLAlchemy, ldap3, csv) into these at the boundary
and keep the cause.
"""

from __future__ import annotations


class DirectoryError(Exception):
    """Base class of every directory error."""


class NotFound(DirectoryError):
    """An entity that the caller named does not exist."""

    def __init__(self, entity: str, key: str) -> None:
        super().__init__(f"{entity} {key!r} not found")
        self.entity = entity
        self.key = key


class InvalidEntity(DirectoryError):
    """A value that breaks an entity's invariant (names the entity and field)."""

    def __init__(self, entity: str, field: str, reason: str) -> None:
        super().__init__(f"{entity}.{field}: {reason}")
        self.entity = entity
        self.field = field
        self.reason = reason


class Conflict(DirectoryError):
    """A write that collides with existing data (duplicate id or extension)."""


class StoreUnavailable(DirectoryError):
    """The database could not be reached or refused the operation."""


class ImportRejected(DirectoryError):
    """A CSV or LDAP import stopped at one record; nothing was imported."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason
        #: Every (line, reason) found, when the reader collected more than one.
        self.errors: list[tuple[int, str]] = [] if line is None else [(line, reason)]


class SyncFailed(DirectoryError):
    """An LDAP sync could not read its source."""

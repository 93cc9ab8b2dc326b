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


#: What an operator calls an entity and a field; the code's names never reach them.
ENTITY_WORDS = {"AbsenceNote": "absence note", "Employee": "employee", "Unit": "unit",
                "Device": "phone", "OpeningHours": "opening hours"}
FIELD_WORDS = {"starts_at": "start time", "ends_at": "end time", "id": "id",
               "given_name": "given name", "family_name": "family name",
               "direct_number": "direct number", "email": "e-mail address",
               "dial": "dial string", "kind": "kind", "forward_target": "forward target",
               "answer_strategy": "answering strategy", "member_ring_s": "ring time per member",
               "closes": "closing time", "opens": "opening time", "unit_id": "unit"}


def user_terms(entity: str, field: str) -> str:
    """``AbsenceNote``, ``ends_at`` -> ``absence note end time``."""
    words = ENTITY_WORDS.get(entity, entity.lower())
    return f"{words} {FIELD_WORDS.get(field, field.replace('_', ' '))}"


def field_words(text: str) -> str:
    """A reason with the code's field names said in words (``must be after starts_at``)."""
    for name, words in FIELD_WORDS.items():
        if "_" in name:
            text = text.replace(name, words)
    return text


class InvalidEntity(DirectoryError):
    """A value that breaks an entity's invariant; the message names the entity and field in
    an operator's words (``absence note end time: must be after start time``), the attributes
    keep the code's names."""

    def __init__(self, entity: str, field: str, reason: str) -> None:
        super().__init__(f"{user_terms(entity, field)}: {field_words(reason)}")
        self.entity = entity
        self.field = field
        self.reason = field_words(reason)


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

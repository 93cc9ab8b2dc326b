"""Pure checks of incoming people (from a CSV file or LDAP) before an import is planned.

A ``Record`` is one person with the place it came from (a CSV line, or the
position of an LDAP entry); every error is reported against that place. The
checks look at the batch itself (repeated ids and extensions) and at what the
directory holds (units that exist, extensions held by people who stay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from directory.entities import Employee
from directory.errors import ImportRejected


@dataclass(frozen=True)
class Record:
    """One imported person and where it came from (line number, or entry number)."""

    line: int
    employee: Employee


def duplicate_errors(rows: Sequence[Record]) -> list[tuple[int, str]]:
    """Rows that repeat an employee id, an extension or a direct number of an earlier row."""
    errors = []
    seen: dict[str, dict[str, int]] = {"employee id": {}, "extension": {}, "direct number": {}}
    for row in rows:
        e = row.employee
        values = {"employee id": e.id, "extension": e.extension, "direct number": e.direct_number}
        for name, value in values.items():
            if value is None:
                continue
            if value in seen[name]:
                shown = repr(value) if name == "employee id" else value
                errors.append((row.line, f"{name} {shown} already on line {seen[name][value]}"))
            seen[name].setdefault(value, row.line)
    return errors


def unit_errors(rows: Sequence[Record], known_units: set[str]) -> list[tuple[int, str]]:
    """Rows naming a unit that the directory does not have."""
    return [
        (row.line, f"unit {row.employee.unit_id!r} is not a unit in the directory")
        for row in rows
        if row.employee.unit_id is not None and row.employee.unit_id not in known_units
    ]


def extension_errors(
    rows: Sequence[Record], holders: Mapping[str, str], staying: set[str]
) -> list[tuple[int, str]]:
    """Rows taking an extension that a person who stays in the directory (and is not in the
    file) still holds; ``holders`` maps extension -> employee id."""
    errors = []
    for row in rows:
        holder = holders.get(row.employee.extension or "")
        if holder is not None and holder != row.employee.id and holder in staying:
            errors.append((row.line, f"extension {row.employee.extension} belongs to {holder}"))
    return errors


def direct_number_errors(
    rows: Sequence[Record], holders: Mapping[str, str], staying: set[str]
) -> list[tuple[int, str]]:
    """Rows taking a direct number that a person who stays (and is not in the file) holds;
    ``holders`` maps direct number -> employee id."""
    errors = []
    for row in rows:
        holder = holders.get(row.employee.direct_number or "")
        if holder is not None and holder != row.employee.id and holder in staying:
            errors.append(
                (row.line, f"direct number {row.employee.direct_number} belongs to {holder}")
            )
    return errors


def rejected(source: str, errors: Sequence[tuple[int, str]]) -> ImportRejected:
    """The rejection of an import: the first error, with the others attached."""
    line, reason = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    exc = ImportRejected(source, line, reason + more)
    exc.errors = list(errors)
    return exc

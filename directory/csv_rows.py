"""Pure reading of the HR system's CSV export into employees, with every error located.

Columns (header names are matched ignoring case, Swedish letters and spaces;
Swedish and English names are both accepted; order does not matter):

==============  ====================================  ========  ================================
column          accepted headers                      required  value
==============  ====================================  ========  ================================
employee_id     anställningsnummer, anstallningsid,   yes       the HR system's stable id
                personalnummer, id, employee_id
given_name      förnamn, given_name, first_name       yes       given name(s)
family_name     efternamn, family_name, last_name     yes       family name(s)
title           titel, befattning, title              no        job title
unit_id         enhet, enhets_id, unit_id, unit       no        id of an existing unit
extension       anknytning, ankn, extension           no        2 to 8 digits, unique
direct_number   direktnummer, direktnr,               no        phone number (08-508 12 345,
                direct_number                                   +46...), stored normalised, unique
email           e-post, epost, e-postadress, email,   no        e-mail address (ASCII); empty:
                e_mail, mail                                    messages go by the city's rule
sip             sip, sip_konto, sip_device            no        PJSIP/4711 or endpoint name
mobile          mobil, mobilnummer, mobile            no        phone number (national or +46)
languages       språk, languages                      no        codes split by , ; or space (sv)
listed          listad, synlig, publik, listed        no        ja/nej, yes/no, 1/0 (default ja)
==============  ====================================  ========  ================================

Both ``;`` (Swedish spreadsheet default) and ``,`` separate fields. Invariant:
``read_employees`` returns the good rows and every bad row's error (line, and the
column as the file names it); ``parse_employees`` returns every row as an
``Employee`` or raises ``ImportRejected`` carrying all errors found, each with file,
line and reason; nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from directory import text
from directory.entities import Device, Employee
from directory.errors import ImportRejected, InvalidEntity
from directory.records import Record, duplicate_errors, rejected

#: Dial string of a mobile phone through the city's trunk; ``{digits}`` is +46... without "+".
MOBILE_DIAL = "PJSIP/{digits}@trunk"

HEADER_ALIASES: Mapping[str, tuple[str, ...]] = {
    "employee_id": ("anstallningsnummer", "anstallningsid", "personalnummer", "id", "employee_id"),
    "given_name": ("fornamn", "given_name", "first_name"),
    "family_name": ("efternamn", "family_name", "last_name"),
    "title": ("titel", "befattning", "title"),
    "unit_id": ("enhet", "enhets_id", "enhetsid", "unit_id", "unit"),
    "extension": ("anknytning", "ankn", "extension"),
    "direct_number": ("direktnummer", "direktnr", "direct_number"),
    "email": ("e_post", "epost", "e_postadress", "epostadress", "email", "e_mail", "mail"),
    "sip": ("sip", "sip_konto", "sip_device"),
    "mobile": ("mobil", "mobilnummer", "mobile"),
    "languages": ("sprak", "languages"),
    "listed": ("listad", "synlig", "publik", "listed"),
}
REQUIRED = ("employee_id", "given_name", "family_name")

_YES = frozenset({"ja", "j", "yes", "y", "1", "true", "sant"})
_NO = frozenset({"nej", "n", "no", "0", "false", "falskt"})


def header_key(header: str) -> str:
    return "_".join(text.tokens(header))


def map_headers(headers: Sequence[str], source: str) -> dict[str, int]:
    """Column index of each known field; ImportRejected (line 1) for unknown, duplicate or
    missing columns."""
    lookup = {alias: field for field, aliases in HEADER_ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        field = lookup.get(header_key(header))
        if field is None:
            raise ImportRejected(source, 1, f"unknown column {header!r}")
        if field in found:
            raise ImportRejected(source, 1, f"column {header!r} repeats {field}")
        found[field] = index
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise ImportRejected(source, 1, f"missing column(s): {', '.join(missing)}")
    return found


class CellError(ValueError):
    """A bad value in one column (by field key) of a row."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def parse_listed(value: str) -> bool:
    folded = text.fold(value.strip())
    if not folded or folded in _YES:
        return True
    if folded in _NO:
        return False
    raise CellError("listed", f"must be ja/nej (yes/no), got {value!r}")


def parse_devices(sip: str, mobile: str) -> tuple[Device, ...]:
    devices = []
    if sip.strip():
        dial = sip.strip() if "/" in sip else f"PJSIP/{sip.strip()}"
        devices.append(Device("sip", dial))
    if mobile.strip():
        digits = text.phone_digits(mobile)
        if digits is None:
            raise CellError("mobile", f"not a phone number: {mobile!r}")
        devices.append(Device("mobile", MOBILE_DIAL.format(digits=digits), mobile.strip()))
    return tuple(devices)


def row_to_employee(values: Mapping[str, str]) -> Employee:
    """Build an employee from one row's field values; ValueError/InvalidEntity name the field."""
    languages = tuple(x for x in re.split(r"[,; ]+", values.get("languages", "").lower()) if x)
    return Employee(
        id=values["employee_id"].strip(),
        given_name=values["given_name"].strip(),
        family_name=values["family_name"].strip(),
        title=values.get("title", "").strip(),
        unit_id=values.get("unit_id", "").strip() or None,
        extension=values.get("extension", "").strip() or None,
        devices=parse_devices(values.get("sip", ""), values.get("mobile", "")),
        languages=languages or ("sv",),
        listed=parse_listed(values.get("listed", "")),
        direct_number=values.get("direct_number", "").strip() or None,
        email=values.get("email", "").strip() or None,
    )


def parse_employees(lines: Iterable[str], source: str) -> list[Record]:
    """Every row of a CSV export as an employee, or ImportRejected with all errors found."""
    result, errors = read_employees(lines, source)
    if errors:
        raise rejected(source, errors)
    return result


def read_employees(lines: Iterable[str], source: str
                   ) -> tuple[list[Record], list[tuple[int, str]]]:
    """The good rows of a CSV export, and (line, reason) of every bad one, by line.

    A bad header (line 1) still raises ImportRejected: no row can be read without it."""
    rows = _rows(lines)
    try:
        header = next(rows, None)
    except _SyntaxError as exc:
        raise ImportRejected(source, exc.line, str(exc)) from exc
    if header is None:
        raise ImportRejected(source, None, "empty file (no header line)")
    columns = map_headers(header[1], source)
    names = {field: header[1][index].strip() for field, index in columns.items()}
    result: list[Record] = []
    errors: list[tuple[int, str]] = []
    try:
        for line, cells in rows:
            if not any(c.strip() for c in cells):
                continue
            try:
                result.append(Record(line, _row(cells, columns)))
            except CellError as exc:
                errors.append((line, f"{_column(names, exc.field)}: {exc}"))
            except InvalidEntity as exc:
                errors.append((line, f"{_column(names, exc.field)}: {exc.reason}"))
            except ValueError as exc:
                errors.append((line, str(exc)))
    except _SyntaxError as exc:
        errors.append((exc.line, str(exc)))
    errors += duplicate_errors(result)
    return result, sorted(errors)


def _column(names: Mapping[str, str], field: str) -> str:
    """The column as the file's header names it (``E-post``), for a field key."""
    field = "employee_id" if field == "id" else field
    return f"column {names[field]!r}" if field in names else f"column {field}"


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(_chain(first, iterator), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _SyntaxError(start, f"CSV syntax: {exc}") from exc


class _SyntaxError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _row(cells: list[str], columns: Mapping[str, int]) -> Employee:
    width = max(columns.values()) + 1
    if len(cells) > width:
        raise ValueError(f"{len(cells)} fields, the header has {width}")
    values = {field: cells[i] if i < len(cells) else "" for field, i in columns.items()}
    for field in REQUIRED:
        if not values[field].strip():
            raise CellError(field, "required, but empty")
    return row_to_employee(values)


#: Headers written by ``format_employees`` (Swedish, as the HR system exports them).
EXPORT_HEADERS = (
    "Anställningsnummer",
    "Förnamn",
    "Efternamn",
    "Titel",
    "Enhet",
    "Anknytning",
    "Direktnummer",
    "E-post",
    "SIP",
    "Mobil",
    "Språk",
    "Listad",
)


def format_employees(employees: Iterable[Employee]) -> Iterator[str]:
    """CSV lines (``;``-separated, Swedish headers) that ``parse_employees`` reads back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(EXPORT_HEADERS)
    for e in employees:
        sip = next((d.dial for d in e.devices if d.kind == "sip"), "")
        mobile = next((d.number or "" for d in e.devices if d.kind == "mobile"), "")
        writer.writerow(
            [
                e.id,
                e.given_name,
                e.family_name,
                e.title,
                e.unit_id or "",
                e.extension or "",
                f"+{e.direct_number}" if e.direct_number else "",
                e.email or "",
                sip,
                mobile,
                ",".join(e.languages),
                "ja" if e.listed else "nej",
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()

"""Pure mapping of LDAP / Active Directory person entries to employees.

``LdapMapping`` says which attribute holds each field; the defaults fit
OpenLDAP's inetOrgPerson (Active Directory: set ``id="objectGUID"`` or
``employeeID``, ``extension="ipPhone"``). The stable id is what a sync matches
people by; names, extensions and units may all change between syncs.
Invariant: ``entries_to_records`` returns every entry as an employee or raises
``ImportRejected`` naming the entry's DN, with all errors attached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from directory import text
from directory.csv_rows import MOBILE_DIAL
from directory.entities import Device, Employee
from directory.errors import ImportRejected, InvalidEntity
from directory.records import Record, duplicate_errors

#: An entry as read: its DN and its attributes (each a list of string values).
Entry = tuple[str, Mapping[str, Sequence[str]]]

_FALSE = frozenset({"false", "nej", "no", "0"})


@dataclass(frozen=True)
class LdapMapping:
    """Which LDAP attribute holds each employee field."""

    id: str = "employeeNumber"
    """Stable id of a person; never reused (AD: objectGUID or employeeID)."""
    given_name: str = "givenName"
    family_name: str = "sn"
    title: str = "title"
    unit_id: str = "departmentNumber"
    """Holds the directory's unit id."""
    extension: str = "telephoneNumber"
    """2 to 8 digits (spaces and dashes ignored)."""
    mobile: str = "mobile"
    languages: str = "preferredLanguage"
    listed: str | None = None
    """Attribute whose value FALSE/nej marks an unlisted person; None: everyone is listed."""
    sip_dial: str = "PJSIP/{extension}"
    """Dial string of the desk phone, made from the extension."""
    direct_number: str | None = None
    """Attribute holding the direct number from outside (AD: ``telephoneNumber`` when the
    extension is in ``ipPhone``); None: people have no direct number from LDAP."""
    email: str | None = "mail"
    """Attribute holding the e-mail address (inetOrgPerson and AD: ``mail``); None: people
    have no address from LDAP and messages go by the city's rule."""

    def attributes(self) -> list[str]:
        names = [
            self.id,
            self.given_name,
            self.family_name,
            self.title,
            self.unit_id,
            self.extension,
            self.mobile,
            self.languages,
        ]
        optional = [a for a in (self.listed, self.direct_number, self.email) if a]
        return names + optional


def _first(attrs: Mapping[str, Sequence[str]], name: str) -> str:
    for key, values in attrs.items():
        if key.lower() == name.lower() and values:
            return str(values[0]).strip()
    return ""


def entry_to_employee(attrs: Mapping[str, Sequence[str]], mapping: LdapMapping) -> Employee:
    """One entry as an employee; ValueError or InvalidEntity names the missing or bad field."""
    stable_id = _first(attrs, mapping.id)
    if not stable_id:
        raise ValueError(f"no {mapping.id} (the stable id)")
    extension = re.sub(r"[ \-]", "", _first(attrs, mapping.extension)) or None
    devices = [Device("sip", mapping.sip_dial.format(extension=extension))] if extension else []
    mobile = _first(attrs, mapping.mobile)
    if mobile:
        digits = text.phone_digits(mobile)
        if digits is None:
            raise ValueError(f"{mapping.mobile} is not a phone number: {mobile!r}")
        devices.append(Device("mobile", MOBILE_DIAL.format(digits=digits), mobile))
    listed = not mapping.listed or text.fold(_first(attrs, mapping.listed)) not in _FALSE
    language = _first(attrs, mapping.languages).lower()
    return Employee(
        id=stable_id,
        given_name=_first(attrs, mapping.given_name),
        family_name=_first(attrs, mapping.family_name),
        title=_first(attrs, mapping.title),
        unit_id=_first(attrs, mapping.unit_id) or None,
        extension=extension,
        devices=tuple(devices),
        languages=("sv",) if language in ("", "sv") else ("sv", language),
        listed=listed,
        direct_number=_optional(attrs, mapping.direct_number),
        email=_optional(attrs, mapping.email),
    )


def _optional(attrs: Mapping[str, Sequence[str]], name: str | None) -> str | None:
    """The first value of an optional attribute; None when unmapped or absent."""
    return (_first(attrs, name) or None) if name else None


def entries_to_records(entries: Iterable[Entry], mapping: LdapMapping, source: str) -> list[Record]:
    """Every entry as a numbered record (in DN order), or ImportRejected naming the DN."""
    ordered = sorted(entries, key=lambda entry: entry[0].lower())
    result: list[Record] = []
    errors: list[tuple[int, str]] = []
    for number, (dn, attrs) in enumerate(ordered, 1):
        try:
            result.append(Record(number, entry_to_employee(attrs, mapping)))
        except (ValueError, InvalidEntity) as exc:
            errors.append((number, f"{dn}: {exc}"))
    errors += [(n, f"{ordered[n - 1][0]}: {reason}") for n, reason in duplicate_errors(result)]
    if errors:
        errors.sort()
        first = ImportRejected(
            source,
            None,
            errors[0][1] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
        )
        first.errors = errors
        raise first
    return result

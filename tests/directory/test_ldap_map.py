"""Pure LDAP entry mapping: fields, defaults, and errors naming the DN."""

from __future__ import annotations

import pytest

from directory.api import Device, ImportRejected
from directory.ldap_map import LdapMapping, entries_to_records, entry_to_employee

ENTRY = {
    "employeeNumber": ["H1"],
    "givenName": ["Åsa"],
    "sn": ["Öberg"],
    "title": ["Chef"],
    "departmentNumber": ["bygglov"],
    "telephoneNumber": ["48 01"],
    "mobile": ["070-123 45 67"],
    "preferredLanguage": ["EN"],
}


def test_given_inetorgperson_entry_then_every_field_is_mapped() -> None:
    e = entry_to_employee(ENTRY, LdapMapping())
    assert (e.id, e.full_name, e.title, e.unit_id, e.extension) == (
        "H1",
        "Åsa Öberg",
        "Chef",
        "bygglov",
        "4801",
    )
    assert e.devices == (
        Device("sip", "PJSIP/4801"),
        Device("mobile", "PJSIP/46701234567@trunk", "070-123 45 67"),
    )
    assert e.languages == ("sv", "en") and e.listed


def test_given_listed_attribute_false_then_person_is_unlisted() -> None:
    mapping = LdapMapping(listed="description")
    assert not entry_to_employee({**ENTRY, "description": ["FALSE"]}, mapping).listed
    assert entry_to_employee(ENTRY, mapping).listed


def test_given_attribute_names_in_other_case_then_still_found() -> None:
    assert (
        entry_to_employee(
            {"EMPLOYEENUMBER": ["H1"], "GivenName": ["A"], "SN": ["B"]}, LdapMapping()
        ).id
        == "H1"
    )


def test_given_bad_entries_then_rejected_naming_each_dn() -> None:
    entries = [
        ("uid=b,ou=p", {**ENTRY, "employeeNumber": ["H2"], "telephoneNumber": ["4801"]}),
        ("uid=a,ou=p", ENTRY),
        ("uid=c,ou=p", {"givenName": ["X"], "sn": ["Y"]}),
    ]
    with pytest.raises(ImportRejected) as info:
        entries_to_records(entries, LdapMapping(), "ldap://x/dc=t")
    reasons = [reason for _, reason in info.value.errors]
    assert reasons == [
        "uid=b,ou=p: extension 4801 already on line 1",
        "uid=c,ou=p: no employeeNumber (the stable id)",
    ]

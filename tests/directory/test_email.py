"""E-mail addresses of employees and units: validated, stored, imported, shown, set, migrated."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from directory import demo, schema
from directory.api import Directory, Employee, ImportRejected, InvalidEntity, NotFound, Unit
from directory.csv_rows import format_employees, parse_employees
from directory.importer import run_import
from directory.ldap_map import LdapMapping, entry_to_employee
from directory.store_base import make_engine


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        (" anna.ekstrom2@stad.example ", "anna.ekstrom2@stad.example"),
        ("Anna.Ekstrom@Stad.Example", "Anna.Ekstrom@stad.example"),
        ("bygglov+vaxel@kontakt.stad.example", "bygglov+vaxel@kontakt.stad.example"),
        ("", None),
    ],
)
def test_given_email_then_trimmed_with_lower_case_domain(written: str, stored: str | None) -> None:
    assert Employee("E1", "Anna", "Ek", "", None, None, email=written).email == stored
    assert Unit("u1", "Bygglov", email=written).email == stored


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("anna.ekstrom", "local@domain"),
        ("@stad.example", "local@domain"),
        ("anna@", "local@domain"),
        ("anna.ekström@stad.example", "ASCII"),
        ("anna..ek@stad.example", "before @"),
        ("anna ek@stad.example", "before @"),
        ("anna@stad..example", "domain"),
        ("anna@-stad.example", "domain"),
        ("a@b@stad.example", "before @"),
        (f"{'a' * 65}@stad.example", "before @"),
        (f"anna@{'s' * 60}.{'t' * 60}.{'u' * 60}.{'v' * 60}.example", "longer than 254"),
    ],
)
def test_given_bad_email_then_invalid_entity_names_entity_field_and_reason(
    bad: str, reason: str
) -> None:
    with pytest.raises(InvalidEntity, match=rf"employee e-mail address: .*{reason}"):
        Employee("E1", "Anna", "Ek", "", None, None, email=bad)
    with pytest.raises(InvalidEntity, match=rf"unit e-mail address: .*{reason}"):
        Unit("u1", "Bygglov", email=bad)


@pytest.fixture
def mailed(directory: Directory) -> Directory:
    directory.add_unit("bygglov", "Bygglovsenheten", email="bygglovsenheten@stad.example")
    directory.add_employee(
        "E1", "Anna", "Ekström", unit_id="bygglov", extension="4711",
        email="anna.ekstrom@stad.example",
    )
    # The same shared mailbox for two people is allowed.
    directory.add_employee("E2", "Anna", "Ekström", extension="4712",
                           email="bygglovsenheten@stad.example")
    return directory


def test_given_addresses_when_stored_then_read_back_and_shared_mailboxes_allowed(
    mailed: Directory,
) -> None:
    unit = mailed.unit("bygglov")
    assert unit is not None and unit.email == "bygglovsenheten@stad.example"
    e1, e2 = mailed.employee("E1"), mailed.employee("E2")
    assert e1 is not None and e1.email == "anna.ekstrom@stad.example"
    assert e2 is not None and e2.email == unit.email


def test_given_unit_when_email_set_and_cleared_then_stored_and_in_history(
    mailed: Directory,
) -> None:
    changed = mailed.set_unit_email("bygglov", " Bygglov@Stad.Example", actor="op1")
    assert changed.email == "Bygglov@stad.example" == mailed.unit("bygglov").email  # type: ignore[union-attr]
    [entry, *_] = mailed.history("bygglov")
    assert (entry.actor, entry.action) == ("op1", "updated")
    assert entry.changes == {"email": ["bygglovsenheten@stad.example", "Bygglov@stad.example"]}
    assert mailed.set_unit_email("bygglov", None).email is None
    assert mailed.unit("bygglov").email is None  # type: ignore[union-attr]


def test_given_bad_address_or_unknown_unit_then_nothing_changes(mailed: Directory) -> None:
    with pytest.raises(InvalidEntity, match="unit e-mail address"):
        mailed.set_unit_email("bygglov", "bygglov at stad.example")
    with pytest.raises(NotFound, match="nowhere"):
        mailed.set_unit_email("nowhere", "x@stad.example")
    assert mailed.unit("bygglov").email == "bygglovsenheten@stad.example"  # type: ignore[union-attr]


CSV = (
    "Anställningsnummer;Förnamn;Efternamn;Anknytning;E-post\n"
    "E1;Anna;Ekström;4711;anna.ekstrom@stad.example\n"
    "E2;Anna;Ekström;4712;anna.ekstrom2@stad.example\n"
    "E3;Per;Holm;4713;\n"
)


def test_given_csv_with_swedish_email_column_then_read_and_exported_back() -> None:
    rows = parse_employees(CSV.splitlines(keepends=True), "hr.csv")
    assert [r.employee.email for r in rows] == [
        "anna.ekstrom@stad.example", "anna.ekstrom2@stad.example", None]
    exported = "".join(format_employees(r.employee for r in rows)).splitlines(keepends=True)
    assert "E-post" in exported[0].split(";")
    again = parse_employees(exported, "export.csv")
    assert [r.employee for r in again] == [r.employee for r in rows]


def test_given_csv_with_english_email_column_then_read() -> None:
    rows = parse_employees(["id,given_name,family_name,email\n",
                            "E1,Anna,Ek,anna.ek@stad.example\n"], "hr.csv")
    assert rows[0].employee.email == "anna.ek@stad.example"


def test_given_csv_with_bad_addresses_then_rejected_naming_each_line_and_field() -> None:
    bad = CSV.replace("anna.ekstrom2@", "anna.ekström2@").replace("4713;", "4713;per.holm")
    with pytest.raises(ImportRejected) as caught:
        parse_employees(bad.splitlines(keepends=True), "hr.csv")
    assert str(caught.value).startswith("hr.csv:3: column 'E-post': only ASCII")
    assert [(line, reason.split(":")[0]) for line, reason in caught.value.errors] == [
        (3, "column 'E-post'"), (4, "column 'E-post'")]


def test_given_import_with_one_bad_address_then_nothing_is_imported(
    mailed: Directory,
) -> None:
    lines = ["id;förnamn;efternamn;e-post\n", "E1;Anna;Ekström;ny@stad.example\n",
             "E9;Per;Holm;per.holm@\n"]
    with pytest.raises(ImportRejected, match=r"hr.csv:3: column 'e-post'"):
        rows = parse_employees(lines, "hr.csv")
        run_import(mailed, rows, "hr.csv", full=False, dry_run=False, actor="test")
    assert mailed.employee("E1").email == "anna.ekstrom@stad.example"  # type: ignore[union-attr]
    assert mailed.employee("E9") is None


def test_given_import_changing_an_address_then_the_change_is_reported_and_applied(
    mailed: Directory,
) -> None:
    rows = parse_employees(["id;förnamn;efternamn;ankn;enhet;e-post\n",
                            "E1;Anna;Ekström;4711;bygglov;anna.ekstrom3@stad.example\n"], "hr.csv")
    plan = run_import(mailed, rows, "hr.csv", full=False, dry_run=False, actor="test")
    assert plan.lines() == [
        "~ E1 Anna Ekström: email: 'anna.ekstrom@stad.example' -> 'anna.ekstrom3@stad.example'"]
    assert mailed.employee("E1").email == "anna.ekstrom3@stad.example"  # type: ignore[union-attr]


def test_given_ldap_entry_then_mail_is_read_by_default_or_from_the_mapped_attribute() -> None:
    entry = {"employeeNumber": ["H1"], "givenName": ["Åsa"], "sn": ["Öberg"],
             "mail": ["asa.oberg@stad.example"], "otherMailbox": ["asa@kontakt.stad.example"]}
    assert entry_to_employee(entry, LdapMapping()).email == "asa.oberg@stad.example"
    assert "mail" in LdapMapping().attributes()
    other = LdapMapping(email="otherMailbox")
    assert entry_to_employee(entry, other).email == "asa@kontakt.stad.example"
    assert entry_to_employee(entry, LdapMapping(email=None)).email is None
    assert "mail" not in LdapMapping(email=None).attributes()


def test_given_people_with_the_same_name_then_demo_addresses_are_distinct_and_stable() -> None:
    people = [Employee(f"E{i}", given, family, "", None, None) for i, (given, family) in
              enumerate([("Anna", "Ekström"), ("Per", "Holm"), ("Anna", "Ekström"),
                         ("Anna", "Ekström"), ("Anna-Karin", "Ek Öberg")])]
    addresses = [e.email for e in demo.with_addresses(people, "stad.example")]
    assert addresses == [
        "anna.ekstrom@stad.example", "per.holm@stad.example", "anna.ekstrom2@stad.example",
        "anna.ekstrom3@stad.example", "anna-karin.ek-oberg@stad.example"]


def test_given_small_demo_then_everyone_has_a_distinct_address(directory: Directory) -> None:
    demo.seed(directory, size="small")
    people = list(directory.active_employees().values())
    addresses = [e.email for e in people]
    assert None not in addresses and len(set(addresses)) == len(people)
    anna = directory.employee_by_extension("4711")
    assert anna is not None and anna.email == "anna.lindqvist@stad.example"
    assert directory.unit("bygglov").email == demo.UNIT_MAILBOXES["bygglov"]  # type: ignore[union-attr]


def test_given_people_and_units_at_revision_0003_when_upgraded_then_no_addresses(
    directory_url: str,
) -> None:
    """0004 adds the columns empty: every message still goes by the rule until one is set."""
    engine = make_engine(directory_url)
    schema.upgrade(engine, "0003")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO units (id, name, sort_key, description, topics, opening_hours,"
            " visiting_address, answer_strategy, member_ring_s)"
            " VALUES ('u1', 'Bygglov', 'bygglov\x1fu1', '', '[]', '[]', '', 'ring_all', 15)"))
        connection.execute(text(
            "INSERT INTO employees (id, given_name, family_name, title, languages, listed,"
            " active, sort_key, family_keys) VALUES"
            " ('E1', 'Anna', 'Ek', '', 'sv', :yes, :yes, 'ek\x1fanna\x1fE1', '35')"),
            {"yes": True})
    engine.dispose()
    d = Directory.open(directory_url)
    try:
        assert d.unit("u1").email is None  # type: ignore[union-attr]
        assert d.employee("E1").email is None  # type: ignore[union-attr]
        d.set_unit_email("u1", "bygglov@stad.example")
        assert d.unit("u1").email == "bygglov@stad.example"  # type: ignore[union-attr]
    finally:
        d.close()

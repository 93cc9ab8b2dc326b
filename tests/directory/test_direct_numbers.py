"""Direct numbers of employees and unit numbers: normalised, unique, found, imported, migrated."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from directory import schema
from directory.api import (
    AnswerStrategy,
    Conflict,
    Directory,
    Employee,
    ImportRejected,
    InvalidEntity,
    MatchRank,
    Unit,
)
from directory.csv_rows import format_employees, parse_employees
from directory.importer import run_import
from directory.ldap_map import LdapMapping, entry_to_employee
from directory.store_base import make_engine


@pytest.mark.parametrize("written", ["08-508 12 345", "+46 8 508 123 45", "0046850812345",
                                     "46850812345"])
def test_given_direct_number_in_any_written_form_then_stored_as_international_digits(
        written: str) -> None:
    e = Employee("E1", "Anna", "Ek", "", None, None, direct_number=written)
    assert e.direct_number == "46850812345"


@pytest.mark.parametrize("bad", ["4711", "08-abc", "+46"])
def test_given_direct_number_that_is_no_phone_number_then_invalid_entity_names_field(
        bad: str) -> None:
    with pytest.raises(InvalidEntity, match="employee direct number"):
        Employee("E1", "Anna", "Ek", "", None, None, direct_number=bad)


def test_given_unit_without_strategy_then_ring_all_and_member_time_is_checked() -> None:
    assert Unit("u1", "Bygglov").answer_strategy is AnswerStrategy.RING_ALL
    with pytest.raises(InvalidEntity, match="unit ring time per member"):
        Unit("u1", "Bygglov", member_ring_s=0)
    with pytest.raises(InvalidEntity, match="Unit.number|number"):
        Unit("u1", "Bygglov", number="12")


@pytest.fixture
def numbered(directory: Directory) -> Directory:
    directory.add_unit("bygglov", "Bygglovsenheten", number="08-508 000 10",
                       answer_strategy=AnswerStrategy.IN_ORDER, member_ring_s=7)
    directory.add_employee("E1", "Anna", "Ekström", unit_id="bygglov", extension="4711",
                           direct_number="08-508 12 345")
    directory.add_employee("E2", "Sara", "Lind", extension="4714")
    return directory


def test_given_direct_number_when_looked_up_in_any_form_then_the_employee(
        numbered: Directory) -> None:
    for dialled in ("0850812345", "+46850812345", "46850812345"):
        found = numbered.employee_by_direct_number(dialled)
        assert found is not None and found.id == "E1"
    assert numbered.employee_by_direct_number("0850899999") is None
    assert numbered.employee_by_direct_number("4711") is None


def test_given_unit_number_when_looked_up_then_the_unit_with_its_answering_rule(
        numbered: Directory) -> None:
    unit = numbered.unit_by_number("08-508 000 10")
    assert unit is not None and unit.id == "bygglov"
    assert (unit.answer_strategy, unit.member_ring_s) == (AnswerStrategy.IN_ORDER, 7)
    assert numbered.unit_by_number("08-508 000 11") is None


def test_given_taken_direct_number_when_adding_employee_then_conflict(
        numbered: Directory) -> None:
    with pytest.raises(Conflict):
        numbered.add_employee("E3", "Per", "Holm", direct_number="+46850812345")
    assert numbered.employee("E3") is None


def test_given_caller_number_is_a_direct_number_then_reverse_lookup_finds_its_owner(
        numbered: Directory) -> None:
    hits = numbered.search("08-508 123 45", audience="operator")
    assert [(h.rank, h.employee and h.employee.id) for h in hits] == [
        (MatchRank.PHONE_NUMBER, "E1")]


def test_given_leaver_when_deactivated_then_direct_number_is_free(numbered: Directory) -> None:
    numbered.deactivate_employee("E1")
    assert numbered.employee_by_direct_number("0850812345") is None
    numbered.add_employee("E3", "Per", "Holm", direct_number="0850812345")
    assert numbered.employee_by_direct_number("0850812345").id == "E3"  # type: ignore[union-attr]


CSV = (
    "Anställningsnummer;Förnamn;Efternamn;Anknytning;Direktnummer\n"
    "E1;Anna;Ekström;4711;08-508 12 345\n"
    "E2;Sara;Lind;4714;08-508 12 346\n"
)


def test_given_csv_with_swedish_direct_number_column_then_numbers_are_normalised() -> None:
    rows = parse_employees(CSV.splitlines(keepends=True), "hr.csv")
    assert [r.employee.direct_number for r in rows] == ["46850812345", "46850812346"]
    exported = "".join(format_employees(r.employee for r in rows)).splitlines(keepends=True)
    again = parse_employees(exported, "export.csv")
    assert [r.employee for r in again] == [r.employee for r in rows]


def test_given_csv_repeating_a_direct_number_then_rejected_with_both_lines() -> None:
    repeated = CSV.replace("08-508 12 346", "+46 8 508 123 45")
    expected = r"hr.csv:3: direct number 46850812345 already on line 2"
    with pytest.raises(ImportRejected, match=expected):
        parse_employees(repeated.splitlines(keepends=True), "hr.csv")


def test_given_csv_with_bad_direct_number_then_rejected_naming_line_and_field() -> None:
    bad = CSV.replace("08-508 12 346", "hej")
    expected = r"hr.csv:3: column 'Direktnummer': not a phone number"
    with pytest.raises(ImportRejected, match=expected):
        parse_employees(bad.splitlines(keepends=True), "hr.csv")


def test_given_import_taking_a_direct_number_someone_staying_holds_then_rejected(
        numbered: Directory) -> None:
    rows = parse_employees(["id;förnamn;efternamn;direktnummer\n",
                            "E9;Per;Holm;08-508 12 345\n"], "hr.csv")
    with pytest.raises(ImportRejected, match="direct number 46850812345 belongs to E1"):
        run_import(numbered, rows, "hr.csv", full=False, dry_run=False, actor="test")
    assert numbered.employee("E9") is None


def test_given_import_swapping_direct_numbers_then_both_move_in_one_transaction(
        numbered: Directory) -> None:
    numbered.update_employee(Employee("E2", "Sara", "Lind", "", None, "4714",
                                      direct_number="0850812346"))
    rows = parse_employees(["id;förnamn;efternamn;ankn;enhet;direktnummer\n",
                            "E1;Anna;Ekström;4711;bygglov;08-508 12 346\n",
                            "E2;Sara;Lind;4714;;08-508 12 345\n"], "hr.csv")
    run_import(numbered, rows, "hr.csv", full=False, dry_run=False, actor="test")
    assert numbered.employee_by_direct_number("0850812345").id == "E2"  # type: ignore[union-attr]
    assert numbered.employee_by_direct_number("0850812346").id == "E1"  # type: ignore[union-attr]


def test_given_ldap_mapping_with_direct_number_attribute_then_it_is_read() -> None:
    entry = {"employeeNumber": ["H1"], "givenName": ["Åsa"], "sn": ["Öberg"],
             "ipPhone": ["4801"], "telephoneNumber": ["+46 8 508 480 01"]}
    mapping = LdapMapping(extension="ipPhone", direct_number="telephoneNumber")
    e = entry_to_employee(entry, mapping)
    assert (e.extension, e.direct_number) == ("4801", "46850848001")
    assert "telephoneNumber" in mapping.attributes()
    assert entry_to_employee(entry, LdapMapping(extension="ipPhone")).direct_number is None


def test_given_units_and_people_at_revision_0002_when_upgraded_then_defaults_and_lookups(
        directory_url: str) -> None:
    """0003 adds the numbers (empty) and gives existing units ring_all and 15 s."""
    engine = make_engine(directory_url)
    schema.upgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO units (id, name, sort_key, description, topics, opening_hours,"
            " visiting_address) VALUES ('u1', 'Bygglov', 'bygglov\x1fu1', '', '[]', '[]', '')"))
    engine.dispose()
    d = Directory.open(directory_url)
    try:
        unit = d.unit("u1")
        assert unit is not None and unit.number is None
        assert (unit.answer_strategy, unit.member_ring_s) == (AnswerStrategy.RING_ALL, 15)
        d.add_employee("E1", "Anna", "Ek", unit_id="u1", direct_number="0850812345")
        assert d.employee_by_direct_number("+46850812345") is not None
    finally:
        d.close()

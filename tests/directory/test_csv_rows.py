"""Pure CSV reading: headers in Swedish or English, row validation with line numbers."""

from __future__ import annotations

import pytest

from directory.api import Device, ImportRejected
from directory.csv_rows import parse_employees

SWEDISH = (
    "Anställningsnummer;Förnamn;Efternamn;Titel;Enhet;Anknytning;SIP;Mobil;Språk;Listad\n"
    "H1;Åsa;Öberg;Handläggare;bygglov;4801;PJSIP/4801;070-123 45 67;sv, en;ja\n"
    "H2;Per;Holm;;;4802;4802;;;nej\n"
)


def test_given_swedish_headers_and_semicolons_then_rows_become_employees() -> None:
    rows = parse_employees(SWEDISH.splitlines(keepends=True), "hr.csv")
    first, second = (r.employee for r in rows)
    assert (first.id, first.given_name, first.family_name, first.unit_id) == (
        "H1",
        "Åsa",
        "Öberg",
        "bygglov",
    )
    assert first.devices == (
        Device("sip", "PJSIP/4801"),
        Device("mobile", "PJSIP/46701234567@trunk", "070-123 45 67"),
    )
    assert first.languages == ("sv", "en") and first.listed
    assert second.devices == (Device("sip", "PJSIP/4802"),) and not second.listed
    assert second.unit_id is None and second.languages == ("sv",)
    assert [r.line for r in rows] == [2, 3]


def test_given_english_headers_in_another_order_with_commas_then_same_fields() -> None:
    lines = ["extension,family_name,given_name,employee_id\n", "4801,Öberg,Åsa,H1\n"]
    (row,) = parse_employees(lines, "hr.csv")
    assert (row.employee.id, row.employee.extension, row.employee.family_name) == (
        "H1",
        "4801",
        "Öberg",
    )


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("H1;Åsa;Öberg;47a1\n", 2, "column 'Anknytning'"),
        ("H1;Åsa;;4801\n", 2, "column 'Efternamn': required, but empty"),
        ("H1;Åsa;Öberg;4801\nH1;Per;Holm;4802\n", 3, "employee id 'H1' already on line 2"),
        ("H1;Åsa;Öberg;4801\nH2;Per;Holm;4801\n", 3, "extension 4801 already on line 2"),
        ("H1;Åsa;Öberg;4801;extra\n", 2, "5 fields"),
        ('\nH1;Åsa;Öberg;4801\n"H2;Per\n', 4, "CSV syntax"),
    ],
)
def test_given_bad_row_then_rejected_with_file_line_and_reason(
    body: str, line: int, reason: str
) -> None:
    lines = ("Anställningsnummer;Förnamn;Efternamn;Anknytning\n" + body).splitlines(True)
    with pytest.raises(ImportRejected) as info:
        parse_employees(lines, "hr.csv")
    assert (info.value.source, info.value.line) == ("hr.csv", line)
    assert reason in info.value.reason
    assert str(info.value).startswith(f"hr.csv:{line}: ")


def test_given_several_bad_rows_then_all_are_reported_in_line_order() -> None:
    lines = ["id;förnamn;efternamn;listad\n", "A;B;;ja\n", "C;D;E;kanske\n", "F;G;H;ja\n"]
    with pytest.raises(ImportRejected) as info:
        parse_employees(lines, "hr.csv")
    assert [line for line, _ in info.value.errors] == [2, 3]
    assert "and 1 more" in str(info.value)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("id;förnamn;lön\n", "unknown column 'lön'"),
        ("id;förnamn;efternamn;Efternamn\n", "repeats family_name"),
        ("id;förnamn\n", "missing column(s): family_name"),
    ],
)
def test_given_bad_header_then_rejected_on_line_1(header: str, reason: str) -> None:
    with pytest.raises(ImportRejected, match="hr.csv:1: ") as info:
        parse_employees([header], "hr.csv")
    assert reason in info.value.reason


def test_given_empty_file_then_rejected_without_line() -> None:
    with pytest.raises(ImportRejected, match="empty file"):
        parse_employees([], "hr.csv")


def test_exported_employees_read_back_unchanged() -> None:
    from directory.csv_rows import format_employees

    rows = parse_employees(SWEDISH.splitlines(keepends=True), "hr.csv")
    employees = [r.employee for r in rows]
    exported = "".join(format_employees(employees)).splitlines(keepends=True)
    assert [r.employee for r in parse_employees(exported, "export.csv")] == employees

"""CSV import into a directory: one transaction, dry-run, full lists, rejected files."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory import demo
from directory.api import Directory, ImportRejected
from directory.csv_import import import_csv

HEADER = "Anställningsnummer;Förnamn;Efternamn;Titel;Enhet;Anknytning;SIP\n"


@pytest.fixture
def city(directory: Directory) -> Directory:
    demo.seed(directory, size="small")
    return directory


def _write(tmp_path: Path, body: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "hr.csv"
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def test_given_valid_file_then_people_are_added_searchable_and_in_history(
    city: Directory, tmp_path: Path
) -> None:
    path = _write(tmp_path, "H1;Åsa;Öberg;Handläggare;bygglov;4801;\nH2;Per;Holm;;;4802;\n")
    plan = import_csv(city, path, actor="hr")
    assert plan.summary() == "2 added, 0 changed, 0 deactivated, 0 unchanged"
    found = city.employee_by_extension("4801")
    assert found is not None and found.full_name == "Åsa Öberg"
    assert [h.employee.id for h in city.search("asa oberg") if h.employee] == ["H1"]
    assert city.history("H1")[0].actor == "hr"


def test_given_bad_row_late_in_file_then_nothing_is_imported(
    city: Directory, tmp_path: Path
) -> None:
    before = city.active_employees()
    path = _write(tmp_path, "H1;Åsa;Öberg;;bygglov;4801;\nH2;Per;Holm;;nosuchunit;4802;\n")
    with pytest.raises(ImportRejected) as info:
        import_csv(city, path)
    assert (info.value.line, info.value.source) == (3, str(path))
    assert "nosuchunit" in info.value.reason
    assert city.active_employees() == before


def test_given_extension_held_by_someone_staying_then_rejected_naming_line(
    city: Directory, tmp_path: Path
) -> None:
    path = _write(tmp_path, "H1;Åsa;Öberg;;;4711;\n")
    with pytest.raises(ImportRejected, match=r"hr.csv:2: extension 4711 belongs to E4711"):
        import_csv(city, path)
    assert city.employee("H1") is None


def test_given_dry_run_then_changes_are_listed_and_nothing_written(
    city: Directory, tmp_path: Path
) -> None:
    path = _write(
        tmp_path, "E4711;Anna;Lindqvist;Chef;bygglov;4711;PJSIP/4711\nH1;Åsa;Öberg;;;4801;\n"
    )
    plan = import_csv(city, path, dry_run=True)
    assert plan.lines()[0] == "+ H1 Åsa Öberg"
    assert plan.lines()[1].startswith(
        "~ E4711 Anna Lindqvist: title: 'Bygglovshandläggare' -> 'Chef'"
    )
    assert city.employee("H1") is None
    employee = city.employee("E4711")
    assert employee is not None and employee.title == "Bygglovshandläggare"


def test_given_full_list_then_missing_people_are_deactivated_and_extensions_can_move(
    city: Directory, tmp_path: Path
) -> None:
    # E4712 leaves; E4711 takes over 4712 in the same import.
    people = [e for e in city.active_employees().values() if e.id not in ("E4711", "E4712")]
    rows = [
        f"{e.id};{e.given_name};{e.family_name};{e.title};{e.unit_id or ''};"
        f"{e.extension or ''};{e.devices[0].dial}\n"
        for e in people
        if len(e.devices) == 1
    ]
    rows.append("E4711;Anna;Lindqvist;Bygglovshandläggare;bygglov;4712;PJSIP/4711\n")
    plan = import_csv(city, _write(tmp_path, "".join(rows)), full=True)
    assert "E4712" in [e.id for e in plan.deactivated]
    found = city.employee_by_extension("4712")
    assert found is not None and found.id == "E4711"
    assert city.employee("E4712") is None


def test_given_windows_1252_export_then_swedish_letters_survive(
    city: Directory, tmp_path: Path
) -> None:
    import_csv(city, _write(tmp_path, "H1;Åsa;Öberg;;;4801;\n", encoding="cp1252"))
    found = city.employee("H1")
    assert found is not None and found.full_name == "Åsa Öberg"


def test_given_same_file_twice_then_second_import_changes_nothing(
    city: Directory, tmp_path: Path
) -> None:
    path = _write(tmp_path, "H1;Åsa;Öberg;;;4801;PJSIP/4801\n")
    import_csv(city, path)
    assert import_csv(city, path).summary() == "0 added, 0 changed, 0 deactivated, 1 unchanged"


THREE_BAD = (
    "H1;Åsa;Öberg;;bygglov;4801;\n"      # good
    "H2;Per;;;bygglov;4802;\n"           # line 3: no family name (the reader)
    "H3;Eva;Ek;;nosuchunit;4803;\n"      # line 4: a unit the directory has not (the directory)
    "H4;Bo;Berg;;bygglov;48a4;\n"        # line 5: not an extension (the reader)
    "H5;Lo;Lind;;bygglov;4805;\n"        # good
)


@pytest.mark.parametrize("dry_run", [False, True])
def test_given_three_bad_rows_then_all_three_are_reported_and_nothing_changes(
    city: Directory, tmp_path: Path, dry_run: bool
) -> None:
    """The rows the reader refuses and the row the directory refuses come in one report,
    each with its line and the column as the file names it; not one row is imported."""
    before = city.active_employees()
    path = _write(tmp_path, THREE_BAD)
    with pytest.raises(ImportRejected) as info:
        import_csv(city, path, dry_run=dry_run)
    assert info.value.errors == [
        (3, "column 'Efternamn': required, but empty"),
        (4, "unit 'nosuchunit' is not a unit in the directory"),
        (5, "column 'Anknytning': must be 2 to 8 digits, got '48a4'"),
    ]
    assert city.active_employees() == before
    assert city.employee("H1") is None and city.employee("H5") is None

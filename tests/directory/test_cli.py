"""The `vaxel directory` commands, run in-process against an SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaxel.cli import main


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dir.db'}"
    assert main(["directory", "demo", "--url", url]) == 0
    return url


def test_given_demo_when_searching_then_hits_are_printed(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["directory", "search", "ekstrom", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "4713          Karin Ekström  Enhetschef     Hemtjänst Östermalm" in out  # unit by name


def test_given_unlisted_person_when_operator_searches_then_only_protected_line(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    main(["directory", "search", "Sara Lind", "--operator", "--url", url])
    out = capsys.readouterr().out
    assert "Ingen information kan lämnas" in out and "Sara" not in out


def test_given_seeded_database_when_demo_runs_again_then_user_error(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["directory", "demo", "--url", url]) == 2
    assert "databasen är inte tom" in capsys.readouterr().err


def test_given_bad_csv_when_imported_then_exit_2_with_file_line_and_nothing_imported(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("id;förnamn;efternamn;anknytning\nH1;Åsa;Öberg;4801\nH2;Per;;4802\n")
    assert main(["directory", "import", str(path), "--url", url]) == 2
    assert f"{path}:3: column 'efternamn': required, but empty" in capsys.readouterr().err
    assert main(["directory", "show", "H1", "--url", url]) == 2


def test_given_dry_run_import_then_changes_listed_and_nothing_written(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("id;förnamn;efternamn;anknytning\nH1;Åsa;Öberg;4801\n")
    capsys.readouterr()
    assert main(["directory", "import", str(path), "--dry-run", "--url", url]) == 0
    assert "+ H1 Åsa Öberg" in capsys.readouterr().out
    assert main(["directory", "show", "4801", "--url", url]) == 2


def test_given_absence_set_then_show_prints_it_and_clear_removes_it(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--url", url]
    assert (
        main(
            [
                "directory",
                "absence",
                "set",
                "4711",
                "--reason",
                "mote",
                "--from",
                "2026-03-02T09:00",
                "--until",
                "2026-03-02T11:00",
                "--forward",
                "colleague:4712",
                *args,
            ]
        )
        == 0
    )
    capsys.readouterr()
    main(["directory", "show", "4711", "--at", "2026-03-02T10:00", *args])
    out = capsys.readouterr().out
    assert "möte (i möte / in a meeting), till / until 2026-03-02 11:00" in out
    assert "colleague 4712" in out


def test_given_unknown_forward_kind_then_user_error_names_the_option(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "directory",
            "absence",
            "set",
            "4711",
            "--reason",
            "lunch",
            "--forward",
            "mars",
            "--url",
            url,
        ]
    )
    assert code == 2 and "--forward: unknown kind 'mars'" in capsys.readouterr().err


def test_given_cli_when_employee_email_set_then_show_prints_it_and_clear_restores_the_rule(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["directory", "show", "4711", "--url", url]) == 0
    assert "e-post / e-mail:    anna.lindqvist@stad.example" in capsys.readouterr().out
    assert main(["directory", "email", "4711", "anna.lindqvist2@stad.example",
                 "--actor", "op1", "--url", url]) == 0
    assert "Anna Lindqvist: e-post / e-mail anna.lindqvist2@stad.example" in \
        capsys.readouterr().out
    assert main(["directory", "history", "4711", "--limit", "1", "--url", url]) == 0
    row = capsys.readouterr().out.splitlines()[-1].split()
    assert row[2:6] == ["op1", "updated", "employee", "E4711"]
    assert " ".join(row[6:]) == ("email: 'anna.lindqvist@stad.example' -> "
                                 "'anna.lindqvist2@stad.example'")
    assert main(["directory", "email", "E4711", "--clear", "--url", url]) == 0
    capsys.readouterr()
    main(["directory", "show", "4711", "--url", url])
    assert "e-post / e-mail:    - (enligt stadens regel / by the city's rule)" in \
        capsys.readouterr().out


def test_given_cli_when_unit_email_set_then_show_prints_it(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["directory", "email", "parkering", "parkering@kontakt.stad.example",
                 "--url", url]) == 0
    capsys.readouterr()
    assert main(["directory", "show", "parkering", "--url", url]) == 0
    assert "e-post / e-mail:    parkering@kontakt.stad.example" in capsys.readouterr().out


def test_given_cli_with_bad_address_or_no_address_then_exit_2_and_nothing_changes(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["directory", "email", "4711", "anna@lindqvist@stad", "--url", url]) == 2
    assert "employee e-mail address: not an e-mail address" in capsys.readouterr().err
    assert main(["directory", "email", "4711", "--url", url]) == 2
    assert "--clear" in capsys.readouterr().err
    assert main(["directory", "email", "4711", "x@stad.example", "--clear", "--url", url]) == 2
    capsys.readouterr()
    main(["directory", "show", "4711", "--url", url])
    assert "anna.lindqvist@stad.example" in capsys.readouterr().out


def test_given_three_bad_rows_when_imported_then_all_three_on_stderr_with_progress_and_nothing_in(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("id;förnamn;efternamn;enhet;anknytning\nH1;Åsa;;bygglov;4801\n"
                    "H2;Per;Holm;ingen;4802\nH3;Eva;Ek;bygglov;48x3\nH4;Bo;Berg;bygglov;4804\n")
    capsys.readouterr()
    assert main(["directory", "import", str(path), "--url", url]) == 2
    err = capsys.readouterr().err
    assert f"... {path}: reading" in err and "against the directory" in err
    assert f"{path}:2: column 'efternamn': required, but empty" in err
    assert f"{path}:3: unit 'ingen' is not a unit in the directory" in err
    assert f"{path}:4: column 'anknytning': must be 2 to 8 digits" in err
    assert main(["directory", "show", "H4", "--url", url]) == 2


def test_given_free_text_or_an_unknown_reason_then_absence_set_refuses(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Notes carry a reason from the fixed list; there is no way to type a health reason."""
    with pytest.raises(SystemExit):
        main(["directory", "absence", "set", "4711", "--reason", "sjuk", "--url", url])
    assert "unknown absence reason 'sjuk'; choose one of semester, möte" in (
        capsys.readouterr().err)
    with pytest.raises(SystemExit):
        main(["directory", "absence", "set", "4711", "--reason", "semester", "--message",
              "läkarbesök", "--url", url])
    assert main(["directory", "absence", "set", "4711", "--reason", "tjanstledig",
                 "--url", url]) == 0
    assert "tjänstledig (ledig / on leave)" in capsys.readouterr().out

"""Every read command's --json document has exactly the fields docs/cli-json.md lists."""

from __future__ import annotations

import json
import shutil

import pytest

from directory.api import Directory
from directory.demo import seed
from infra.paths import repo_root
from vaxel.cli import main
from vaxel.testing.cli_json import check_document, documented

DOC = documented(repo_root() / "docs" / "cli-json.md")


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    path = tmp_path_factory.mktemp("dir") / "directory.db"
    d = Directory.open(f"sqlite:///{path}")
    d.create_schema()
    seed(d)
    d.close()
    return f"sqlite:///{path}"


def run_json(capsys, *argv):
    rc = main([*argv, "--json"])
    out = capsys.readouterr().out
    return rc, json.loads(out)


def tables(heading_start: str):
    return next(fields for heading, fields in DOC.items() if heading.startswith(heading_start))


def test_directory_search(url, capsys):
    rc, doc = run_json(capsys, "directory", "search", "ek", "--url", url)
    assert rc == 0 and doc["hits"] and doc["hits"][0]["unit"] != doc["hits"][0]["unit_id"]
    assert check_document(doc, tables("`vaxel directory search")) == []


def test_directory_show_employee_with_an_absence(url, capsys):
    rc, doc = run_json(capsys, "directory", "show", "4713", "--url", url, "--at", "2026-03-02")
    assert rc == 0 and doc["absence"] is not None and doc["unit"]
    assert check_document(doc, tables("`vaxel directory show EMPLOYEE")) == []


def test_directory_show_unit_names_its_districts(url, capsys):
    rc, doc = run_json(capsys, "directory", "show", "bygglov", "--url", url)
    assert rc == 0 and "Södermalm" in [d["name"] for d in doc["districts"]]
    assert check_document(doc, tables("`vaxel directory show UNIT")) == []


def test_directory_history(url, capsys):
    rc, doc = run_json(capsys, "directory", "history", "--url", url, "--limit", "3")
    assert rc == 0 and len(doc["entries"]) == 3
    assert check_document(doc, tables("`vaxel directory history")) == []


def test_dialplan_check(capsys):
    rc, doc = run_json(capsys, "dialplan", "check")
    assert rc == 0 and doc["errors"] == 0 and doc["findings"]
    assert check_document(doc, tables("`vaxel dialplan check")) == []


def test_dialplan_simulate_by_path(capsys):
    path = str(repo_root() / "dialplans" / "city-main.yaml")
    rc, doc = run_json(capsys, "dialplan", "simulate", path, "--digits", "#,0",
                       "--at", "2026-11-24T10:00")
    assert rc == 0 and doc["flow"] == "city-main" and doc["destination"].startswith("group")
    assert check_document(doc, tables("`vaxel dialplan simulate")) == []


def test_dialplan_diff(capsys, tmp_path):
    new = tmp_path / "new"
    shutil.copytree(repo_root() / "dialplans", new)
    city = new / "city-main.yaml"
    city.write_text(city.read_text("utf-8").replace("topic=ovrigt", "topic=skola"), "utf-8")
    rc, doc = run_json(capsys, "dialplan", "diff", str(repo_root() / "dialplans"), str(new))
    assert rc == 0 and doc["changed"] == 3 and doc["changes"][0]["before"]["end"]
    assert check_document(doc, tables("`vaxel dialplan diff")) == []


def test_asterisk_status(capsys):
    """Lists the instances of the provisioned Asterisk root (bin/setup provisions it)."""
    rc, doc = run_json(capsys, "asterisk", "status")
    assert rc == 0 and doc["instances_dir"]
    assert check_document(doc, tables("`vaxel asterisk status")) == []


def test_every_documented_command_is_a_command():
    from vaxel.cli import build_parser

    parser = build_parser()
    for heading in DOC:
        words = heading.strip("`").split()[1:3]
        words = [w for w in words if w.isalpha() and w.islower()]
        try:
            parser.parse_args([*words, "--help"])
        except SystemExit as exit_:
            assert exit_.code == 0, heading

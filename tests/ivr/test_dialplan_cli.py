"""`vaxel dialplan check|simulate|draw|diff|schema` as an admin runs them."""

from __future__ import annotations

import json
import shutil

import pytest

from infra.paths import repo_root
from vaxel.cli import main

SHIPPED = repo_root() / "dialplans"


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "dialplans"
    shutil.copytree(SHIPPED, target, ignore=shutil.ignore_patterns("recordings"))
    return target


def test_check_of_shipped_folder_passes_with_warnings_only(capsys):
    assert main(["dialplan", "check"]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_check_reports_errors_in_every_file_at_once_and_exits_1(folder, capsys):
    city = folder / "city-main.yaml"
    city.write_text(city.read_text("utf-8").replace('"4": topics', '"4": topic'), "utf-8")
    district = folder / "district-sodermalm.yaml"
    district.write_text(district.read_text("utf-8").replace("flow: city-main", "flow: city"),
                        "utf-8")
    assert main(["dialplan", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{folder}/city-main.yaml:" in out and "refers to node 'topic'" in out
    assert f"{folder}/district-sodermalm.yaml:" in out and "flow 'city'" in out


def test_simulate_prints_path_prompts_and_destination(capsys):
    rc = main(["dialplan", "simulate", "city-main", "--digits", "9,4,1",
               "--at", "2026-11-24T10:00", "--caller", "0701234567"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "«For schools and preschool, press 1." in out
    assert out.strip().endswith("destination: queue kontaktcenter [topic=skola;lang=en] priority 0")


def test_simulate_on_julafton_says_closed(capsys):
    main(["dialplan", "simulate", "0850800000", "--at", "2026-12-24T10:00"])
    out = capsys.readouterr().out
    assert "Växeln är stängd just nu." in out and out.strip().endswith("destination: hang up")


def test_simulate_of_unknown_flow_is_a_user_error(capsys):
    assert main(["dialplan", "simulate", "nope"]) == 2
    assert "no flow named or reached by 'nope'" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
def test_draw_writes_svg_and_png(tmp_path, capsys):
    assert main(["dialplan", "draw", "4000", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city-main.png", "city-main.svg"]


def test_diff_between_folders_lists_changed_paths(folder, tmp_path, capsys):
    new = tmp_path / "new"
    shutil.copytree(folder, new)
    city = new / "city-main.yaml"
    city.write_text(city.read_text("utf-8").replace("topic=ovrigt", "topic=skola"), "utf-8")
    assert main(["dialplan", "diff", str(folder), str(new)]) == 0
    out = capsys.readouterr().out
    assert "~ city-main: key 9 / open / key 4 / key 6" in out
    assert "0 path(s) added, 0 path(s) removed, 3 path(s) changed" in out


def test_schema_command_writes_the_schema(tmp_path, capsys):
    out = tmp_path / "schema.json"
    assert main(["dialplan", "schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text("utf-8"))["title"] == "Vaxel IVR flow"

"""Drawing a flow and diffing the paths callers take between two versions."""

from __future__ import annotations

import shutil

import pytest

from infra.paths import repo_root
from ivr.diff import caller_paths, diff_paths
from ivr.draw import render, to_dot
from ivr.flow import parse_flow
from tests.ivr.test_lint import BASE

FLOW = BASE.replace('"0": op}', '"0": op, "9": bye}')


def test_dot_has_every_node_and_labelled_edges():
    dot = to_dot(parse_flow(FLOW, "small.yaml"))
    for name in ("menu", "topic", "op", "bye"):
        assert f'"{name}" [shape=' in dot
    assert '"menu" -> "topic" [label="key 1"];' in dot
    assert '"menu" -> "op" [label="too many tries"];' in dot
    assert "queue kontaktcenter topic=bygglov lang=${language}" in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
def test_render_writes_svg_and_png(tmp_path):
    written = render(to_dot(parse_flow(FLOW, "small.yaml")), tmp_path / "small")
    assert [p.name for p in written] == ["small.svg", "small.png"]
    assert written[0].read_text().lstrip().startswith("<?xml")
    assert written[1].read_bytes()[:4] == b"\x89PNG"


def test_committed_city_diagram_is_of_the_current_flow():
    """Regenerate with `vaxel dialplan draw city-main` when this fails."""
    from ivr.flow import load_flow

    flow = load_flow(repo_root() / "dialplans" / "city-main.yaml")
    svg = (repo_root() / "docs" / "dialplans" / "city-main.svg").read_text(encoding="utf-8")
    assert f"v{flow.version[:8]}" in svg


def test_caller_paths_name_choices_and_ends():
    paths = {p.name: p.end for p in caller_paths(parse_flow(FLOW, "small.yaml"))}
    assert paths == {
        "small: key 1": "queue kontaktcenter [topic=bygglov lang=${language}] priority 0",
        "small: key 0 | too many tries": "group operators",
        "small: key 9": "goodbye (bye)",
    }


def test_diff_shows_added_removed_and_changed_paths():
    old = parse_flow(FLOW, "small.yaml")
    new = parse_flow(FLOW.replace('"9": bye}', '"8": bye}').replace(
        "topic=bygglov", "topic=skola").replace("sv: Hej då", "sv: Adjö"), "small.yaml")
    changes = [str(c) for c in diff_paths({"small": old}, {"small": new})]
    assert changes == [
        "~ small: key 1\n    ends: queue kontaktcenter [topic=bygglov lang=${language}] "
        "priority 0 -> queue kontaktcenter [topic=skola lang=${language}] priority 0",
        "+ small: key 8 -> goodbye (bye)",
        "- small: key 9 -> goodbye (bye)",
    ]


def test_diff_of_identical_flows_is_empty():
    flow = parse_flow(FLOW, "small.yaml")
    assert diff_paths({"small": flow}, {"small": flow}) == []

"""Flow files are checked as a whole; every problem names file, line and column."""

from __future__ import annotations

import textwrap

import pytest

from infra.paths import repo_root
from ivr.errors import FlowFileError
from ivr.flow import MenuNode, load_flows, parse_flow

GOOD = textwrap.dedent(
    """\
    flow: tiny
    start: menu
    prompts:
      hello: {sv: Hej, en: Hello}
    nodes:
      menu:
        kind: menu
        prompt: hello
        choices: {"1": bye}
      bye:
        kind: hangup
    """
)


def problems_of(text: str) -> list[str]:
    with pytest.raises(FlowFileError) as info:
        parse_flow(text, "dialplans/tiny.yaml")
    return [str(p) for p in info.value.problems]


def test_given_good_flow_then_nodes_and_version():
    flow = parse_flow(GOOD, "tiny.yaml")
    assert isinstance(flow.nodes["menu"], MenuNode)
    assert flow.nodes["menu"].choices == {"1": "bye"}
    assert len(flow.version) == 64
    assert flow.lines["bye"] == 10


def test_given_reference_to_missing_node_then_error_names_line_and_column():
    text = GOOD.replace('{"1": bye}', '{"1": byee}')
    assert problems_of(text) == [
        "dialplans/tiny.yaml:9:20: nodes.menu.choices.1: "
        "refers to node 'byee', which does not exist"
    ]


def test_given_several_faults_then_all_are_reported_at_once():
    text = GOOD.replace("prompt: hello", "prompt: helo").replace("kind: hangup", "kind: hangpu")
    found = problems_of(text)
    assert any("unknown node kind 'hangpu'" in p and ":11:" in p for p in found)
    assert any("refers to prompt 'helo'" in p and ":8:" in p for p in found)


def test_given_missing_english_text_then_error_names_prompt():
    text = GOOD.replace("{sv: Hej, en: Hello}", "{sv: Hej}")
    assert problems_of(text) == ["dialplans/tiny.yaml:4:3: prompts.hello: missing 'en' text"]


def test_given_menu_key_that_is_not_a_phone_key_then_error():
    text = GOOD.replace('{"1": bye}', '{"12": bye}')
    assert "'12' is not a single phone key" in problems_of(text)[0]


def test_given_duplicate_key_then_error_with_line():
    text = GOOD + "  bye:\n    kind: hangup\n"
    assert problems_of(text) == ["dialplans/tiny.yaml:12:3: duplicate key 'bye'"]


def test_given_broken_yaml_then_error_with_position():
    found = problems_of("flow: [unclosed\n")
    assert found[0].startswith("dialplans/tiny.yaml:2:")


def test_given_unknown_field_then_error_names_it():
    text = GOOD.replace("prompt: hello", "prompt: hello\n    timeuot: 3")
    assert "nodes.menu.timeuot: unknown field for a menu node" in problems_of(text)[0]


def test_shipped_dialplans_load():
    flows = load_flows(repo_root() / "dialplans")
    assert "city-main" in flows
    assert "0850800000" in flows["city-main"].entry_numbers


def test_given_two_files_claiming_one_entry_number_then_error(tmp_path):
    with_entry = GOOD.replace("start: menu", "entry_numbers: ['100']\nstart: menu")
    (tmp_path / "a.yaml").write_text(with_entry)
    (tmp_path / "b.yaml").write_text(with_entry.replace("flow: tiny", "flow: other"))
    with pytest.raises(FlowFileError, match="entry number 100 already leads to 'tiny'"):
        load_flows(tmp_path)

"""One mistake in a flow file is reported as that one mistake, not with its follow-on errors."""

from __future__ import annotations

import pytest

from ivr.errors import FlowFileError
from ivr.flow import parse_flow, parse_flow_set

MAIN = """
flow: main
start: hello
prompts:
  hi: {sv: Hej., en: Hi.}
nodes:
  hello: {kind: play, prompt: hi, next: bye}
  bye: {kind: hangp, prompt: hi}
"""
DISTRICT = """
flow: district
entry_numbers: ["4100"]
start: go
prompts: {}
nodes:
  go: {kind: goto, flow: main}
"""


def test_given_a_misspelt_kind_then_only_that_node_is_reported_not_the_ways_to_it():
    with pytest.raises(FlowFileError) as caught:
        parse_flow(MAIN, "main.yaml")
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 1
    assert messages[0].startswith("nodes.bye.kind: unknown node kind 'hangp'")


def test_given_a_broken_flow_then_a_goto_into_it_from_another_file_is_not_reported_again():
    with pytest.raises(FlowFileError) as caught:
        parse_flow_set({"main.yaml": MAIN, "district.yaml": DISTRICT}, "dp")
    assert [p.file for p in caught.value.problems] == ["dp/main.yaml"]


def test_given_a_goto_into_a_flow_that_does_not_exist_then_it_is_reported():
    with pytest.raises(FlowFileError, match="refers to flow 'main', which does not exist"):
        parse_flow_set({"district.yaml": DISTRICT}, "dp")

"""dialplans/schema.json: current, agrees with the loader, and accepts every shipped flow."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from infra.paths import repo_root
from ivr.flow import NOT_FLOWS, PROMPTS_ONLY_PREFIX
from ivr.node_loader import node_fields, node_kinds
from ivr.schema import flow_schema
from tests.ivr.test_node_kinds import FLOW

SCHEMA_PATH = repo_root() / "dialplans" / "schema.json"


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_committed_schema_is_the_generated_one(schema):
    """Regenerate with `vaxel dialplan schema` when this fails."""
    assert schema == flow_schema()


def test_schema_and_loader_agree_on_kinds_and_fields(schema):
    defs = schema["$defs"]
    assert defs["node"]["properties"]["kind"]["enum"] == list(node_kinds())
    for kind in node_kinds():
        assert set(defs[kind]["properties"]) - {"kind", "description"} == node_fields(kind), kind


@pytest.mark.parametrize("path", [p for p in sorted((repo_root() / "dialplans").glob("*.yaml"))
                                  if p.name not in NOT_FLOWS
                                  and not p.name.startswith(PROMPTS_ONLY_PREFIX)],
                         ids=lambda p: p.name)
def test_shipped_flow_is_valid_against_schema(schema, path):
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(path.read_text("utf-8")))


def test_every_node_kind_example_is_valid_and_a_typo_is_not(schema):
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(yaml.safe_load(FLOW))
    errors = list(validator.iter_errors(yaml.safe_load(FLOW.replace("priority: 5", "priorty: 5"))))
    assert errors

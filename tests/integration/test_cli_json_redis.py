"""The --json documents of the read commands that need Redis, against docs/cli-json.md."""

from __future__ import annotations

import json

import pytest

from infra.paths import repo_root
from vaxel.cli import main
from vaxel.testing.cli_json import check_document, documented

pytestmark = pytest.mark.integration
DOC = documented(repo_root() / "docs" / "cli-json.md")


def tables(heading_start: str):
    return next(fields for heading, fields in DOC.items() if heading.startswith(heading_start))


def run_json(capsys, *argv):
    rc = main([*argv, "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_dialplan_status_after_a_deploy(redis_server, capsys):
    assert main(["dialplan", "deploy", "--redis", redis_server.url, "--by", "test"]) == 0
    capsys.readouterr()
    rc, doc = run_json(capsys, "dialplan", "status", "--redis", redis_server.url)
    assert rc == 0 and doc["active"]["by"] == "test" and "city-main.yaml" in doc["active"]["files"]
    assert check_document(doc, tables("`vaxel dialplan status")) == []


def test_agent_and_operator_status(redis_server, capsys):
    assert main(["agent", "login", "anna", "--redis", redis_server.url, "--device", "PJSIP/1001",
                 "--queue", "kontaktcenter", "--skill", "topic:bygglov=4"]) == 0
    capsys.readouterr()
    rc, doc = run_json(capsys, "agent", "status", "--redis", redis_server.url)
    assert rc == 0 and [a["id"] for a in doc["agents"]] == ["anna"]
    assert doc["agents"][0]["state"] == "available"
    assert check_document(doc, tables("`vaxel agent status")) == []
    rc, doc = run_json(capsys, "operator", "status", "--redis", redis_server.url)
    assert rc == 0
    assert check_document(doc, tables("`vaxel agent status")) == []

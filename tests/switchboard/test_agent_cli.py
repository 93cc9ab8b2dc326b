"""`vaxel agent ...` against a real redis-server."""

from __future__ import annotations

import pytest

from vaxel.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def agent_cli(redis_url, prefix):
    """`vaxel agent ACTION ...` against the test's Redis and key prefix."""
    return lambda action, *args: main(["agent", action, *args, "--redis", redis_url,
                                       "--prefix", prefix])


def test_login_pause_unpause_logout_show_in_status(agent_cli, capsys):
    assert agent_cli("login", "anna", "--device", "PJSIP/1001", "--employee", "e17",
                     "--skill", "topic:bygglov=4", "--skill", "lang:sv",
                     "--queue", "kontaktcenter") == 0
    assert agent_cli("pause", "anna", "--reason", "lunch") == 0
    capsys.readouterr()
    assert agent_cli("status", "anna") == 0
    out = capsys.readouterr().out
    assert "paus (paused)" in out and "lunch" in out
    assert "lang:sv=1 topic:bygglov=4" in out
    assert agent_cli("unpause", "anna") == 0
    assert agent_cli("logout", "anna") == 0
    capsys.readouterr()
    agent_cli("status")
    assert "utloggad (logged out)" in capsys.readouterr().out


def test_bad_skill_level_is_a_one_line_error_naming_the_option(agent_cli, capsys):
    rc = agent_cli("login", "bo", "--device", "PJSIP/1002", "--skill", "topic:skatt=9",
                   "--queue", "kontaktcenter")
    assert rc == 2
    assert "--skill topic:skatt=9: level 9 is outside 1..5" in capsys.readouterr().err


def test_unpausing_an_agent_who_is_not_paused_names_the_state(agent_cli, capsys):
    agent_cli("login", "cia", "--device", "PJSIP/1003", "--queue", "operators")
    assert agent_cli("unpause", "cia") == 2
    assert "agent 'cia' is available: event AgentUnpaused" in capsys.readouterr().err


def test_unreachable_redis_is_a_user_error_not_a_traceback(capsys):
    assert main(["agent", "status", "--redis", "redis://127.0.0.1:1/0"]) == 2
    assert "redis read agents failed" in capsys.readouterr().err


def test_malformed_redis_url_is_a_user_error_naming_the_url(capsys):
    assert main(["agent", "status", "--redis", "localhost:6379"]) == 2
    assert "bad redis URL 'localhost:6379'" in capsys.readouterr().err

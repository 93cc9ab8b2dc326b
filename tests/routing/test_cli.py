"""`vaxel agent ...` against a real redis-server."""

from __future__ import annotations

import pytest

from vaxel.cli import main

pytestmark = pytest.mark.integration


def test_login_pause_unpause_logout_show_in_status(redis_url, capsys):
    assert main(["agent", "login", "anna", "--device", "PJSIP/1001", "--employee", "e17",
                 "--skill", "topic:bygglov=4", "--skill", "lang:sv", "--queue", "kontaktcenter",
                 "--redis", redis_url]) == 0
    assert main(["agent", "pause", "anna", "--reason", "lunch", "--redis", redis_url]) == 0
    capsys.readouterr()
    assert main(["agent", "status", "anna", "--redis", redis_url]) == 0
    out = capsys.readouterr().out
    assert "paus (paused)" in out and "lunch" in out
    assert "lang:sv=1 topic:bygglov=4" in out
    assert main(["agent", "unpause", "anna", "--redis", redis_url]) == 0
    assert main(["agent", "logout", "anna", "--redis", redis_url]) == 0
    capsys.readouterr()
    main(["agent", "status", "--redis", redis_url])
    assert "utloggad (logged out)" in capsys.readouterr().out


def test_bad_skill_level_is_a_one_line_error_naming_the_option(redis_url, capsys):
    rc = main(["agent", "login", "bo", "--device", "PJSIP/1002", "--skill", "topic:skatt=9",
               "--queue", "kontaktcenter", "--redis", redis_url])
    assert rc == 2
    assert "--skill topic:skatt=9: level 9 is outside 1..5" in capsys.readouterr().err


def test_unpausing_an_agent_who_is_not_paused_names_the_state(redis_url, capsys):
    main(["agent", "login", "cia", "--device", "PJSIP/1003", "--queue", "operators",
          "--redis", redis_url])
    assert main(["agent", "unpause", "cia", "--redis", redis_url]) == 2
    assert "agent 'cia' is available: event AgentUnpaused" in capsys.readouterr().err


def test_unreachable_redis_is_a_user_error_not_a_traceback(capsys):
    assert main(["agent", "status", "--redis", "redis://127.0.0.1:1/0"]) == 2
    assert "redis read agents failed" in capsys.readouterr().err

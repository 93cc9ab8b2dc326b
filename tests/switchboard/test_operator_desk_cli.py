"""`vaxel operator login|pause|next|status|logout` against a real Redis: the operators
are agents of the `operators` queue, in the same store `vaxel agent` uses."""

from __future__ import annotations

import asyncio
import time

import pytest

from routing.model import AgentState, Call
from routing.store import RoutingStore
from vaxel.cli import main
from vaxel.testing.services import RedisServer


@pytest.fixture
def config(tmp_path):
    with RedisServer() as redis:
        path = tmp_path / "vaxel.toml"
        path.write_text(
            f'[redis]\nurl = "{redis.url}"\n'
            f'[directory]\nurl = "sqlite:///{tmp_path / "directory.db"}"\n'
            '[queues.operators]\ngroup = "operators"\n'
            'escalation = ["0:district", "20:"]\n', encoding="utf-8")
        yield str(path), redis.url


def op(config, action, *args):
    return main(["operator", action, "--config", config[0], *args])


def _store_call(url: str, call: Call) -> None:
    async def go() -> None:
        store = RoutingStore.from_url(url)
        try:
            await store.enqueue(call)
        finally:
            await store.close()
    asyncio.run(go())


def _agent_state(url: str, agent_id: str) -> AgentState:
    async def go() -> AgentState:
        store = RoutingStore.from_url(url)
        try:
            return (await store.agent(agent_id)).state
        finally:
            await store.close()
    return asyncio.run(go())


def test_login_pause_next_status_logout(config, capsys):
    assert op(config, "login", "--operator", "eva", "--device", "PJSIP/1000",
              "--skill", "district:sodermalm=3") == 0
    assert "eva: ledig (available) (operators)" in capsys.readouterr().out
    assert op(config, "pause", "--operator", "eva", "--reason", "lunch") == 0
    assert _agent_state(config[1], "eva") is AgentState.PAUSED
    capsys.readouterr()
    assert op(config, "next", "--operator", "eva") == 0
    out = capsys.readouterr().out
    assert "eva: ledig (available)" in out and "inget samtal väntar (no call waiting)" in out
    assert _agent_state(config[1], "eva") is AgentState.AVAILABLE
    _store_call(config[1], Call("c7", "operators", ("district:sodermalm",), 8,
                                enqueued_at=time.time() - 5, caller="0701234567",
                                last_agent="bo"))
    assert op(config, "next", "--operator", "eva") == 0
    out = capsys.readouterr().out
    assert "nästa samtal (next call): c7 från (from) 0701234567" in out
    assert "prioritet (priority) 8" in out and "tillbaka från (back from) bo" in out
    assert op(config, "status") == 0
    out = capsys.readouterr().out
    assert "eva" in out and "district:sodermalm=3" in out and "operators" in out
    assert op(config, "logout", "--operator", "eva") == 0
    assert _agent_state(config[1], "eva") is AgentState.LOGGED_OUT


def test_the_same_operator_is_seen_by_vaxel_agent(config, capsys):
    assert op(config, "login", "--operator", "ulf", "--device", "PJSIP/1001") == 0
    capsys.readouterr()
    assert main(["agent", "status", "ulf", "--redis", config[1]]) == 0
    assert "ulf" in capsys.readouterr().out
    assert main(["agent", "pause", "ulf", "--redis", config[1]]) == 0
    capsys.readouterr()
    assert op(config, "status", "--operator", "ulf") == 0
    assert "paus (paused)" in capsys.readouterr().out


def test_login_without_device_is_a_one_line_error(config, capsys):
    assert op(config, "login", "--operator", "eva") == 2
    assert "--device: needed" in capsys.readouterr().err


def test_next_while_logged_out_names_the_state(config, capsys):
    op(config, "login", "--operator", "eva", "--device", "PJSIP/1000")
    op(config, "logout", "--operator", "eva")
    capsys.readouterr()
    assert op(config, "next", "--operator", "eva") == 2
    assert "agent 'eva' is logged_out: event AnswerNext" in capsys.readouterr().err


def test_next_prints_the_history_of_the_call_that_comes(config, capsys):
    """A call back from an unanswered transfer: the operator reads whom it tried."""
    from datetime import UTC, datetime

    from switchboard.context import Attempt, Outcome
    from switchboard.context_store import CallContextStore

    async def history() -> None:
        contexts = CallContextStore.from_url(config[1])
        try:
            now = datetime.now(UTC)
            await contexts.open_call("c9", "0705555555", now)
            await contexts.record_attempt("c9", Attempt("4712", now, Outcome.NO_ANSWER,
                                                        target_name="Björn Öberg", by="eva"))
        finally:
            await contexts.close()

    asyncio.run(history())
    _store_call(config[1], Call("c9", "operators", (), 8, enqueued_at=time.time(),
                                caller="0705555555", last_agent="eva"))
    op(config, "login", "--operator", "eva", "--device", "PJSIP/1000")
    capsys.readouterr()
    assert op(config, "next", "--operator", "eva") == 0
    out = capsys.readouterr().out
    assert "nästa samtal (next call): c9" in out
    assert "  Nummer (number): 0705555555" in out
    assert "Sökte (tried) Björn Öberg (4712)" in out

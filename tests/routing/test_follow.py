"""Agent changes made through the store (CLI, console) reach a following engine."""

from __future__ import annotations

import asyncio

import pytest

from routing import messages as m
from routing.engine import Engine
from routing.follow import engine_event, follow
from routing.model import AgentState, Call
from vaxel.cli import main

from .scripting import KC, offers, queue

pytestmark = pytest.mark.integration


def test_entries_the_engine_caused_are_not_fed_back():
    assert engine_event({"kind": "agent_state", "agent_id": "a", "cause": "OfferTimedOut",
                         "state": "paused"}) is None
    assert engine_event({"kind": "call_offered", "agent_id": "a", "call_id": "c"}) is None
    assert engine_event({"kind": "agent_state", "agent_id": "a", "cause": "AgentPaused",
                         "reason": "lunch"}) == m.AgentPaused("a", "lunch")


async def test_cli_login_reaches_the_engine_which_offers_a_waiting_call(store, redis_url,
                                                                       prefix):
    engine = Engine([queue()])
    engine.handle(m.CallEnqueued("c1", KC, ("topic:bygglov",)), 0)
    cli = ["--redis", redis_url, "--prefix", prefix]
    login = ["agent", "login", "anna", "--device", "PJSIP/1001", "--skill", "topic:bygglov=4",
             "--queue", KC, *cli]
    assert await asyncio.to_thread(main, login) == 0
    last, events = await follow(store, "0-0", block_ms=1000)
    assert events == [m.AgentLoggedIn("anna", "", "PJSIP/1001", {"topic:bygglov": 4},
                                      frozenset({KC}))]
    assert offers(engine.handle(events[0], 5)) == [("c1", "anna")]
    assert await asyncio.to_thread(main, ["agent", "logout", "anna", *cli]) == 0
    _, events = await follow(store, last, block_ms=1000)
    assert events == [m.AgentLoggedOut("anna")]
    engine.handle(events[0], 6)
    assert engine.agent("anna").state is AgentState.LOGGED_OUT


async def test_follow_with_nothing_new_returns_the_same_id_after_blocking(store):
    assert await store.last_event_id() == "0-0"
    assert await follow(store, "0-0", block_ms=50) == ("0-0", [])
    await store.enqueue(Call("c1", KC))
    last = await store.last_event_id()
    assert await follow(store, last, block_ms=50) == (last, [])

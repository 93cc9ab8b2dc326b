"""RoutingStore against a real redis-server: atomic claims, places, events, errors."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from routing.errors import (
    ClaimConflict,
    IllegalTransition,
    StoreUnavailable,
    UnknownAgent,
    UnknownCall,
)
from routing.model import Agent, AgentState, Call, CallState
from routing.store import RoutingStore
from routing.testing import redis_server

pytestmark = pytest.mark.integration

KC = "kontaktcenter"


def agent(agent_id: str, **skills: int) -> Agent:
    return Agent(agent_id, f"emp-{agent_id}", f"PJSIP/{agent_id}",
                 {k.replace("_", ":"): v for k, v in skills.items()}, frozenset({KC}))


def call(call_id: str, at: float, priority: int = 0) -> Call:
    return Call(call_id, KC, ("topic:bygglov",), priority, enqueued_at=at, caller="0701")


async def test_login_then_read_back_gives_an_available_agent_with_skills(store):
    await store.login(agent("a", topic_bygglov=4), now=100.0)
    got = await store.agent("a")
    assert (got.state, got.skills, got.idle_since, got.queues) == (
        AgentState.AVAILABLE, {"topic:bygglov": 4}, 100.0, frozenset({KC}))
    with pytest.raises(IllegalTransition, match="agent 'a' is available: event AgentLoggedIn"):
        await store.login(agent("a"), now=101.0)


async def test_queue_orders_by_priority_then_enqueue_time(store):
    await store.enqueue(call("late-urgent", 30.0, priority=5))
    await store.enqueue(call("early", 10.0))
    await store.enqueue(call("middle", 20.0))
    assert await store.waiting(KC) == ["late-urgent", "early", "middle"]


async def test_claim_offers_call_and_second_claim_of_either_side_conflicts(store):
    await store.login(agent("a"), 0)
    await store.login(agent("b"), 0)
    await store.enqueue(call("c1", 1))
    await store.enqueue(call("c2", 2))
    await store.claim("c1", "a", 3)
    assert ((await store.agent("a")).state, (await store.call("c1")).state) == (
        AgentState.OFFERED, CallState.OFFERED)
    assert await store.waiting(KC) == ["c2"]
    with pytest.raises(ClaimConflict, match="call is offered"):
        await store.claim("c1", "b", 3)
    with pytest.raises(ClaimConflict, match="agent is offered"):
        await store.claim("c2", "a", 3)


async def test_missed_offer_puts_call_back_at_its_place_and_pauses_after_max_misses(store):
    await store.login(agent("a"), 0)
    await store.enqueue(call("c1", 1))
    await store.enqueue(call("c2", 2))
    await store.claim("c1", "a", 3)
    assert await store.release("c1", "a", 18, event="OfferTimedOut", missed=True,
                               max_misses=2) is AgentState.AVAILABLE
    assert await store.waiting(KC) == ["c1", "c2"]
    await store.claim("c1", "a", 19)
    assert await store.release("c1", "a", 34, event="OfferTimedOut", missed=True,
                               max_misses=2) is AgentState.PAUSED
    got = await store.agent("a")
    assert (got.pause_reason, got.missed) == ("missed calls", 2)


async def test_answer_end_and_wrap_up_cycle_frees_the_agent(store):
    await store.login(agent("a"), 0)
    await store.enqueue(call("c1", 1))
    await store.claim("c1", "a", 2)
    await store.answer("c1", "a", 5)
    assert (await store.agent("a")).state is AgentState.ON_CALL
    assert await store.finish("c1", 65, "call_ended") is CallState.CONNECTED
    assert (await store.agent("a")).state is AgentState.WRAP_UP
    await store.end_wrap_up("a", 70)
    got = await store.agent("a")
    assert (got.state, got.idle_since, got.call_id) == (AgentState.AVAILABLE, 70.0, None)


async def test_abandoned_waiting_call_leaves_the_queue(store):
    await store.enqueue(call("c1", 1))
    assert await store.finish("c1", 5, "call_abandoned") is CallState.WAITING
    assert await store.waiting(KC) == []


async def test_pausing_an_offered_agent_returns_the_call_to_its_place(store):
    await store.login(agent("a"), 0)
    await store.enqueue(call("c1", 1))
    await store.claim("c1", "a", 2)
    await store.pause("a", "lunch", 3)
    got = await store.agent("a")
    assert (got.state, got.pause_reason, got.call_id) == (AgentState.PAUSED, "lunch", None)
    assert await store.waiting(KC) == ["c1"]
    with pytest.raises(IllegalTransition, match="agent 'a' is paused: event WrapUpEnded"):
        await store.end_wrap_up("a", 4)
    with pytest.raises(UnknownAgent):
        await store.pause("nobody", "x", 4)


async def test_every_change_is_appended_to_the_event_stream(store):
    await store.login(agent("a"), 0)
    await store.enqueue(call("c1", 1))
    await store.claim("c1", "a", 2)
    events = await store.events()
    assert [(f["kind"], f.get("state")) for _, f in events] == [
        ("agent_state", "available"), ("call_enqueued", "waiting"), ("call_offered", "offered")]
    assert await store.events(after=events[-1][0]) == []
    assert store.stream.endswith(":events")


async def test_two_concurrent_claimers_with_many_calls_never_double_assign(redis_url):
    """Two controllers race to claim 400 calls for 60 agents, every pair attempted by
    both; each call and each agent ends up claimed at most once."""
    prefix = f"race-{uuid.uuid4().hex[:8]}"
    setup, first, second = (RoutingStore.from_url(redis_url, prefix) for _ in range(3))
    agents = [agent(f"a{i}") for i in range(60)]
    calls = [call(f"c{i}", float(i)) for i in range(400)]
    for a in agents:
        await setup.login(a, 0)
    for c in calls:
        await setup.enqueue(c)
    pairs = [(c.id, agents[i % len(agents)].id) for i, c in enumerate(calls)]

    async def claimer(store: RoutingStore, order: list[tuple[str, str]]) -> list[tuple[str, str]]:
        won = []
        for start in range(0, len(order), 20):
            batch = order[start:start + 20]
            results = await store.claim_many(batch, 1.0)
            won += [p for p, r in zip(batch, results, strict=True) if r is None]
            await asyncio.sleep(0)
        return won

    won1, won2 = await asyncio.gather(claimer(first, pairs), claimer(second, pairs[::-1]))
    won = won1 + won2
    assert len({c for c, _ in won}) == len(won), "a call was given to two agents"
    assert len({a for _, a in won}) == len(won), "an agent was given two calls"
    assert len(won) == 60  # every agent got exactly one call
    for call_id, agent_id in won:
        assert (await setup.agent(agent_id)).call_id == call_id
    assert len(await setup.waiting(KC)) == 400 - 60
    for s in (setup, first, second):
        await s.close()


async def test_unreachable_redis_is_reported_as_store_unavailable_with_cause():
    s = RoutingStore.from_url("redis://127.0.0.1:1/0")
    with pytest.raises(StoreUnavailable) as info:
        await s.agent("a")
    assert info.value.__cause__ is not None
    await s.close()


async def test_refusals_name_the_entity_and_state_and_change_nothing(store):
    await store.login(agent("a"), 0)
    await store.login(agent("b"), 0)
    await store.enqueue(call("c1", 1))
    with pytest.raises(IllegalTransition, match="call 'c1' is waiting: event CallEnqueued"):
        await store.enqueue(call("c1", 2))
    with pytest.raises(ClaimConflict, match="agent is unknown") as info:
        await store.claim("c1", "ghost", 2)
    assert (info.value.side, info.value.state) == ("agent", "unknown")
    await store.claim("c1", "a", 3)
    with pytest.raises(IllegalTransition, match="call 'c1' is offered: event OfferTimedOut"):
        await store.release("c1", "b", 4, event="OfferTimedOut", missed=True, max_misses=1)
    with pytest.raises(UnknownCall):
        await store.finish("nope", 5, "call_abandoned")
    assert (await store.call("c1")).agent_id == "a"
    assert (await store.agent("b")).state is AgentState.AVAILABLE


async def test_redis_going_away_mid_run_is_store_unavailable(tmp_path):
    with redis_server(tmp_path) as url:
        s = RoutingStore.from_url(url)
        await s.login(agent("a"), 0)
    with pytest.raises(StoreUnavailable, match="redis agent_move failed"):
        await s.pause("a", "lunch", 1)
    await s.close()


def test_claim_conflict_keeps_the_one_phrase_reason_callers_match_on():
    conflict = ClaimConflict("c1", "a", "agent", "offered")
    assert (conflict.side, conflict.state, conflict.reason) == ("agent", "offered",
                                                                "agent is offered")

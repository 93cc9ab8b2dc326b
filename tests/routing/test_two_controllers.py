"""Two controllers, each with its own engine, share one Redis store: the store's atomic
claims arbitrate, refused claims are fed back (`ClaimFailed`), and 200 calls are
assigned, each exactly once, with no agent ever holding two calls."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque

import pytest

from routing import messages as m
from routing.engine import Engine
from routing.errors import ClaimConflict
from routing.model import Agent, Call
from routing.store import RoutingStore, claim_failed

from .scripting import KC, queue

pytestmark = pytest.mark.integration

NOW = 1000.0


async def controller(engine: Engine, store: RoutingStore, pending: deque,
                     won: list[str], busy: set[str], conflicts: list[str]) -> None:
    while pending:
        cmd = pending.popleft()
        if not isinstance(cmd, m.OfferCall):
            continue
        try:
            await store.claim(cmd.call_id, cmd.agent_id, NOW)
        except ClaimConflict as conflict:
            conflicts.append(conflict.side)
            pending += engine.handle(claim_failed(conflict), NOW)
            continue
        assert cmd.agent_id not in busy, f"{cmd.agent_id} got a second call"
        busy.add(cmd.agent_id)
        won.append(cmd.call_id)
        await asyncio.sleep(0)  # let the other controller run while "ringing"
        await store.answer(cmd.call_id, cmd.agent_id, NOW)
        pending += engine.handle(m.OfferAnswered(cmd.call_id, cmd.agent_id), NOW)
        await store.finish(cmd.call_id, NOW, "call_ended")
        busy.discard(cmd.agent_id)
        await store.end_wrap_up(cmd.agent_id, NOW)
        pending += engine.handle(m.CallEnded(cmd.call_id), NOW)


async def test_two_controllers_assign_200_calls_each_exactly_once(redis_url):
    prefix = f"duo-{uuid.uuid4().hex[:8]}"
    stores = [RoutingStore.from_url(redis_url, prefix) for _ in range(2)]
    engines = [Engine([queue()]) for _ in range(2)]
    pendings: list[deque] = [deque(), deque()]
    for i in range(20):
        agent = Agent(f"a{i:02d}", f"e{i}", f"Local/{i}", {"topic:bygglov": 1 + i % 5},
                      frozenset({KC}))
        await stores[0].login(agent, 0.0)
        for engine in engines:
            engine.handle(m.AgentLoggedIn(agent.id, agent.employee_id, agent.device,
                                          agent.skills, agent.queues), 0.0)
    for i in range(200):
        call = Call(f"c{i:03d}", KC, ("topic:bygglov",), i % 10, enqueued_at=float(i))
        await stores[0].enqueue(call)
        for engine, pending in zip(engines, pendings, strict=True):
            pending += engine.handle(m.CallEnqueued(call.id, KC, call.requirements,
                                                    call.priority, enqueued_at=call.enqueued_at),
                                     float(i))
    won: list[str] = []
    busy: set[str] = set()
    conflicts: list[str] = []
    await asyncio.gather(*(controller(e, s, p, won, busy, conflicts)
                           for e, s, p in zip(engines, stores, pendings, strict=True)))
    assert sorted(won) == [f"c{i:03d}" for i in range(200)]  # each call exactly once
    assert await stores[0].waiting(KC) == []
    assert "call" in conflicts and "agent" in conflicts  # the store really arbitrated
    for s in stores:
        await s.close()

"""ACD queues in the cluster: calls wait on both Asterisk instances and one router (in
whichever controller holds the lease) offers each on the instance its caller is on.

Faults with calls waiting: the router's controller killed with SIGKILL while callers are
in the IVR (SIPp through Kamailio) and others wait in the queue on both instances; the
Redis master killed and started again with calls waiting. Agents are simulated phones
that exist on both instances (``Local/<ext>@sim-phones``), as a phone registered with
both would be (docs/deploy.md). The issue's 50 + 50 calls.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import time
from typing import Any

import pytest

from cluster import stack
from cluster.load import collect, start_sipp
from cluster.processes import kill9
from infra.redis_url import redis_client
from routing.store import RoutingStore
from tests.cluster.conftest import console, controller_log, dialplan_steps, entry, needs_cluster
from tests.integration.acd import (
    check_no_double_assignment,
    direct_call,
    ivr_call_id,
    login,
    queued_call,
    set_talk,
    wait_for,
)
from tests.integration.test_acd_200 import LEASE_KEY, StreamReader, _later
from vaxel.testing.calls import Harness

pytestmark = [pytest.mark.integration, pytest.mark.serial, needs_cluster]

#: Callers in the IVR (SIPp) and callers waiting in the queue (both instances) at the kill.
IVR_CALLS = 50
QUEUED_CALLS = 50
#: Simulated agents (talk TALK_S seconds each): fewer than the callers' arrival needs, so
#: a queue builds before the kill.
AGENTS = 6
TALK_S = 2
#: The router is killed once AGENTS calls were answered and this many wait.
KILL_WAITING = 15
QUEUE = "kontaktcenter"
#: Two callers enqueued this close together may reach the router in either order.
SAME_TIME_S = 0.5


async def _harnesses(cluster: Any) -> list[Harness]:
    return [await Harness(a.ami_port, "vaxel-harness", cluster.harness_secret).connect()
            for a in cluster.plan.asterisks]


async def _agents(store: RoutingStore, harnesses: list[Harness]) -> None:
    for i in range(AGENTS):
        ext = str(3001 + i)
        for harness in harnesses:  # AstDB is each instance's own
            await set_talk(harness, ext, TALK_S)
        await login(store, f"agent{i}", ext, {"lang:sv": 1})


async def _router_controller(cluster: Any, store: RoutingStore) -> str:
    """The controller (process name) whose routing service holds the lease."""
    holder: list[str] = []

    async def leased() -> bool:
        value = await store._r.get(LEASE_KEY)
        holder[:] = [str(value)] if value else []
        return bool(value)

    await wait_for(leased, 30, "a controller to take the router lease")
    for ctl in cluster.plan.controllers:
        if f'"controller": "{holder[0]}"' in controller_log(cluster, ctl.name):
            return str(ctl.name)
    raise AssertionError(f"no controller log names the lease holder {holder[0]}")


async def _paused_agents(cluster: Any, store: RoutingStore, harnesses: list[Harness]) -> None:
    """A router leads, and the agents are logged in but paused (calls queue up)."""
    await _router_controller(cluster, store)
    await _agents(store, harnesses)
    for i in range(AGENTS):
        await store.pause(f"agent{i}", "test", time.time())


def _first_offers(entries: list[tuple[str, dict[str, str]]]) -> list[str]:
    seen: list[str] = []
    for _id, e in entries:
        if e.get("kind") == "call_offered" and e["call_id"] not in seen:
            seen.append(e["call_id"])
    return seen


def _check_places(entries: list[tuple[str, dict[str, str]]], ids: list[str]) -> None:
    """No call was first offered while one enqueued clearly before it had not been."""
    enqueued = {e["call_id"]: float(e["at"]) for _i, e in entries
                if e.get("kind") == "call_enqueued" and e["call_id"] in ids}
    offered: set[str] = set()
    for call in _first_offers(entries):
        if call not in enqueued:
            continue
        skipped = [a for a, at in enqueued.items()
                   if a not in offered and at < enqueued[call] - SAME_TIME_S]
        assert not skipped, f"{call} offered before {skipped}, enqueued earlier"
        offered.add(call)


def _agent_legs(cluster: Any, runtime: Any) -> dict[str, collections.Counter[str]]:
    """For each Asterisk: how many agent legs ran [vaxel-agent] for each call there."""
    return {a.name: collections.Counter(re.findall(r"Vaxel agent leg for ([\w.-]+)",
                                                   console(cluster, runtime, a.name)))
            for a in cluster.plan.asterisks}


async def test_given_the_router_killed_with_calls_in_ivr_and_queue_then_none_lost_or_offered_twice(
        acd_cluster, runtime, tmp_path):
    cluster = acd_cluster
    store = RoutingStore(redis_client(cluster.plan.redis_url()))
    harnesses = await _harnesses(cluster)
    try:
        router = await _router_controller(cluster, store)
        await _agents(store, harnesses)
        stream = StreamReader(store)
        ivr = start_sipp(entry(cluster), calls=IVR_CALLS, rate=8, hold_ms=10_000,
                         workdir=tmp_path / "ivr")
        placed: dict[str, str] = {}  # call id -> Asterisk it waits on
        killed_at, waiting_at_kill = "", []
        for i in range(QUEUED_CALLS):
            node = cluster.plan.asterisks[i % 2].name
            call = await direct_call(harnesses[i % 2], caller_id=f"07{i:08d}")
            placed[ivr_call_id(call)] = node
            await asyncio.sleep(0.1)
            if not killed_at and i % 4 == 3:
                await stream.read()
                waiting = await store.waiting(QUEUE)
                if len(stream.calls("call_answered")) >= AGENTS and len(waiting) >= KILL_WAITING:
                    kill9(cluster.pids[router])
                    await stream.read()
                    killed_at, waiting_at_kill = stream.after, await store.waiting(QUEUE)
        assert killed_at, "the queue never built up before the callers were all placed"
        ids = list(placed)

        async def all_over() -> bool:
            await stream.read()
            gone = stream.calls("call_ended") + stream.calls("call_abandoned") \
                + stream.calls("call_left_queue")
            return set(ids) <= set(gone)

        await wait_for(all_over, 120, f"all {QUEUED_CALLS} queued calls answered and ended")
        sipp = await asyncio.to_thread(collect, ivr, IVR_CALLS, tmp_path / "ivr")
        entries = stream.entries
        # Every waiting call answered once, none dropped, none offered twice.
        answered = check_no_double_assignment(entries)
        assert sorted(answered) == sorted(ids), f"never answered: {set(ids) - set(answered)}"
        assert set(answered.values()) == {1}
        dropped = stream.calls("call_abandoned") + stream.calls("call_left_queue")
        assert not [c for c in dropped if c in placed], f"dropped: {dropped}"
        offers = stream.calls("call_offered")
        assert [c for c in ids if offers[c] != 1] == [], {c: offers[c] for c in ids}
        # ... and on Asterisk: one agent leg per call, on the instance the caller is on.
        legs = _agent_legs(cluster, runtime)
        for call, node in placed.items():
            assert legs[node][call] == 1, (call, node, {n: legs[n][call] for n in legs})
            assert sum(legs[n][call] for n in legs) == 1, call
        # Places kept, across the take-over too.
        _check_places(entries, ids)
        assert waiting_at_kill and set(waiting_at_kill) <= {
            e["call_id"] for i, e in entries if e.get("kind") == "call_answered"
            and _later(i, killed_at)}
        assert str(await store._r.get(LEASE_KEY) or "") not in ("", "None")
        # Every IVR caller stayed until hanging up (nobody lost): with the IVR or the
        # operators' fallback (counted).
        assert sipp.lost == 0, sipp
        fallback = sum(dialplan_steps(console(cluster, runtime, a.name))["vaxel-fallback:UserEvent"]
                       for a in cluster.plan.asterisks)
        print(f"\n{IVR_CALLS} IVR + {QUEUED_CALLS} queued calls, router {router} killed with "
              f"{len(waiting_at_kill)} waiting; IVR lost {sipp.lost}, to the fallback "
              f"{fallback}; queued answered {len(answered)}, legs per instance "
              f"{ {n: sum(c.values()) for n, c in legs.items()} }")
    finally:
        for harness in harnesses:
            await harness.close()
        await store.close()


async def test_given_calls_waiting_when_the_redis_master_restarts_then_their_order_is_kept(
        acd_cluster, runtime):
    cluster = acd_cluster
    store = RoutingStore(redis_client(cluster.plan.redis_url()))
    harnesses = await _harnesses(cluster)
    try:
        await _paused_agents(cluster, store, harnesses)
        ids: list[str] = []

        async def all_waiting() -> bool:
            return len(await store.waiting(QUEUE)) == len(ids)

        for i in range(12):  # one after the other: each has its own place
            # The first two choose the contact center in the city's IVR (the hand-over
            # notes their Asterisk); the others are put in the holding context directly.
            place = queued_call if i < 2 else direct_call
            ids.append(ivr_call_id(await place(harnesses[i % 2], caller_id=f"07{i:08d}")))
            await wait_for(all_waiting, 30, f"call {i + 1} waiting")
        before = await store.waiting(QUEUE)
        assert before == ids
        await asyncio.sleep(1.5)  # appendfsync everysec: the last second reaches the disk
        kill9(cluster.pids["redis-1"])
        await asyncio.to_thread(stack.start_redis, cluster, 0)

        async def back() -> bool:
            try:
                return bool(await store._r.get(LEASE_KEY))
            except Exception:
                return False

        await wait_for(back, 60, "Redis back and a router holding the lease")
        assert await store.waiting(QUEUE) == before
        stream = StreamReader(store)
        for i in range(AGENTS):
            await store.unpause(f"agent{i}", time.time())

        async def all_answered() -> bool:
            await stream.read()
            return set(ids) <= set(stream.calls("call_answered"))

        await wait_for(all_answered, 90, "every waiting call answered")
        assert _first_offers([e for e in stream.entries if e[1].get("call_id") in ids]) == before
        assert set(check_no_double_assignment(stream.entries).values()) == {1}
        legs = _agent_legs(cluster, runtime)
        for i, call in enumerate(ids):  # each answered on the instance it waited on
            assert legs[cluster.plan.asterisks[i % 2].name][call] == 1, (call, legs)
    finally:
        for harness in harnesses:
            await harness.close()
        await store.close()


async def test_given_an_asterisk_killed_with_calls_waiting_then_the_others_are_served_no_miss(
        acd_cluster, runtime):
    """The dead box's waiting calls are parked (no agent rings for them, no miss), the
    other box's calls are answered; when the box is back, its lost calls are counted."""
    cluster = acd_cluster
    first, second = cluster.plan.asterisks
    store = RoutingStore(redis_client(cluster.plan.redis_url()))
    harnesses = await _harnesses(cluster)
    try:
        await _paused_agents(cluster, store, harnesses)
        placed = {ivr_call_id(await direct_call(harnesses[i % 2], caller_id=f"07{i:08d}")):
                  cluster.plan.asterisks[i % 2].name for i in range(8)}

        async def all_waiting() -> bool:
            return len(await store.waiting(QUEUE)) == len(placed)

        await wait_for(all_waiting, 60, "8 calls waiting")
        kill9(cluster.pids[second.name])
        stream = StreamReader(store)
        for i in range(AGENTS):
            await store.unpause(f"agent{i}", time.time())
        on_first = {c for c, node in placed.items() if node == first.name}
        on_second = set(placed) - on_first

        async def first_answered() -> bool:
            await stream.read()
            return on_first <= set(stream.calls("call_answered"))

        await wait_for(first_answered, 60, "the live box's calls answered")
        assert not on_second & set(stream.calls("call_answered"))
        agents = [await store.agent(f"agent{i}") for i in range(AGENTS)]
        assert all(a.missed == 0 and a.state.value != "paused" for a in agents), agents
        # The box comes back: the router's AMI link to it reconnects, and the calls it
        # died with are over (counted as abandoned), none left waiting.
        await asyncio.to_thread(stack.start_asterisk, cluster, runtime, second.name)

        async def counted() -> bool:
            await stream.read()
            return on_second <= set(stream.calls("call_abandoned"))

        await wait_for(counted, 60, "the dead box's calls counted")
        assert await store.waiting(QUEUE) == []
    finally:
        for harness in harnesses:
            with contextlib.suppress(Exception):
                await harness.close()
        await store.close()

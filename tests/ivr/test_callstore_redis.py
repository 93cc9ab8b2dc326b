"""The Redis call store under load: a sized blocking pool, and flow versions written once."""

from __future__ import annotations

import asyncio

import pytest

from infra.paths import repo_root
from ivr.callstore import CallStoreUnavailable, RedisCallStore
from ivr.interpreter import FlowRun
from ivr.registry import FlowRegistry
from vaxel.testing.services import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_url():
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def city():
    return FlowRegistry.from_folder(repo_root() / "dialplans").flows["city-main"]


async def test_given_more_concurrent_saves_than_connections_then_all_wait_and_succeed(
        redis_url, city):
    """redis-py's default pool raised MaxConnectionsError past its size; this one waits."""
    store = RedisCallStore.from_url(redis_url, max_connections=2, pool_timeout_s=5)
    try:
        runs = [FlowRun.new(city, {}, f"call-{i}", {}) for i in range(50)]
        await asyncio.gather(*(store.save(run.state) for run in runs))
        assert await store.client.dbsize() >= 50
        clients = (await store.client.info("clients"))["connected_clients"]
        assert clients <= 2
    finally:
        await store.close()


async def test_given_every_connection_busy_then_a_save_fails_after_the_pool_timeout(
        redis_url, city):
    store = RedisCallStore.from_url(redis_url, max_connections=1, pool_timeout_s=0.3)
    blocker = asyncio.create_task(store.client.blpop(["nothing"], timeout=3))
    await asyncio.sleep(0.1)
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(CallStoreUnavailable):
            await store.save(FlowRun.new(city, {}, "call-x", {}).state)
        assert 0.2 < loop.time() - started < 2.0
    finally:
        blocker.cancel()
        await asyncio.gather(blocker, return_exceptions=True)
        await store.close()


async def test_given_a_flow_saved_then_calls_on_it_do_not_write_it_again_within_the_window(
        redis_url, city):
    store = RedisCallStore.from_url(redis_url)
    try:
        await store.save_flow(city)
        assert await store.load_flow_source(city.version) == city.source_text
        await store.client.delete(f"vaxel:flow:{city.version}")
        await store.save_flow(city)       # the next call on the same version: no write
        assert await store.load_flow_source(city.version) is None
        store.flow_resave_s = 0           # the window has passed: written again
        await store.save_flow(city)
        assert await store.load_flow_source(city.version) == city.source_text
    finally:
        await store.close()

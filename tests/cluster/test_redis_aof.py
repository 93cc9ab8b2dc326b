"""Redis as the cluster runs it (AOF, appendfsync everysec): killed with calls waiting and
started again, it gives back every waiting call in its place and every callback request.

At the store level (RoutingStore, the routing service's own adapter) on the cluster's
rendered redis.conf: a crash loses at most the last second of writes (everysec), so the
test waits a second after the last write, as the docs say.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace

import pytest

from cluster.processes import Daemon, kill9, redis_ping, spawn, stop_pid
from cluster.render import redis_conf
from cluster.stack import new_plan, write_secret
from infra.redis_url import redis_client
from routing.model import Call
from routing.store import RoutingStore

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs Redis")]

PASSWORD = "aof-test-password-0123"


def _start(conf, port):  # type: ignore[no-untyped-def]
    return spawn(Daemon("redis", ("redis-server", str(conf)), conf.parent / "out.log",
                        lambda: redis_ping("127.0.0.1", port, PASSWORD)))


async def test_given_calls_waiting_when_redis_is_killed_and_restarted_then_order_and_callbacks_stay(
        tmp_path):
    plan = replace(new_plan(), redis_password=PASSWORD)
    port = plan.redis_ports[0]
    conf = tmp_path / "redis.conf"
    write_secret(conf, redis_conf(plan, 0, str(tmp_path)))
    pid = _start(conf, port)
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    try:
        store = RoutingStore(redis_client(url))
        for i in range(12):
            await store.enqueue(Call(f"c{i}", "kontaktcenter", priority=i % 3,
                                     enqueued_at=1000.0 + i, caller=f"07000000{i:02d}"))
        for i in (2, 5, 7):
            await store.request_callback(f"c{i}", now=1100.0)
        before = await store.waiting("kontaktcenter")
        await store.close()
        await asyncio.sleep(1.5)  # appendfsync everysec: the last second reaches the disk
        kill9(pid)
        pid = _start(conf, port)
        store = RoutingStore(redis_client(url))
        assert await store.waiting("kontaktcenter") == before
        assert len(before) == 12 and before[0] in {"c2", "c5", "c8", "c11"}  # priority 2 first
        flagged = {c for c in before if (await store.call(c)).callback_requested}
        assert flagged == {"c2", "c5", "c7"}
        await store.close()
    finally:
        stop_pid(pid)

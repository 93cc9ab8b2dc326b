"""Controller metrics and health: AGI latency observed per command through the wrapped
channel, calls in the IVR, states polled from a real Redis, `/metrics` in the Prometheus
format and `/healthz` naming the failing check (503), on a loopback port."""

from __future__ import annotations

import asyncio
import json

from reports.metrics import ControllerMetrics, MetricsServer
from reports.record_store import RecordStore
from routing.model import Agent
from routing.store import RoutingStore


class FakeChannel:
    """An AGI channel that answers every command after a little while."""

    env = "the env"

    async def command(self, name: str, *args: str) -> str:
        await asyncio.sleep(0.01)
        return "200 result=0"


async def get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.0\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def sample(m: ControllerMetrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


async def test_agi_commands_are_timed_and_sessions_counted() -> None:
    m = ControllerMetrics()
    channel = m.timed(FakeChannel())
    with m.in_ivr():
        assert sample(m, "vaxel_calls_in_ivr") == 1.0
        assert await channel.command("STREAM FILE", "welcome", "") == "200 result=0"
        await channel.command("get data", "x")
    assert sample(m, "vaxel_calls_in_ivr") == 0.0
    assert channel.env == "the env"
    assert sample(m, "vaxel_agi_command_seconds_count", command="STREAM") == 1.0
    assert sample(m, "vaxel_agi_command_seconds_count", command="GET") == 1.0
    assert (sample(m, "vaxel_agi_command_seconds_sum", command="STREAM") or 0) >= 0.009


async def test_poll_reads_waiting_calls_and_agent_states(store: RoutingStore) -> None:
    m = ControllerMetrics()
    await store.login(Agent("anna", "e1", "PJSIP/1", {}, frozenset({"kc"})), 1.0)
    await store.pause("anna", "lunch", 2.0)
    from routing.model import Call
    await store.enqueue(Call(id="m1", queue="kc", enqueued_at=3.0))
    task = asyncio.create_task(m.poll(store, ["kc"], every_s=0.05))
    await asyncio.sleep(0.2)
    task.cancel()
    assert sample(m, "vaxel_queue_waiting_calls", queue="kc") == 1.0
    assert sample(m, "vaxel_agents", state="paused") == 1.0
    assert sample(m, "vaxel_agents", state="available") == 0.0


async def test_metrics_and_healthz_over_http(store: RoutingStore, records: RecordStore) -> None:
    m = ControllerMetrics()
    m.reconnected("ami")
    ami_up = {"ok": True}

    async def ami() -> None:
        if not ami_up["ok"]:
            raise ConnectionError("not logged in to the Asterisk manager")

    async def redis() -> None:
        await store.client.ping()

    async def database() -> None:
        await asyncio.to_thread(records.ping)

    server = MetricsServer(m, {"ami": ami, "redis": redis, "database": database})
    await server.start()
    try:
        status, body = await get(server.port, "/metrics")
        assert status == 200 and b'vaxel_reconnects_total{service="ami"} 1.0' in body
        status, body = await get(server.port, "/healthz")
        assert status == 200
        assert json.loads(body) == {"ok": True, "checks": {"ami": "ok", "redis": "ok",
                                                           "database": "ok"}}
        ami_up["ok"] = False
        status, body = await get(server.port, "/healthz")
        assert status == 503
        assert json.loads(body)["checks"]["ami"] == (
            "failed: ConnectionError: not logged in to the Asterisk manager")
        assert (await get(server.port, "/nope"))[0] == 404
    finally:
        await server.close()

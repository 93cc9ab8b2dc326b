"""The console's Prometheus metrics on a real app (uvicorn) and a real Redis, scraped from
its own loopback endpoint: requests by route template and status with latency, refused
log-ins, WebSocket clients, events pushed, and the Redis link lost and regained."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families

from console.app import create_app
from console.auth import Role
from tests.console.support import PASSWORD, add_users, make_deps, served
from vaxel.console_cli import start_metrics
from vaxel.testing.services import free_port


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert reply.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(reply.text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def wait_for(port: int, name: str, at_least: float, timeout: float = 10.0,
                   **labels: str) -> dict:  # type: ignore[type-arg]
    for _ in range(int(timeout / 0.1)):
        samples = await scrape(port)
        if value(samples, name, **labels) >= at_least:
            return samples
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name}{labels} stayed below {at_least}: "
                         f"{value(samples, name, **labels)}")


async def test_requests_log_ins_websocket_and_redis_link_move_the_console_metrics(
        redis_server):  # type: ignore[no-untyped-def]
    deps = make_deps(redis_server.url)
    await add_users(deps, eva=Role.OPERATOR)
    token = await deps.users.create_token("board", Role.SUPERVISOR)
    app = create_app(deps)
    port = free_port()
    metrics = await start_metrics(app, deps, "127.0.0.1", port)
    try:
        async with served(deps, app) as base, httpx.AsyncClient(base_url=base) as client:
            assert (await client.post("/api/login", json={"name": "eva", "password": "fel"})
                    ).status_code == 401
            reply = await client.post("/api/login", json={"name": "eva", "password": PASSWORD})
            assert reply.status_code == 200
            assert (await client.get("/api/me")).status_code == 200
            assert (await client.get("/no/such/page")).status_code == 404
            samples = await scrape(port)
            assert value(samples, "vaxel_console_http_requests_total", route="/api/login",
                         method="POST", status="401") == 1
            assert value(samples, "vaxel_console_http_requests_total", route="/api/login",
                         method="POST", status="200") == 1
            assert value(samples, "vaxel_console_http_requests_total", route="/api/me",
                         method="GET", status="200") == 1
            assert value(samples, "vaxel_console_http_requests_total", route="unmatched",
                         method="GET", status="404") == 1
            assert value(samples, "vaxel_console_http_request_seconds_count",
                         route="/api/login") == 2
            assert value(samples, "vaxel_console_login_failures_total", status="401") == 1
            assert value(samples, "vaxel_console_websocket_clients") == 0

            url = base.replace("http", "ws") + f"/api/events?token={token}"
            async with websockets.connect(url) as ws:
                json.loads(await asyncio.wait_for(ws.recv(), 5))  # hello
                samples = await wait_for(port, "vaxel_console_events_pushed_total", 1,
                                         type="snapshot")
                assert value(samples, "vaxel_console_websocket_clients") == 1
                await wait_for(port, "vaxel_console_websocket_clients", 1)
                redis_port = redis_server.port
                redis_server.stop()
                samples = await wait_for(port, "vaxel_console_link_failures_total", 1,
                                         service="redis")
                assert value(samples, "vaxel_console_reconnects_total", service="redis") == 0
                async with httpx.AsyncClient() as probe:
                    health = await probe.get(f"http://127.0.0.1:{port}/healthz")
                assert health.status_code == 503 and "redis" in health.json()["checks"]
                redis_server.start(redis_port)
                await wait_for(port, "vaxel_console_reconnects_total", 1, service="redis")
            for _ in range(50):  # the socket's handler ends a moment after the close
                if value(await scrape(port), "vaxel_console_websocket_clients") == 0:
                    break
                await asyncio.sleep(0.1)
            assert value(await scrape(port), "vaxel_console_websocket_clients") == 0
    finally:
        await metrics.close()
        await deps.redis.aclose()

"""Prometheus metrics and health of a controller: ``/metrics`` and ``/healthz`` on loopback.

`ControllerMetrics` holds the metrics (its own registry, so two controllers in one test
process never share counters). The controller feeds it through three small hooks: a
session counted while it runs in the IVR (`in_ivr`), its AGI channel wrapped so every
command's latency is observed (`timed`), and a reconnect counted (`reconnected`). Waiting
calls per queue and agents per state are polled from the routing store (`poll`); fallbacks
are counted by the call recorder as records reach that outcome.

`MetricsServer` (the console's too, `console.metrics`) is a minimal HTTP/1.0 server on
asyncio (GET only): ``/metrics`` in the Prometheus text format, ``/healthz`` runs the
health checks (AMI logged in, Redis answers a PING, the database answers ``SELECT 1``; the
console checks Redis and AMI) and answers 200 with each check's result as JSON,
or 503 naming the failing ones.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Protocol

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = structlog.get_logger(__name__)

#: AGI command latency buckets (s): most commands take milliseconds, playbacks seconds.
AGI_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
#: Agent states shown even at zero (`routing.model.AgentState` values).
AGENT_STATES = ("available", "offered", "on_call", "wrap_up", "paused", "logged_out")
Check = Callable[[], Awaitable[None]]


class Exposes(Protocol):
    """Metrics that can print themselves (``ControllerMetrics``, the console's)."""

    def exposition(self) -> bytes: ...


class ControllerMetrics:
    """See the module docstring."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.calls_in_ivr = Gauge("vaxel_calls_in_ivr", "Calls in an IVR session now",
                                  registry=r)
        self.waiting = Gauge("vaxel_queue_waiting_calls", "Calls waiting per queue",
                             ["queue"], registry=r)
        self.agents = Gauge("vaxel_agents", "Logged-in agents per state", ["state"],
                            registry=r)
        self.agi_seconds = Histogram("vaxel_agi_command_seconds",
                                     "Latency of AGI commands (send to reply)", ["command"],
                                     buckets=AGI_BUCKETS, registry=r)
        self.reconnects = Counter("vaxel_reconnects", "Reconnects to AMI or Redis",
                                  ["service"], registry=r)
        self.fallbacks = Counter("vaxel_fallbacks", "Calls that fell back to the operators",
                                 registry=r)
        self._redis_down = False

    def __repr__(self) -> str:
        return f"<ControllerMetrics {self.calls_in_ivr._value.get():.0f} calls in IVR>"

    @contextmanager
    def in_ivr(self) -> Iterator[None]:
        self.calls_in_ivr.inc()
        try:
            yield
        finally:
            self.calls_in_ivr.dec()

    def timed(self, channel: Any) -> Any:
        """The channel, with each ``command`` timed into the AGI histogram."""
        return _TimedChannel(channel, self.agi_seconds)

    def reconnected(self, service: str) -> None:
        self.reconnects.labels(service).inc()

    def observe_state(self, waiting: Mapping[str, int], agents: Mapping[str, int]) -> None:
        for queue, n in waiting.items():
            self.waiting.labels(queue).set(n)
        for state in (*AGENT_STATES, *agents):
            self.agents.labels(state).set(agents.get(state, 0))

    async def poll(self, store: Any, queues: list[str], every_s: float = 5.0) -> None:
        """Until cancelled: waiting calls and agent states from the routing store; a Redis
        that comes back after failing counts as a reconnect."""
        from routing.errors import StoreUnavailable

        while True:
            try:
                waiting = {q: len(await store.waiting(q)) for q in queues}
                agents: dict[str, int] = {}
                for agent in await store.agents():
                    agents[agent.state.value] = agents.get(agent.state.value, 0) + 1
                self.observe_state(waiting, agents)
                if self._redis_down:
                    self.reconnected("redis")
                self._redis_down = False
            except StoreUnavailable as exc:
                if not self._redis_down:
                    log.warning("metrics.redis_down", error=str(exc))
                self._redis_down = True
            await asyncio.sleep(every_s)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _TimedChannel:
    def __init__(self, channel: Any, histogram: Histogram) -> None:
        self._channel = channel
        self._histogram = histogram

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)

    async def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await self._channel.command(name, *args, **kwargs)
        finally:
            self._histogram.labels(name.split(" ")[0].upper()).observe(
                time.perf_counter() - started)


class MetricsServer:
    """``/metrics`` and ``/healthz`` (see the module docstring)."""

    def __init__(self, metrics: Exposes, checks: Mapping[str, Check],
                 host: str = "127.0.0.1", port: int = 0, timeout_s: float = 2.0) -> None:
        self.metrics = metrics
        self.checks = dict(checks)
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def health(self) -> tuple[bool, dict[str, str]]:
        results: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                await asyncio.wait_for(check(), self.timeout_s)
                results[name] = "ok"
            except Exception as exc:  # any failure of a peer is a failed check, named
                results[name] = f"failed: {type(exc).__name__}: {exc}"[:300]
        return all(v == "ok" for v in results.values()), results

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with _closing(writer):
            try:
                request = await asyncio.wait_for(reader.readline(), self.timeout_s)
            except (TimeoutError, ConnectionError):
                return
            parts = request.decode("latin-1").split()
            path = parts[1] if len(parts) >= 2 and parts[0] == "GET" else ""
            if path == "/metrics":
                await _reply(writer, 200, CONTENT_TYPE_LATEST, self.metrics.exposition())
            elif path == "/healthz":
                ok, results = await self.health()
                await _reply(writer, 200 if ok else 503, "application/json",
                             json.dumps({"ok": ok, "checks": results}).encode())
            else:
                await _reply(writer, 404, "text/plain", b"not found: GET /metrics or /healthz\n")


@asynccontextmanager
async def _closing(writer: asyncio.StreamWriter) -> AsyncIterator[None]:
    try:
        yield
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass


async def _reply(writer: asyncio.StreamWriter, status: int, content_type: str,
                 body: bytes) -> None:
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    writer.write(f"HTTP/1.0 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()

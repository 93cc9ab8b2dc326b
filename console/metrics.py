"""Prometheus metrics of a console process, and the ASGI middleware that counts its requests.

`ConsoleMetrics` holds them in its own registry (two apps in one test process never share
counters): HTTP requests by route template, method and status, and their latency
(histogram by route); WebSocket clients connected now; events pushed to clients (one per
client and message, by the message's ``type``); AMI and Redis links lost and regained by
the hub; refused log-ins by status (401 wrong name or password, 429 throttled, 503 Redis
down). The route label is the route's template (``/api/operator/calls/{call_id}``), never
the raw path, so a scan of random paths adds one label (``unmatched``), not thousands.

They are served by `reports.metrics.MetricsServer` on a loopback port of its own
(``[reports] console_metrics_port``), never through the console's app: the TLS proxy in
front of the console must not publish them.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Request latency buckets (s): API calls take milliseconds; a page with a directory
#: search or a deploy can take a second.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
#: The route label of a request no route matched (404s, scans).
UNMATCHED = "unmatched"
LINKS = ("ami", "redis")


class ConsoleMetrics:
    """See the module docstring."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter("vaxel_console_http_requests", "HTTP requests answered",
                                ["route", "method", "status"], registry=r)
        self.request_seconds = Histogram("vaxel_console_http_request_seconds",
                                         "Time to answer an HTTP request", ["route"],
                                         buckets=HTTP_BUCKETS, registry=r)
        self.websocket_clients = Gauge("vaxel_console_websocket_clients",
                                       "WebSocket clients connected now", registry=r)
        self.events_pushed = Counter("vaxel_console_events_pushed",
                                     "Messages queued for WebSocket clients (per client)",
                                     ["type"], registry=r)
        self.link_failures = Counter("vaxel_console_link_failures",
                                     "AMI or Redis links the console lost", ["service"],
                                     registry=r)
        self.reconnects = Counter("vaxel_console_reconnects",
                                  "AMI or Redis links the console regained", ["service"],
                                  registry=r)
        self.login_failures = Counter("vaxel_console_login_failures",
                                      "Refused log-ins by HTTP status", ["status"], registry=r)
        for service in LINKS:  # shown at zero before anything happened
            self.link_failures.labels(service)
            self.reconnects.labels(service)

    def __repr__(self) -> str:
        return f"<ConsoleMetrics {self.websocket_clients._value.get():.0f} WebSocket clients>"

    def pushed(self, kind: str, clients: int) -> None:
        if clients:
            self.events_pushed.labels(kind).inc(clients)

    def link(self, service: str, up: bool, *, was_up_before: bool) -> None:
        """A link changed: down counts a failure; up again (not the first time) a reconnect."""
        if not up:
            self.link_failures.labels(service).inc()
        elif was_up_before:
            self.reconnects.labels(service).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: each HTTP request counted by route, method and status, and timed.
    A request that raises counts as 500. WebSockets pass through (the hub counts them)."""

    def __init__(self, app: Any, metrics: ConsoleMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = route_label(scope)
            self.metrics.requests.labels(route, scope.get("method", "?"), str(status)).inc()
            self.metrics.request_seconds.labels(route).observe(time.perf_counter() - started)


def route_label(scope: Any) -> str:
    """The template of the route that answered (FastAPI puts it in the scope on a match)."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return str(route.path)
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static"
    return UNMATCHED

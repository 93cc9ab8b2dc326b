"""Helpers for the console tests: dependencies on a real Redis (and optionally AMI), the
app served by uvicorn on a free loopback port, users and logged-in clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from console.app import UVICORN_OPTIONS, create_app
from console.auth import Role
from console.deps import ConsoleDeps, ConsoleSettings, redis_client
from console.outcomes import RedisOutcomeStore
from console.users import UserStore
from infra.paths import repo_root
from routing.desk import AgentDesk
from routing.model import QueueConfig
from routing.store import RoutingStore
from switchboard.context_store import CallContextStore
from switchboard.operator import Settings
from vaxel.testing.services import free_port

PASSWORD = "hemligt-lösen-1"
QUEUES = {"operators": QueueConfig("operators", wrap_up_s=1.0),
          "kontaktcenter": QueueConfig("kontaktcenter", wrap_up_s=30.0)}


def make_deps(redis_url: str, *, directory: Any = None, ami: Any = None,
              queues: Mapping[str, QueueConfig] = QUEUES, dialplans: Path | None = None,
              operator_settings: Settings | None = None, messages: Any = None) -> ConsoleDeps:
    client = redis_client(redis_url)
    routing = RoutingStore(client)
    return ConsoleDeps(
        redis=client, routing=routing, desk=AgentDesk(routing, queues),
        contexts=CallContextStore(client), users=UserStore(client),
        outcomes=RedisOutcomeStore(client), queues=queues,
        settings=ConsoleSettings(targets={"operators": 20.0, "kontaktcenter": 60.0},
                                 dialplans_dir=dialplans or repo_root() / "dialplans"),
        directory=directory, ami=ami, messages=messages,
        operator_settings=operator_settings or Settings())


async def add_users(deps: ConsoleDeps, **roles: Role) -> None:
    for name, role in roles.items():
        await deps.users.add_user(name, role, PASSWORD)


@contextlib.asynccontextmanager
async def served(deps: ConsoleDeps, app: Any = None) -> AsyncIterator[str]:
    """The console (``app``, or one made of ``deps``) on a free loopback port in this event
    loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app or create_app(deps), host="127.0.0.1", port=port,
                                           lifespan="on", **UVICORN_OPTIONS))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.025)
    assert server.started, "the console did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        _done, pending = await asyncio.wait([task], timeout=15)
        for late in pending:  # a stuck shutdown must not fail the test after its checks
            late.cancel()
        assert not pending, "the console did not stop within 15 s"


async def logged_in(base: str, name: str) -> httpx.AsyncClient:
    """A client holding a session cookie, sending the CSRF token on every request."""
    client = httpx.AsyncClient(base_url=base, timeout=20)
    reply = await client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    client.headers["X-CSRF-Token"] = reply.json()["csrf"]
    return client

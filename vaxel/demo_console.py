"""The web console of `vaxel demo`: demo users with fresh passwords, served on loopback.

Wiring only. The console listens on ``[console] port`` (8080) when that port is free,
else on a free port; the URL and the log-ins are printed (passwords are new each run).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

#: Demo users: name, role, phone (the demo's SIP accounts).
DEMO_USERS = (("eva", "operator", "PJSIP/1000"), ("anna", "agent", "PJSIP/1001"),
              ("sam", "supervisor", ""), ("admin", "admin", ""))


def _port(preferred: int) -> int:
    import socket

    from vaxel.testing.services import free_port

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            return free_port()
    return preferred


@contextlib.asynccontextmanager
async def demo_console(config: Any, say: Callable[[str], None]) -> AsyncIterator[str]:
    """Serve the console for the demo city until the block ends; yields its URL."""
    import uvicorn

    from console.app import UVICORN_OPTIONS, create_app
    from console.auth import Role
    from vaxel.console_cli import build_deps, connect_ami_forever

    deps = build_deps(config)
    logins = []
    for name, role, device in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        await deps.users.add_user(name, Role(role), password, device, replace=True)
        logins.append(f"  {name:<6} {role:<11} password {password}"
                      + (f"  (phone {device})" if device else ""))
    port = _port(config.console.port)
    server = uvicorn.Server(uvicorn.Config(create_app(deps), host="127.0.0.1", port=port,
                                           **UVICORN_OPTIONS))
    connecting = asyncio.create_task(connect_ami_forever(deps.ami))
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}/"
    say(f"console: {url}  (API docs {url}api/docs)")
    say("\n".join(["console log-ins:", *logins]))
    try:
        yield url
    finally:
        server.should_exit = True
        await asyncio.wait([serving], timeout=5)
        connecting.cancel()
        await deps.ami.close()
        await deps.redis.aclose()

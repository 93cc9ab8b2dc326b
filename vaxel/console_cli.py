"""`vaxel console`, `vaxel user add` and `vaxel token create`: wiring for the web console.

Builds ``console.deps.ConsoleDeps`` from the configuration (Redis, directory, AMI,
messages, queues) and serves ``console.app`` with uvicorn. The AMI link is connected in
the background and retried, so the console starts (and says "AMI down") when Asterisk is
not up yet. No logic here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from infra.config import Config, ConfigError, load_config
from infra.errors import UserError

#: Where `vaxel user add` reads a password from when not asked interactively.
PASSWORD_ENV = "VAXEL_USER_PASSWORD"


def register(subparsers: Any, name: str, help_text: str) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="TOML configuration (docs/vaxel.example.toml)")
    common.add_argument("--redis", help="Redis URL (default: configuration)")
    parser = subparsers.add_parser(name, help=help_text, description=help_text,
                                   parents=[common] if name == "console" else [])
    if name == "console":
        parser.add_argument("--host", help="listen address (default [console] host, 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port (default [console] port, 8080)")
        parser.set_defaults(func=_serve)
        return
    sub = parser.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")
    roles = ["operator", "agent", "supervisor", "admin"]
    if name == "user":
        p = sub.add_parser("add", help="add (or with --replace, change) a console user",
                           parents=[common])
        p.add_argument("name", help="the user name (also the agent id in the queues)")
        p.add_argument("--role", required=True, choices=roles, help="what the user may do")
        p.add_argument("--device", default="", help="the user's phone, e.g. PJSIP/1000")
        p.add_argument("--replace", action="store_true", help="overwrite an existing user")
        p.set_defaults(func=lambda a: _run(_user_add(a)))
        p = sub.add_parser("list", help="list console users", parents=[common])
        p.set_defaults(func=lambda a: _run(_user_list(a)))
    else:
        p = sub.add_parser("create", help="create an API token (printed once)",
                           parents=[common])
        p.add_argument("--role", required=True, choices=roles, help="what the token may do")
        p.add_argument("--name", default="script", help="who the token acts as (audit log)")
        p.set_defaults(func=lambda a: _run(_token_create(a)))


def _config(args: argparse.Namespace) -> Config:
    try:
        return load_config(args.config)
    except ConfigError as exc:
        raise UserError(str(exc)) from exc


def _run(coro: Any) -> int:
    from console.errors import ConsoleError

    try:
        return int(asyncio.run(coro))
    except ConsoleError as exc:
        raise UserError(exc.message) from exc


@contextlib.asynccontextmanager
async def _users(args: argparse.Namespace) -> AsyncIterator[Any]:
    from console.deps import redis_client
    from console.users import UserStore

    url = args.redis or _config(args).redis.url
    client = redis_client(url)
    try:
        yield UserStore(client)
    finally:
        await client.aclose()


async def _user_add(args: argparse.Namespace) -> int:
    from console.auth import parse_role

    password = os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {args.name}: ")
    async with _users(args) as users:
        user = await users.add_user(args.name, parse_role(args.role), password, args.device,
                                    replace=args.replace)
        await users.audit(getpass.getuser(), "user.add", name=user.name, role=user.role.value)
    phone = f", phone {user.device}" if user.device else ""
    print(f"user {user.name}: {user.role.value}{phone}")
    return 0


async def _user_list(args: argparse.Namespace) -> int:
    async with _users(args) as users:
        for user in await users.users():
            print(f"{user.name:<20} {user.role.value:<11} {user.device}")
    return 0


async def _token_create(args: argparse.Namespace) -> int:
    from console.auth import parse_role

    async with _users(args) as users:
        token = await users.create_token(args.name, parse_role(args.role))
        await users.audit(getpass.getuser(), "token.create", name=args.name, role=args.role)
    print(token)
    return 0


def build_deps(config: Config, redis_url: str | None = None) -> Any:
    """The console's dependencies from the configuration (AMI not yet connected)."""
    from console.deps import ConsoleDeps, ConsoleSettings, redis_client
    from console.outcomes import RedisOutcomeStore
    from console.users import UserStore
    from directory.api import Directory
    from infra.ami import AmiClient
    from routing.desk import AgentDesk
    from routing.store import RoutingStore
    from switchboard.agent_cli import queue_configs
    from switchboard.context_store import CallContextStore, DirectoryLookup
    from switchboard.message_store import MessageDesk, MessageStore, SmtpMailer

    client = redis_client(redis_url or config.redis.url)
    directory = Directory.open(config.directory_url)
    queues = queue_configs(config.queues)
    routing = RoutingStore(client)
    smtp = config.smtp
    operators = config.queues.get("operators")
    settings = ConsoleSettings(
        secure_cookies=config.console.secure_cookies,
        return_priority=operators.return_priority if operators else 8,
        targets={n: float(q.service_level_s) for n, q in config.queues.items()},
        dialplans_dir=config.dialplans_dir)
    ami = AmiClient(config.ami.host, config.ami.port, config.ami.username, config.ami.secret) \
        if config.ami.enabled else None
    return ConsoleDeps(
        redis=client, routing=routing, desk=AgentDesk(routing, queues),
        contexts=CallContextStore(client, DirectoryLookup(directory)), users=UserStore(client),
        outcomes=RedisOutcomeStore(client), queues=queues, settings=settings,
        directory=directory, ami=ami, mail_domain=smtp.mail_domain,
        messages=MessageDesk(MessageStore(client), SmtpMailer(smtp.host, smtp.port,
                                                              smtp.timeout_s), smtp.sender))


async def connect_ami_forever(ami: Any) -> None:
    """Connect the console's AMI link, retrying until Asterisk answers (the client's own
    watchdog reconnects after that)."""
    from infra.ami import AmiError

    delay = 0.5
    while True:
        try:
            await ami.connect()
            return
        except AmiError:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def start_metrics(app: Any, deps: Any, host: str, port: int) -> Any:
    """The console's ``/metrics`` and ``/healthz`` on ``host:port`` (0: none): Redis
    answers a PING, AMI is logged in (when configured)."""
    from reports.metrics import MetricsServer

    if not port:
        return None

    async def redis() -> None:
        await deps.redis.ping()

    async def ami() -> None:
        if not deps.ami.connected:
            raise ConnectionError("not logged in to the Asterisk manager")

    checks = {"redis": redis, **({"ami": ami} if deps.ami is not None else {})}
    server = MetricsServer(app.state.metrics, checks, host, port)
    await server.start()
    return server


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from console.app import UVICORN_OPTIONS, create_app

    config = _config(args)
    deps = build_deps(config, args.redis)
    app = create_app(deps)
    host, port = args.host or config.console.host, args.port or config.console.port
    print(f"console: http://{host}:{port}/  (API docs /api/docs)", flush=True)

    async def main() -> None:
        connecting = asyncio.create_task(connect_ami_forever(deps.ami)) if deps.ami else None
        metrics = await start_metrics(app, deps, config.reports.metrics_host,
                                      config.reports.console_metrics_port)
        server = uvicorn.Server(uvicorn.Config(
            app, host=host, port=port, **UVICORN_OPTIONS, proxy_headers=True,
            forwarded_allow_ips=config.console.forwarded_allow_ips,
            root_path=config.console.root_path))
        try:
            await server.serve()
        finally:
            if metrics is not None:
                await metrics.close()
            if connecting:
                connecting.cancel()
            if deps.ami:
                await deps.ami.close()
            await deps.redis.aclose()

    asyncio.run(main())
    return 0

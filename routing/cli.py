"""`vaxel agent login|logout|pause|unpause|status`: agents' state in the Redis store.

A thin adapter: it parses arguments, reads the clock once, calls `RoutingStore` and
prints. Operators read the output, so states are shown in Swedish with English.
Store refusals (wrong state, unknown agent, Redis down) become one-line user errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from routing.errors import ConfigError, RoutingError
from routing.model import Agent, AgentState, parse_skill
from routing.store import DEFAULT_PREFIX, RoutingStore

#: Environment variable with the Redis URL when --redis is not given.
REDIS_ENV = "VAXEL_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: Environment variable with the directory URL (reverse lookup of callers in ``status``).
DIRECTORY_ENV = "VAXEL_DIRECTORY_URL"

STATE_LABELS = {
    AgentState.LOGGED_OUT: "utloggad (logged out)",
    AgentState.AVAILABLE: "ledig (available)",
    AgentState.OFFERED: "ringer (offered)",
    AgentState.ON_CALL: "i samtal (on call)",
    AgentState.WRAP_UP: "efterarbete (wrap-up)",
    AgentState.PAUSED: "paus (paused)",
}


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--redis", default=None,
                        help=f"Redis URL (default ${REDIS_ENV} or {DEFAULT_REDIS_URL})")
    common.add_argument("--prefix", default=DEFAULT_PREFIX,
                        help=f"key prefix of the routing state (default {DEFAULT_PREFIX})")
    sub = parser.add_subparsers(dest="agent_command", required=True, metavar="ACTION")

    def action(action_name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(action_name, help=text, parents=[common])  # type: ignore[no-any-return]

    login = action("login", "log an agent in to queues with skills")
    login.add_argument("agent_id")
    login.add_argument("--device", required=True, help="dial string, e.g. PJSIP/1001")
    login.add_argument("--employee", default="", help="directory employee id")
    login.add_argument("--skill", action="append", default=[], metavar="KIND:VALUE[=LEVEL]",
                       help="a skill, e.g. topic:bygglov=4 (repeatable)")
    login.add_argument("--queue", action="append", required=True, help="queue (repeatable)")
    for action_name, text in (("logout", "log an agent out"), ("unpause", "end a pause")):
        action(action_name, text).add_argument("agent_id")
    pause = action("pause", "pause an agent")
    pause.add_argument("agent_id")
    pause.add_argument("--reason", default="paus", help="shown on the wallboard")
    status = action("status", "show agents and their state (one agent: and their call's history)")
    status.add_argument("agent_id", nargs="?")
    status.add_argument("--directory-url", default=None,
                        help=f"directory for the caller's reverse lookup (default ${DIRECTORY_ENV};"
                             " none: no lookup)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vaxel.cli import UserError

    url = args.redis or os.environ.get(REDIS_ENV) or DEFAULT_REDIS_URL
    action: Callable[[RoutingStore, argparse.Namespace, float], Awaitable[str]] = _ACTIONS[
        args.agent_command]
    try:
        output = asyncio.run(_with_store(url, args.prefix, action, args))
    except RoutingError as exc:
        raise UserError(str(exc)) from exc
    print(output)
    return 0


async def _with_store(url: str, prefix: str,
                      action: Callable[[RoutingStore, argparse.Namespace, float], Awaitable[str]],
                      args: argparse.Namespace) -> str:
    store = RoutingStore.from_url(url, prefix)
    try:
        return await action(store, args, time.time())
    finally:
        await store.close()


async def _login(store: RoutingStore, args: argparse.Namespace, now: float) -> str:
    skills = dict(parse_skill(text, f"--skill {text}") for text in args.skill)
    if not args.agent_id.strip():
        raise ConfigError("agent_id", "is empty")
    agent = Agent(args.agent_id, args.employee, args.device, skills, frozenset(args.queue))
    await store.login(agent, now)
    return f"{args.agent_id}: {STATE_LABELS[AgentState.AVAILABLE]}"


async def _logout(store: RoutingStore, args: argparse.Namespace, now: float) -> str:
    await store.logout(args.agent_id, now)
    return f"{args.agent_id}: {STATE_LABELS[AgentState.LOGGED_OUT]}"


async def _pause(store: RoutingStore, args: argparse.Namespace, now: float) -> str:
    await store.pause(args.agent_id, args.reason, now)
    return f"{args.agent_id}: {STATE_LABELS[AgentState.PAUSED]}: {args.reason}"


async def _unpause(store: RoutingStore, args: argparse.Namespace, now: float) -> str:
    await store.unpause(args.agent_id, now)
    return f"{args.agent_id}: {STATE_LABELS[AgentState.AVAILABLE]}"


async def _status(store: RoutingStore, args: argparse.Namespace, now: float) -> str:
    if not args.agent_id:
        return format_status(await store.agents(), now)
    from switchboard.agent_call import agent_call
    from switchboard.context_store import CallContextStore, CallerLookup, DirectoryLookup

    url = args.directory_url or os.environ.get(DIRECTORY_ENV)
    lookup: CallerLookup | None = None
    if url:
        from directory.api import Directory

        lookup = DirectoryLookup(await asyncio.to_thread(Directory.open, url))
    contexts = CallContextStore(store.client, lookup)
    found = await agent_call(store, contexts, args.agent_id)
    return "\n".join([format_status([found.agent], now), "", *found.lines()])


def format_status(agents: list[Agent], now: float) -> str:
    """A plain table: agent, state (Swedish and English), reason, call, idle, skills, queues."""
    head = ("agent", "tillstånd (state)", "orsak (reason)", "samtal (call)", "ledig s (idle)",
            "missade (missed)", "kompetens (skills)", "köer (queues)")
    rows = [head] + [(
        a.id, STATE_LABELS[a.state], a.pause_reason or "", a.call_id or "",
        str(int(now - a.idle_since)) if a.state is AgentState.AVAILABLE else "",
        str(a.missed), " ".join(f"{k}={v}" for k, v in sorted(a.skills.items())),
        " ".join(sorted(a.queues))) for a in agents]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    if len(rows) == 1:
        return "inga agenter (no agents)"
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


_ACTIONS: dict[str, Callable[[RoutingStore, argparse.Namespace, float], Awaitable[str]]] = {
    "login": _login, "logout": _logout, "pause": _pause, "unpause": _unpause,
    "status": _status,
}

"""`vaxel agent login|logout|pause|unpause|next|status`: agents' state in the Redis store.

A thin adapter over ``routing.desk.AgentDesk``: it parses arguments, calls the desk and
prints. ``vaxel operator`` registers the same actions (``add_desk_actions``) for the
operators, who are agents of the ``operators`` queue; only how the agent is named
differs (here a positional id, there ``--operator``). Operators read the output, so
states are shown in Swedish with English. Store refusals (wrong state, unknown agent,
Redis down) become one-line user errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from infra.output import add_json_option, json_text
from routing.desk import AgentDesk, NextCall
from routing.errors import RoutingError
from routing.model import Agent, AgentState, Call, QueueConfig, parse_skill
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

#: An action of the desk: (desk, agent id or None, parsed arguments) -> what to print.
DeskAction = Callable[[AgentDesk, "str | None", argparse.Namespace], Awaitable[str]]


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--redis", default=None,
                        help=f"Redis URL (default ${REDIS_ENV} or {DEFAULT_REDIS_URL})")
    common.add_argument("--prefix", default=DEFAULT_PREFIX,
                        help=f"key prefix of the routing state (default {DEFAULT_PREFIX})")
    common.add_argument("--config", type=Path, default=None,
                        help="TOML configuration: the queues' escalation steps (for next)")
    sub = parser.add_subparsers(dest="agent_command", required=True, metavar="ACTION")
    add_desk_actions(sub, common, agent_arg=True, default_queues=None)
    parser.set_defaults(func=run)


def add_desk_actions(sub: Any, common: argparse.ArgumentParser, *, agent_arg: bool,
                     default_queues: list[str] | None,
                     func: Callable[[argparse.Namespace], int] | None = None,
                     overrides: Mapping[str, DeskAction] | None = None) -> None:
    """Add login, logout, pause, unpause, next and status to ``sub``. With ``agent_arg``
    the agent is a positional argument (``vaxel agent pause anna``) and ``login`` has its
    own ``--device``; otherwise ``common`` has options naming the agent and their device.
    Each parser gets ``desk_action`` (``overrides`` may replace one) and ``func`` set."""

    def action(action_name: str, text: str, *, optional_id: bool = False
               ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(action_name, help=text, parents=[common])
        p.set_defaults(desk_action={**_ACTIONS, **(overrides or {})}[action_name])
        if func is not None:
            p.set_defaults(func=func)
        if agent_arg:
            every = " (default: every agent)" if optional_id else ""
            p.add_argument("agent_id", nargs="?" if optional_id else None,
                           help=f"the agent's id{every}")
        return p

    login = action("login", "log in to queues with skills")
    if agent_arg:
        login.add_argument("--device", required=True, help="dial string, e.g. PJSIP/1001")
    login.add_argument("--employee", default="", help="directory employee id")
    login.add_argument("--skill", action="append", default=[], metavar="KIND:VALUE[=LEVEL]",
                       help="a skill, e.g. topic:bygglov=4 or district:sodermalm=3 (repeatable)")
    login.add_argument("--queue", action="append", required=default_queues is None,
                       default=None, help="queue (repeatable)"
                       + (f"; default {' '.join(default_queues)}" if default_queues else ""))
    login.set_defaults(default_queues=default_queues or [])
    action("logout", "log out")
    action("unpause", "end a pause")
    action("pause", "pause").add_argument("--reason", default="paus",
                                          help="shown on the wallboard")
    action("next", "answer the next call: be available and see which call comes")
    status = action("status", "show agents and their state (one agent: and their call's history)",
                    optional_id=True)
    add_json_option(status)
    status.add_argument("--directory-url", default=None,
                        help=f"directory for the caller's reverse lookup (default ${DIRECTORY_ENV};"
                             " none: no lookup)")


def run(args: argparse.Namespace) -> int:
    url = args.redis or os.environ.get(REDIS_ENV) or DEFAULT_REDIS_URL
    print(run_desk_action(url, args.prefix, _queues_of(args.config), args.agent_id, args))
    return 0


def run_desk_action(url: str, prefix: str, queues: Mapping[str, QueueConfig],
                    agent_id: str | None, args: argparse.Namespace) -> str:
    """Run ``args.desk_action`` on a desk over the store at ``url``; refusals are UserError."""
    from infra.errors import UserError

    async def with_desk() -> str:
        store = RoutingStore.from_url(url, prefix)
        try:
            action: DeskAction = args.desk_action
            return await action(AgentDesk(store, queues), agent_id, args)
        finally:
            await store.close()

    try:
        return asyncio.run(with_desk())
    except RoutingError as exc:
        raise UserError(str(exc)) from exc


def _queues_of(path: Path | None) -> dict[str, QueueConfig]:
    if path is None:
        return {}
    from routing.control import load_config

    return queue_configs(load_config(path).queues)


def queue_configs(queues: Mapping[str, Any]) -> dict[str, QueueConfig]:
    """The engine's queue configs (escalation steps) from ``[queues.*]`` settings."""
    from routing.reception import queue_setups

    return {name: setup.config for name, setup in queue_setups(queues).items()}


def _need(agent_id: str | None) -> str:
    if not agent_id:
        from infra.errors import UserError

        raise UserError("name the agent")
    return agent_id


async def _login(desk: AgentDesk, agent_id: str | None, args: argparse.Namespace) -> str:
    skills = dict(parse_skill(text, f"--skill {text}") for text in args.skill)
    agent = await desk.login(_need(agent_id), args.device, queues=args.queue or args.default_queues,
                             skills=skills, employee_id=args.employee)
    return f"{agent.id}: {STATE_LABELS[agent.state]} ({' '.join(sorted(agent.queues))})"


async def _logout(desk: AgentDesk, agent_id: str | None, args: argparse.Namespace) -> str:
    agent = await desk.logout(_need(agent_id))
    return f"{agent.id}: {STATE_LABELS[agent.state]}"


async def _pause(desk: AgentDesk, agent_id: str | None, args: argparse.Namespace) -> str:
    agent = await desk.pause(_need(agent_id), args.reason)
    return f"{agent.id}: {STATE_LABELS[agent.state]}: {args.reason}"


async def _unpause(desk: AgentDesk, agent_id: str | None, args: argparse.Namespace) -> str:
    agent = await desk.unpause(_need(agent_id))
    return f"{agent.id}: {STATE_LABELS[agent.state]}"


async def _next(desk: AgentDesk, agent_id: str | None, args: argparse.Namespace) -> str:
    return format_next(await desk.next(_need(agent_id)), desk.clock())


async def _status(desk: AgentDesk, agent_id: str | None, args: argparse.Namespace) -> str:
    """Every agent as a table; one agent: their row and their current call's history."""
    if not agent_id:
        agents = await desk.status(None)
        if getattr(args, "json", False):
            return json_text({"agents": [agent_document(a, desk.clock()) for a in agents]})
        return format_status(agents, desk.clock())
    from switchboard.agent_call import agent_call
    from switchboard.context_store import CallContextStore, CallerLookup, DirectoryLookup

    url = getattr(args, "directory_url", None) or os.environ.get(DIRECTORY_ENV)
    lookup: CallerLookup | None = None
    if url:
        from directory.api import Directory

        lookup = DirectoryLookup(await asyncio.to_thread(Directory.open, url))
    contexts = CallContextStore(desk.store.client, lookup)
    found = await agent_call(desk.store, contexts, agent_id)
    if getattr(args, "json", False):
        return json_text({"agents": [agent_document(found.agent, desk.clock())],
                          "call_history": found.lines()})
    return "\n".join([format_status([found.agent], desk.clock()), "", *found.lines()])


def agent_document(a: Agent, now: float) -> dict[str, object]:
    """One agent for `status --json`: id, state, pause_reason, call_id, idle_s, missed,
    skills, queues."""
    return {"id": a.id, "state": a.state.value, "pause_reason": a.pause_reason or None,
            "call_id": a.call_id or None,
            "idle_s": int(now - a.idle_since) if a.state is AgentState.AVAILABLE else None,
            "missed": a.missed, "skills": dict(sorted(a.skills.items())),
            "queues": sorted(a.queues)}


def format_next(result: NextCall, now: float) -> str:
    """One line for the agent, one for the call that comes next (or that none waits)."""
    head = f"{result.agent.id}: {STATE_LABELS[result.agent.state]}"
    if result.call is None:
        return f"{head}\ninget samtal väntar (no call waiting)"
    return f"{head}\nnästa samtal (next call): {describe_call(result.call, now)}"


def describe_call(call: Call, now: float) -> str:
    requirements = " ".join(call.requirements) or "-"
    back = f", tillbaka från (back from) {call.last_agent}" if call.last_agent else ""
    return (f"{call.id} från (from) {call.caller or 'okänt (unknown)'}, kö (queue) "
            f"{call.queue}, väntat (waited) {max(0, int(now - call.enqueued_at))} s, "
            f"prioritet (priority) {call.priority}, kräver (requires) {requirements}{back}")


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


_ACTIONS: dict[str, DeskAction] = {
    "login": _login, "logout": _logout, "pause": _pause, "unpause": _unpause,
    "next": _next, "status": _status,
}

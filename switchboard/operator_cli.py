"""`vaxel operator ...`: the switchboard operator's actions from a terminal.

A thin adapter over ``switchboard``: it reads the configuration (``--config`` TOML and
``VAXEL_*`` environment, or ``--ami-*`` options), connects, performs one action and
prints what an operator reads (Swedish, with English). Calls are named by the caller's
channel (``PJSIP/trunk-00000012``) as the console shows it. Refusals (unknown target,
no such channel, AMI or Redis down, SMTP down) are one-line user errors; a message whose
e-mail failed is still recorded, and the command says so.

Operators are agents of the ``operators`` ACD queue: ``login``, ``logout``, ``pause``,
``unpause``, ``next`` (answer the next call) and ``status`` are ``vaxel agent``'s actions
(``switchboard.agent_cli.add_desk_actions``, the same store and rules) with the operator named by
``--operator`` and the phone by ``--device``; ``next`` also prints the history of the
call that comes next (its switchboard context), when it has one.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.output import add_json_option, json_text, print_json
from routing.desk import AgentDesk
from switchboard.agent_cli import add_desk_actions, agent_document, format_next, format_status
from switchboard.errors import SwitchboardError

ActionFn = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
#: The ACD queue whose agents the operators are (``[queues.operators]``).
OPERATORS_QUEUE = "operators"
#: The operator id when ``--operator`` is not given.
DEFAULT_OPERATOR = "operator"


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="TOML configuration (docs/vaxel.example.toml)")
    common.add_argument("--ami-host", help="AMI host (default: configuration)")
    common.add_argument("--ami-port", type=int, help="AMI port (default: configuration)")
    common.add_argument("--ami-user", help="AMI user (default: configuration)")
    common.add_argument("--ami-secret", help="AMI secret (better: VAXEL_AMI_SECRET)")
    common.add_argument("--operator", default=None,
                        help="your operator (agent) id: the history and the queue know you by it "
                             f"(default {DEFAULT_OPERATOR!r}; status: every operator)")
    common.add_argument("--device", default="", help="your phone's dial string, e.g. PJSIP/1000")
    common.add_argument("--ring", type=int, default=20, help="seconds a transfer target rings")
    common.add_argument("--redis", help="Redis URL (default: configuration)")
    sub = parser.add_subparsers(dest="operator_command", required=True, metavar="ACTION")
    add_desk_actions(sub, common, agent_arg=False, default_queues=[OPERATORS_QUEUE],
                     func=_as_agent, overrides={"next": _next_with_history,
                                                "status": _operators_status})

    def action(name: str, text: str, fn: ActionFn) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=text, parents=[common])
        p.set_defaults(func=lambda args: _run(fn, args))
        return p

    p = action("search", "search the directory", _search)
    p.add_argument("query", help="extension, name, unit or topic words")
    add_json_option(p)
    p = action("transfer", "transfer a call (supervised unless --blind)", _transfer)
    p.add_argument("channel", help="the caller's channel")
    p.add_argument("target", help="4711, unit:<id> or external:<number>")
    p.add_argument("--blind", action="store_true", help="unanswered goes to the operators' group")
    p = action("consult", "attended transfer: hold the caller, ring the target", _consult)
    p.add_argument("channel", help="the caller's channel")
    p.add_argument("target", help="4711, unit:<id> or external:<number>")
    for name, text, fn in (("complete", "connect the held caller to the target", _complete),
                           ("cancel", "end the consultation, back to the caller", _cancel)):
        action(name, text, fn).add_argument("operator_channel", help="as printed by consult")
    for name, text, fn in (("park", "park a call (returns to you if nobody picks up)", _park),
                           ("hold", "put a call on hold (music)", _hold),
                           ("unhold", "take a held call back to your phone", _unhold),
                           ("hangup", "hang up a channel", _hangup)):
        action(name, text, fn).add_argument("channel", help="the caller's channel")
    action("pickup", "pick up a parked call on your phone", _pickup).add_argument(
        "space", help="the parking space, e.g. 701")
    p = action("message", "write a message for an employee (stored and e-mailed)", _message)
    p.add_argument("extension", help="whose message it is: an extension")
    p.add_argument("--from-number", default="", help="the caller's number")
    p.add_argument("--text", default="", help="the message, as the caller said it")
    p.add_argument("--callback", action="store_true", help="the caller asks to be called back")
    p = action("messages", "list messages not yet delivered; --retry tries them now", _messages)
    p.add_argument("--retry", action="store_true", help="mail the pending ones again now")
    add_json_option(p)
    p = action("context", "show a call's history", _context)
    p.add_argument("call_id", help="the call's id (from status or next)")
    add_json_option(p)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def _run(fn: ActionFn, args: argparse.Namespace) -> int:
    from infra.ami import AmiError
    from infra.config import ConfigError
    from infra.errors import UserError

    try:
        return asyncio.run(fn(args))
    except (SwitchboardError, AmiError, ConfigError) as exc:
        raise UserError(str(exc)) from exc


def _config(args: argparse.Namespace) -> Any:
    from routing.control import load_config

    return load_config(args.config)


def _directory(config: Any) -> Any:
    from directory.api import Directory

    return Directory.open(config.directory_url)


async def _with_operator(args: argparse.Namespace, act: Callable[[Any], Awaitable[str]]) -> int:
    from infra.ami import AmiClient
    from switchboard.ami_operator import Operator
    from switchboard.operator import Settings

    config = _config(args)
    ami = AmiClient(args.ami_host or config.ami.host, args.ami_port or config.ami.port,
                    args.ami_user or config.ami.username, args.ami_secret or config.ami.secret)
    await ami.connect()
    try:
        operator = Operator(ami, operator_id=args.operator or DEFAULT_OPERATOR, device=args.device,
                            directory=_directory(config), settings=Settings(ring_s=args.ring))
        print(await act(operator))
    finally:
        await ami.close()
    return 0


def _needs_device(args: argparse.Namespace) -> None:
    from infra.errors import UserError

    if not args.device:
        raise UserError("--device: needed so the call can come back to your phone "
                        "(e.g. --device PJSIP/1000)")


async def _search(args: argparse.Namespace) -> int:
    config = _config(args)
    hits = await asyncio.to_thread(_directory(config).search, args.query, audience="operator")
    if args.json:
        from directory.cli_read import search_document

        directory = _directory(config)
        ids = {e.unit_id for h in hits if (e := h.employee) is not None and e.unit_id}
        names = {u.id: u.name for i in ids if (u := directory.unit(i)) is not None}
        print_json(search_document(args.query, hits, names))
        return 0
    for hit in hits:
        if hit.protected:
            print("skyddad uppgift (protected: no information can be given)")
        elif hit.employee is not None:
            e = hit.employee
            print(f"{e.extension or '-':>6}  {e.given_name} {e.family_name}  {e.title}")
        elif hit.unit is not None:
            print(f"{'unit:' + hit.unit.id:>6}  {hit.unit.name}")
    if not hits:
        print("inga träffar (no matches)")
    return 0


async def _transfer(args: argparse.Namespace) -> int:
    if not args.blind:
        _needs_device(args)

    async def act(op: Any) -> str:
        target = await op.transfer(args.channel, args.target, supervised=not args.blind)
        return f"kopplar till (transferring to) {target.label} ({target.dial})"
    return await _with_operator(args, act)


async def _consult(args: argparse.Namespace) -> int:
    _needs_device(args)

    async def act(op: Any) -> str:
        channel = await op.consult(args.channel, args.target)
        return f"rådfrågar (consulting); din kanal (your channel): {channel}"
    return await _with_operator(args, act)


def _simple(method: str, done: str, needs_device: bool = False) -> ActionFn:
    async def run(args: argparse.Namespace) -> int:
        if needs_device:
            _needs_device(args)
        value = getattr(args, "operator_channel", None) or getattr(args, "channel", None) \
            or args.space

        async def act(op: Any) -> str:
            result = await getattr(op, method)(value)
            return done.format(result=result, value=value)
        return await _with_operator(args, act)
    return run


_complete = _simple("complete", "kopplat (transfer completed)")
_cancel = _simple("cancel", "tillbaka till den som ringde (back to the caller)")
_park = _simple("park", "parkerat på plats (parked at space) {result}", needs_device=True)
_pickup = _simple("pickup", "hämtat (picked up) {value}", needs_device=True)
_hold = _simple("hold", "parkerat i kö med musik (on hold)", needs_device=True)
_unhold = _simple("unhold", "ringer din telefon (ringing your phone)", needs_device=True)
_hangup = _simple("hangup", "lagt på (hung up) {value}")


async def _desk(config: Any) -> Any:
    from switchboard.message_store import MessageDesk, MessageStore, SmtpMailer

    return MessageDesk(MessageStore.from_url(config.redis.url),
                       SmtpMailer(config.smtp.host, config.smtp.port), config.smtp.sender)


async def _message(args: argparse.Namespace) -> int:
    from switchboard import messages as m
    from switchboard.errors import TargetNotFound

    config = _config(args)
    employee = await asyncio.to_thread(_directory(config).employee_by_extension, args.extension)
    if employee is None:
        raise TargetNotFound("employee", args.extension, "no employee has this extension")
    recipient = m.employee_recipient(employee.id, employee.given_name, employee.family_name,
                                     config.smtp.mail_domain, employee.email)
    desk = await _desk(config)
    try:
        kind = m.Kind.CALLBACK if args.callback else m.Kind.MESSAGE
        msg = await desk.take(recipient, kind, args.from_number, args.text, datetime.now(UTC),
                              taken_by=args.operator or DEFAULT_OPERATOR)
    finally:
        await desk.store.close()
    if msg.sent_at is None:
        print(f"sparat, e-post misslyckades, försöker igen (saved; e-mail failed, will retry): "
              f"{msg.id}: {msg.last_error}")
        return 1
    print(f"skickat till (mailed to) {recipient.address}: {msg.id}")
    return 0


async def _messages(args: argparse.Namespace) -> int:
    desk = await _desk(_config(args))
    try:
        if args.retry:
            await desk.deliver_due(datetime.max.replace(tzinfo=UTC))
        pending = await desk.store.pending()
    finally:
        await desk.store.close()
    if args.json:
        print_json({"pending": [{
            "id": m.id, "created_at": m.created_at.isoformat(), "recipient_id":
            m.recipient.employee_id, "recipient": m.recipient.name, "kind": m.kind.value,
            "caller_number": m.caller_number or None, "text": m.text, "attempts": m.attempts,
            "last_error": m.last_error or None} for m in pending]})
        return 0
    for msg in pending:
        print(f"{msg.id}  {msg.created_at:%Y-%m-%d %H:%M}  {msg.recipient.name}  "
              f"{msg.kind.value}  {msg.caller_number or '-'}  försök (tries) {msg.attempts}: "
              f"{msg.last_error}")
    print(f"{len(pending)} ej levererade (not delivered)")
    return 0


async def _context(args: argparse.Namespace) -> int:
    from switchboard.context import describe
    from switchboard.context_store import CallContextStore, DirectoryLookup

    config = _config(args)
    store = CallContextStore.from_url(config.redis.url, DirectoryLookup(_directory(config)))
    try:
        ctx = await store.get(args.call_id)
    finally:
        await store.close()
    if ctx is None:
        raise SwitchboardError(f"call {args.call_id}: no context (unknown or expired)")
    if args.json:
        print_json({**ctx.to_dict(), "caller_names": list(ctx.caller_names),
                    "ivr_path": list(ctx.ivr_path),
                    "earlier_contacts": [{"call_id": c.call_id, "at": c.at.isoformat()}
                                         for c in ctx.earlier_contacts]})
        return 0
    print("\n".join(describe(ctx)))
    return 0


def _as_agent(args: argparse.Namespace) -> int:
    """login, logout, pause, unpause, next, status: the operator as an agent."""
    from infra.config import ConfigError
    from infra.errors import UserError
    from routing.store import DEFAULT_PREFIX
    from switchboard.agent_cli import queue_configs, run_desk_action

    if args.operator_command == "login":
        _needs_device(args)
    try:
        config = _config(args)
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    args.context_config = config
    named = args.operator or (None if args.operator_command == "status" else DEFAULT_OPERATOR)
    print(run_desk_action(args.redis or config.redis.url, DEFAULT_PREFIX,
                          queue_configs(config.queues), named, args))
    return 0


async def _operators_status(desk: AgentDesk, agent_id: str | None,
                            args: argparse.Namespace) -> str:
    """One operator, or every agent of the operators' queue."""
    agents = await desk.status(agent_id)
    if agent_id is None:
        agents = [a for a in agents if OPERATORS_QUEUE in a.queues]
    if getattr(args, "json", False):
        return json_text({"agents": [agent_document(a, desk.clock()) for a in agents]})
    return format_status(agents, desk.clock())


async def _next_with_history(desk: AgentDesk, agent_id: str | None,
                             args: argparse.Namespace) -> str:
    from switchboard.context import describe
    from switchboard.context_store import CallContextStore, DirectoryLookup

    result = await desk.next(agent_id or DEFAULT_OPERATOR)
    text = format_next(result, desk.clock())
    if result.call is None:
        return text
    config = args.context_config
    store = CallContextStore.from_url(args.redis or config.redis.url,
                                      DirectoryLookup(_directory(config)))
    try:
        ctx = await store.get(result.call.id)
    finally:
        await store.close()
    if ctx is None:
        return text
    return "\n".join([text, *(f"  {line}" for line in describe(ctx))])

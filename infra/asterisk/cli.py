"""`vaxel asterisk provision|render|start|stop|status`: thin CLI over the package.

Instance parameters are created on first use (fresh secrets, default ports,
overridden by options) and saved in the instance folder, so `stop` and
`status` find the instance by name and a later `start` keeps its secrets.
Every AsteriskError becomes a one-line UserError naming what to fix.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import structlog

from infra.asterisk.errors import AsteriskError
from infra.asterisk.instance import AsteriskInstance, load_instance
from infra.asterisk.params import new_params
from infra.asterisk.provision import AsteriskRuntime, provision
from infra.errors import UserError
from infra.output import add_json_option, print_json

#: Options that override saved instance params: (flag, field, type, help).
_OVERRIDES: tuple[tuple[str, str, type, str], ...] = (
    ("--ami-port", "ami_port", int, "AMI TCP port on 127.0.0.1"),
    ("--sip-port", "sip_port", int, "PJSIP UDP port on 127.0.0.1"),
    ("--rtp-start", "rtp_start", int, "first RTP port"),
    ("--rtp-end", "rtp_end", int, "last RTP port"),
    ("--fastagi-host", "fastagi_host", str, "host of the controller's FastAGI server"),
    ("--fastagi-port", "fastagi_port", int, "port of the controller's FastAGI server"),
    ("--fallback-dial", "fallback_dial", str, "dial string of the operators' fallback group"),
)


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    sub = parser.add_subparsers(dest="asterisk_command", required=True, metavar="ACTION")
    p = sub.add_parser("provision", help="find a system Asterisk or build the cached root")
    p.set_defaults(func=_guard(_provision))
    for action, func, text in (
        ("render", _render, "render an instance's config into its etc folder"),
        ("start", _start, "start an instance and wait until it is fully booted"),
    ):
        p = sub.add_parser(action, help=text)
        _add_name(p)
        for flag, field, kind, helptext in _OVERRIDES:
            p.add_argument(flag, dest=field, type=kind, help=helptext)
        p.add_argument("--test-mode", action="store_true", default=None,
                       help="add the test harness user and simulated phones")
        p.set_defaults(func=_guard(func))
    p = sub.add_parser("stop", help="stop an instance")
    _add_name(p)
    p.set_defaults(func=_guard(_stop))
    p = sub.add_parser("status", help="show whether instances run (all when no --name)")
    p.add_argument("--name", default=None, help="instance name")
    add_json_option(p)
    p.set_defaults(func=_guard(_status))


def _add_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default="default", help="instance name (default: default)")


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        _logs_to_stderr()
        try:
            return func(args)
        except AsteriskError as exc:
            raise UserError(str(exc)) from exc

    return run


def _logs_to_stderr() -> None:
    """Unless the wiring configured structlog, keep its lines off stdout (the command's output)."""
    if not structlog.is_configured():
        structlog.configure(logger_factory=lambda *_: structlog.PrintLogger(sys.stderr))


def _provision(_args: argparse.Namespace) -> int:
    runtime = provision(log=print)
    print(f"{runtime.version} ({'root ' + str(runtime.root) if runtime.root else 'system'})")
    return 0


def _instance(runtime: AsteriskRuntime, args: argparse.Namespace) -> AsteriskInstance:
    overrides = {f: getattr(args, f) for _, f, _, _ in _OVERRIDES if getattr(args, f, None)}
    if getattr(args, "test_mode", None):
        overrides["test_mode"] = True
    saved = load_instance(runtime, args.name)
    params = (dataclasses.replace(saved.params, **overrides) if saved
              else new_params(args.name, **overrides))
    return AsteriskInstance(runtime, params)


def _render(args: argparse.Namespace) -> int:
    instance = _instance(provision(), args)
    for path in instance.render():
        print(path)
    instance.save_params()
    return 0


def _start(args: argparse.Namespace) -> int:
    instance = _instance(provision(), args)
    instance.start()
    instance.save_params()
    p = instance.params
    print(f"{p.name}: running (pid {instance.status().pid}); AMI 127.0.0.1:{p.ami_port} "
          f"user {p.ami_user}, SIP 127.0.0.1:{p.sip_port}; config {instance.dir / 'etc'}; "
          f"secrets in {instance.dir / 'instance.json'}")
    return 0


def _existing(runtime: AsteriskRuntime, name: str) -> AsteriskInstance:
    instance = load_instance(runtime, name)
    if instance is None:
        raise UserError(f"no instance named {name!r} in {runtime.instances_dir}")
    return instance


def _stop(args: argparse.Namespace) -> int:
    instance = _existing(provision(), args.name)
    print(f"{args.name}: {'stopped' if instance.stop() else 'was not running'}")
    return 0


def _status(args: argparse.Namespace) -> int:
    runtime = provision()
    if args.name is not None:
        instances = [_existing(runtime, args.name)]
    else:
        names = sorted(p.name for p in runtime.instances_dir.glob("*") if p.is_dir())
        instances = [i for i in (load_instance(runtime, n) for n in names) if i is not None]
    found = [instance.status() for instance in instances]
    if args.json:
        print_json({"instances_dir": str(runtime.instances_dir), "instances": [
            {"name": s.name, "running": s.running, "pid": s.pid, "detail": s.detail}
            for s in found]})
        return 0
    for state in found:
        print(state)
    if not found:
        print(f"no instances in {runtime.instances_dir}")
    return 0

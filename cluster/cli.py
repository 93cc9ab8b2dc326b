"""`vaxel cluster up|down|status`: the multi-machine topology on one machine (loopback).

``up`` returns once every process answers and prints where each listens; the processes
keep running until ``down``. The state (ports, pids, generated secrets) is kept with
mode 0600 in ``<cache>/cluster/<name>/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cluster import stack
from cluster.processes import ProcessFailed
from infra.errors import UserError
from infra.paths import cache_dir


def register(sub: Any, name: str, help_text: str) -> None:
    parser = sub.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    actions = parser.add_subparsers(dest="cluster_command", required=True, metavar="ACTION")
    for action, func, text in (("up", cmd_up, "start the whole cluster on loopback"),
                               ("down", cmd_down, "stop every process of the cluster"),
                               ("status", cmd_status, "which processes run and answer")):
        p = actions.add_parser(action, help=text)
        p.add_argument("--name", default="demo", help="cluster name (default: demo)")
        p.add_argument("--folder", type=Path, default=None,
                       help="state folder (default: <cache>/cluster/<name>)")
        p.set_defaults(func=func)
        if action == "up":
            p.add_argument("--dialplans", type=Path, default=None,
                           help="flow folder for the controllers (default: dialplans/)")
            p.add_argument("--clock", choices=("open", "now"), default="open",
                           help="the controllers' clock: open (a weekday 10:00, default) "
                                "or now (the real time)")


def _folder(args: argparse.Namespace) -> Path:
    folder: Path = args.folder or cache_dir() / "cluster" / args.name
    return folder


def cmd_up(args: argparse.Namespace) -> int:
    from infra.asterisk.provision import provision

    try:
        state = stack.up(_folder(args), args.name, provision(), args.dialplans,
                         clock=args.clock)
    except ProcessFailed as exc:
        raise UserError(f"cluster {args.name}: {exc}") from exc
    print(f"cluster {args.name} up: call the city at sip:4000@{state.plan.bind}:"
          f"{state.plan.kamailio_port}; `vaxel cluster down --name {args.name}` stops it")
    print(f"console: http://{state.plan.bind}:{state.plan.console_port}/ user admin, password "
          f"{state.console_password} (also in {state.folder / stack.STATE_FILE}, mode 0600)")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from infra.asterisk.provision import provision

    state = stack.load_state(_folder(args))
    if state is None:
        raise UserError(f"no cluster {args.name!r} in {_folder(args)}")
    for line in stack.down(state, provision()):
        print(line)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = stack.load_state(_folder(args))
    if state is None:
        raise UserError(f"no cluster {args.name!r} in {_folder(args)}")
    lines = stack.status(state)
    for line in lines:
        print(line)
    return 0 if all(" up" in line for line in lines) else 1

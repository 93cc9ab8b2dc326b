"""The `vaxel` command line: one entry point, one sub-command group per part.

Each group lives in the package it drives and exposes ``register(subparsers)``;
this module only wires them, so that `vaxel directory ...`, `vaxel agent ...`,
`vaxel operator ...` and `vaxel dialplan ...` stay stable names people script against.
Errors that are the user's (bad config, bad input) are printed as one clear line
and exit with status 2; nothing else is caught here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import structlog

from infra import logs
from infra.errors import UserError

#: (command, module that provides ``register(subparsers)``, one-line help)
COMMAND_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("serve", "vaxel.serve_cli", "run the controller (FastAGI + AMI)"),
    ("demo", "vaxel.demo", "run the switchboard on loopback and place a demo call"),
    ("asterisk", "infra.asterisk.cli", "provision, render, start, stop Asterisk instances"),
    ("prompts", "ivr.prompts_cli", "synthesise prompts into sound files"),
    ("directory", "directory.cli", "import, sync, search and edit the directory"),
    ("agent", "switchboard.agent_cli", "agent login, logout, pause and status"),
    ("operator", "switchboard.operator_cli", "switchboard operator actions"),
    ("stats", "reports.stats_cli", "service level, waits and handle times per queue and district"),
    ("costs", "reports.costs_cli", "what each district's calls cost, against before the merge"),
    ("report", "reports.report_cli", "the monthly statement per district from the call records"),
    ("staffing", "reports.staffing_cli", "agents needed per hour (Erlang C) and those logged in"),
    ("gdpr", "reports.gdpr_cli", "retention of call records: purge, export one caller"),
    ("dialplan", "ivr.dialplan_cli", "check, simulate, draw and deploy IVR flows"),
    ("console", "vaxel.console_cli", "serve the web console (operators, agents, wallboard)"),
    ("user", "vaxel.console_cli", "console users: add, list"),
    ("token", "vaxel.console_cli", "console API tokens: create"),
    ("cluster", "cluster.cli", "Kamailio, 2 Asterisks, 2 controllers, Redis+Sentinel, PostgreSQL"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaxel", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name, help_text in COMMAND_GROUPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            continue  # part not built yet: the command is simply absent
        module.register(sub, name, help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not structlog.is_configured():
        # Log lines go to stderr, never between a command's output on stdout (a command
        # such as `serve` configures its own format from the configuration).
        logs.configure()
    try:
        rc = args.func(args)
    except UserError as exc:
        print(f"vaxel: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())

"""`vaxel costs`: what each district's calls cost in a period, against its old switchboard.

Reads the routing event stream as `vaxel stats` does (`reports/stats_cli.py`), prices it
with the configuration's ``[costs]`` and the queues' wrap-up (`reports/costs.py` states
every definition), and prints a table, JSON (``--json``, money in öre) or CSV for finance
(``--csv``, SEK). The period's length in days is counted on the city's wall clock, so a
month from the 1st to the 1st is whole days across a daylight-saving change.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from fractions import Fraction
from typing import Any

from reports.costs import cost_report, render, to_csv
from reports.stats_cli import add_report_options, load, period, read_entries
from switchboard.context import CITY_ZONE


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    add_report_options(parser, "TOML configuration ([costs] prices and baseline, the "
                               "queues' wrap_up_s); required")
    parser.add_argument("--csv", action="store_true", help="print CSV for finance (SEK)")
    parser.set_defaults(func=run)


def wall_days(start: float, end: float) -> Fraction:
    """Days from ``start`` to ``end`` (epoch seconds) on the city's wall clock."""
    a = datetime.fromtimestamp(start, CITY_ZONE).replace(tzinfo=None)
    b = datetime.fromtimestamp(end, CITY_ZONE).replace(tzinfo=None)
    delta = b - a
    return Fraction(delta.days) + Fraction(delta.seconds * 10**6 + delta.microseconds,
                                           86400 * 10**6)


def first_enqueued(entries: list[dict[str, str]]) -> float | None:
    """Enqueue time of the first call in the entries (the start of ``--since all``)."""
    for e in entries:
        if e.get("kind") == "call_enqueued" and e.get("call_id"):
            try:
                return float(e.get("at", ""))
            except ValueError:
                continue
    return None


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, CITY_ZONE).strftime("%Y-%m-%d %H:%M")


def run(args: argparse.Namespace) -> int:
    from infra.errors import UserError

    if args.json and args.csv:
        raise UserError("--json and --csv: choose one")
    if args.config is None:
        raise UserError("--config: vaxel costs needs the prices ([costs] in the configuration)")
    since, until = period(args)
    config = load(args.config)
    assert config is not None
    if config.costs.agent_hour_sek == 0 and config.costs.per_call_sek == 0:
        raise UserError(f"{args.config}: costs.agent_hour_sek and costs.per_call_sek are both "
                        f"0: nothing to price")
    end = until if until is not None else time.time()
    entries = read_entries(args, since)
    start = since if since is not None else first_enqueued(entries)
    start = end if start is None or start > end else start
    wrap_up = {name: q.wrap_up_s for name, q in config.queues.items()}
    try:
        report = cost_report(entries, config.costs, wrap_up, days=wall_days(start, end),
                             since=since, until=end)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif args.csv:
        print(to_csv(report), end="")
    else:
        print(render(report, f"{_stamp(start)} - {_stamp(end)}"), end="")
    return 0

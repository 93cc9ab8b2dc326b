"""`vaxel staffing --queue Q --date D`: agents needed per hour by Erlang C from the recorded
calls, beside the agents who were logged in (`reports/staffing.py` defines the columns).

The records come from the database (as `vaxel report`), the logins from the ACD's event
stream in Redis (``--redis``); when Redis cannot be read, the logged-in column is left out
with a note, the rest is still printed."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime, time
from typing import Any

from reports.report_cli import add_source_options, open_sources


def register(subparsers: Any, name: str, help_text: str) -> None:
    from routing.store import DEFAULT_PREFIX

    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    parser.add_argument("--queue", required=True, help="the ACD queue (kontaktcenter)")
    parser.add_argument("--date", required=True, help="the day, YYYY-MM-DD")
    parser.add_argument("--redis", default=None, help="Redis URL of the ACD's event stream")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="routing key prefix")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_source_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from infra.errors import UserError
    from reports.kpis import CITY_ZONE, service_of, target_of
    from reports.staffing import STAFF_COLUMNS, StaffRow, render, staffing

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise UserError(f"--date: expected YYYY-MM-DD, got {args.date!r}") from None
    start = datetime.combine(day, time(0), CITY_ZONE).timestamp()
    config, store = open_sources(args)
    try:
        rows = [StaffRow(*r) for r in store.rows_between(start, start + 24 * 3600,
                                                         STAFF_COLUMNS, queue=args.queue)]
    finally:
        store.close()
    if not rows:
        raise UserError(f"queue {args.queue!r}: no call records on {day}")
    settings = config.reports
    target_s = target_of(service_of(args.queue, settings), settings)
    queue = config.queues.get(args.queue)
    try:
        hours = staffing(rows, start, target_s=target_s,
                         target_share=settings.service_level_pct / 100,
                         wrap_up_s=queue.wrap_up_s if queue else 10,
                         short_abandon_s=settings.short_abandon_s,
                         logged_in=_logged_in(args, start))
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps([h.as_dict() for h in hours], indent=2))
    else:
        print(render(hours, args.queue, str(day),
                     f"{settings.service_level_pct} % / {target_s:.0f} s"), end="")
    return 0


def _logged_in(args: argparse.Namespace, start: float) -> dict[int, float] | None:
    import asyncio

    from reports.staffing import logged_in_per_hour
    from reports.stats_cli import collect
    from routing.errors import RoutingError
    from switchboard.agent_cli import DEFAULT_REDIS_URL, REDIS_ENV
    url = args.redis or os.environ.get(REDIS_ENV) or DEFAULT_REDIS_URL
    try:
        # Logins before the day count too: read the whole stream (it is trimmed).
        entries = asyncio.run(collect(url, args.prefix, None))
    except RoutingError as exc:
        print(f"vaxel: note: logged-in agents left out: {exc}", file=sys.stderr)
        return None
    return logged_in_per_hour(entries, args.queue, start)

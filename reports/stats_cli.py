"""`vaxel stats`: service level, waits and handle times per queue, district and topic.

Reads the routing event stream (`reports/stats.py` says what each figure means) from
Redis; the queues' service-level targets come from the controller's configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reports.stats import DEFAULT_TARGET_S, render, summarise
from routing.errors import RoutingError
from routing.store import DEFAULT_PREFIX, RoutingStore
from switchboard.agent_cli import DEFAULT_REDIS_URL, REDIS_ENV
from switchboard.context import CITY_ZONE

if TYPE_CHECKING:
    from infra.config import Config

#: Stream entries read per round trip.
BATCH = 5000


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    add_report_options(parser, "TOML configuration (service-level targets)")
    parser.set_defaults(func=run)


def add_report_options(parser: argparse.ArgumentParser, config_help: str) -> None:
    """The options every report of the event stream takes (`vaxel stats`, `vaxel costs`)."""
    parser.add_argument("--redis", default=None,
                        help=f"Redis URL (default ${REDIS_ENV} or {DEFAULT_REDIS_URL})")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="routing key prefix")
    parser.add_argument("--config", type=Path, help=config_help)
    parser.add_argument("--since", default="today",
                        help="first day or time, ISO (2026-11-26 or 2026-11-26T08:00), "
                             "'today' (default), 'month' (this month) or 'all'")
    parser.add_argument("--until", default="", help="end (exclusive), ISO; default: now")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def parse_when(text: str, option: str, today: date) -> float | None:
    """``today``, ``month``, ``all``, an ISO date or date-time (city time zone) -> epoch
    seconds (None for no bound)."""
    from infra.errors import UserError

    if text in ("", "all"):
        return None
    if text == "today":
        return datetime.combine(today, time(0), CITY_ZONE).timestamp()
    if text == "month":
        return datetime.combine(today.replace(day=1), time(0), CITY_ZONE).timestamp()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), CITY_ZONE).timestamp()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option}: not a date or time: {text!r} (use 2026-11-26 or "
                        f"2026-11-26T08:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CITY_ZONE)
    return moment.timestamp()


def period(args: argparse.Namespace) -> tuple[float | None, float | None]:
    """``--since`` and ``--until`` as epoch seconds (None: no bound); a bad one is a UserError."""
    from infra.errors import UserError

    today = datetime.now(CITY_ZONE).date()
    since = parse_when(args.since, "--since", today)
    until = parse_when(args.until, "--until", today)
    if since is not None and until is not None and until <= since:
        raise UserError(f"--until {args.until} is not after --since {args.since}")
    return since, until


def run(args: argparse.Namespace) -> int:
    from infra.errors import UserError

    since, until = period(args)
    targets = _targets(load(args.config))
    entries = read_entries(args, since)
    try:
        report = summarise(entries, {**{q: DEFAULT_TARGET_S for q in targets}, **targets},
                           since=since, until=until)
    except ValueError as exc:  # a stream entry the store did not write
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(render(report), end="")
    return 0


def load(path: Path | None) -> Config | None:
    """The checked configuration at ``--config``; its errors are the user's."""
    from infra.config import ConfigError
    from infra.errors import UserError
    from routing.control import load_config

    if path is None:
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UserError(str(exc)) from exc


def _targets(config: Config | None) -> dict[str, float]:
    if config is None:
        return {}
    return {name: float(q.service_level_s) for name, q in config.queues.items()}


def read_entries(args: argparse.Namespace, since: float | None) -> list[dict[str, str]]:
    """The stream's entries from a little before ``since`` (all without it), from the Redis
    of ``--redis`` (or the environment) under ``--prefix``."""
    from infra.errors import UserError

    url = args.redis or os.environ.get(REDIS_ENV) or DEFAULT_REDIS_URL
    try:
        return asyncio.run(collect(url, args.prefix, since))
    except RoutingError as exc:
        raise UserError(str(exc)) from exc


async def collect(url: str, prefix: str, since: float | None) -> list[dict[str, str]]:
    """Read the stream (in batches) from a little before ``since``."""
    store = RoutingStore.from_url(url, prefix)
    try:
        entries: list[dict[str, str]] = []
        after = "0-0"
        if since is not None:
            # Stream ids are milliseconds: start a margin before `since` (enqueue times are
            # the controller's clock, ids Redis's), the summaries filter exactly.
            after = f"{int((since - 60) * 1000)}-0" if since > 60 else "0-0"
        while True:
            rows = await store.events(after, count=BATCH)
            if not rows:
                break
            entries.extend(fields for _id, fields in rows)
            after = rows[-1][0]
    finally:
        await store.close()
    return entries

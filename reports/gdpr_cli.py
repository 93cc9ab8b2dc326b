"""`vaxel gdpr purge` and `vaxel gdpr export --number N`: retention of the call records
(`reports/gdpr.py`) and of what Redis and the message spool keep (`reports/gdpr_redis.py`).
``purge`` also runs daily in every controller that records calls."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from dataclasses import asdict
from typing import Any

from reports.report_cli import add_source_options, open_sources


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    purge = sub.add_parser("purge", help="pseudonymise and delete what is past retention")
    add_options(purge)
    purge.set_defaults(func=run_purge)
    export = sub.add_parser("export", help="everything kept about one caller, as JSON")
    export.add_argument("--number", required=True, help="the caller's number, any form")
    add_options(export)
    export.set_defaults(func=run_export)


def add_options(parser: argparse.ArgumentParser) -> None:
    add_source_options(parser)
    parser.add_argument("--redis", help="Redis URL (default: the configuration's)")


def run_purge(args: argparse.Namespace) -> int:
    from reports.gdpr import purge
    from reports.gdpr_redis import purge_redis

    config, store = open_sources(args)
    r = config.reports
    try:
        result = purge(store, time.time(), pseudonymise_after_days=r.pseudonymise_after_days,
                       delete_after_days=r.delete_after_days, key=r.hmac_key)
    finally:
        store.close()
    note = "" if r.hmac_key else " (no reports.hmac_key: numbers blanked, not hashed)"
    print(f"records: {result}{note}")
    try:
        done = _with_redis(args, config, lambda client, spool: purge_redis(
            client, time.time(), pseudonymise_after_days=r.pseudonymise_after_days,
            delete_after_days=r.delete_after_days, spool=spool))
    except Exception as exc:  # noqa: BLE001 (Redis down: said, and the exit code shows it)
        print(f"vaxel: redis: not purged: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"redis: {done}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from infra.errors import UserError
    from reports.gdpr import export
    from reports.gdpr_redis import export_redis
    from reports.record_store import RecordsError

    if not re.fullmatch(r"\+?[0-9 ()\-]{3,}", args.number.strip()):
        raise UserError(f"--number: not a phone number: {args.number!r}")
    config, store = open_sources(args)
    unreachable: dict[str, str] = {}
    records: list[Any] = []
    try:
        records = export(store, args.number, config.reports.hmac_key)
    except RecordsError as exc:
        unreachable["call_records"] = str(exc)
    finally:
        store.close()
    found = _with_redis(args, config, lambda client, spool: export_redis(
        client, args.number, [r.call_id for r in records], spool))
    sources = {"call_records": [{**asdict(r), "outcome": r.outcome.value} for r in records],
               **found.sections}
    for name in unreachable:
        sources.pop(name, None)
    unreachable.update(found.unreachable)
    print(json.dumps({"number": args.number, "sources": sources, "unreachable": unreachable},
                     ensure_ascii=False, indent=2, default=str))
    if unreachable:
        print(f"vaxel: export incomplete: could not read {', '.join(sorted(unreachable))}",
              file=sys.stderr)
        return 1
    return 0


def _with_redis(args: argparse.Namespace, config: Any, work: Any) -> Any:
    """Run ``work(client, spool folder)`` on the configured Redis (or ``--redis``); the
    spool folder is that Redis's (`switchboard.message_store.message_spool`)."""
    from dataclasses import replace

    from infra.redis_url import redis_client
    from switchboard.message_store import message_spool

    url = args.redis or config.redis.url
    spool = message_spool(replace(config, redis=replace(config.redis, url=url))).folder

    async def run() -> Any:
        client = redis_client(url)
        try:
            return await work(client, spool)
        finally:
            await client.aclose()

    return asyncio.run(run())

"""`vaxel gdpr purge` and `vaxel gdpr export --number N`: retention of the call records
(`reports/gdpr.py`). ``purge`` also runs daily in every controller that records calls."""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import asdict
from typing import Any

from reports.report_cli import add_source_options, open_sources


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    purge = sub.add_parser("purge", help="pseudonymise and delete records past retention")
    add_source_options(purge)
    purge.set_defaults(func=run_purge)
    export = sub.add_parser("export", help="everything the records keep about one caller")
    export.add_argument("--number", required=True, help="the caller's number, any form")
    add_source_options(export)
    export.set_defaults(func=run_export)


def run_purge(args: argparse.Namespace) -> int:
    from reports.gdpr import purge

    config, store = open_sources(args)
    r = config.reports
    try:
        result = purge(store, time.time(), pseudonymise_after_days=r.pseudonymise_after_days,
                       delete_after_days=r.delete_after_days, key=r.hmac_key)
    finally:
        store.close()
    note = "" if r.hmac_key else " (no reports.hmac_key: numbers blanked, not hashed)"
    print(f"{result}{note}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from infra.errors import UserError
    from reports.gdpr import export
    if not re.fullmatch(r"\+?[0-9 ()\-]{3,}", args.number.strip()):
        raise UserError(f"--number: not a phone number: {args.number!r}")
    config, store = open_sources(args)
    try:
        records = export(store, args.number, config.reports.hmac_key)
    finally:
        store.close()
    print(json.dumps({"number": args.number, "records": [
        {**asdict(r), "outcome": r.outcome.value} for r in records]},
        ensure_ascii=False, indent=2))
    return 0

"""`vaxel report month 2026-11 [--district NAME] --format html|csv|json -o FILE`: the monthly
statement from the call records (`reports/statement.py` defines every figure).

The records are read from the directory's database (``[directory] url``, or ``--database``);
prices, fixed shares and targets from the configuration (``[costs]``, ``[reports]``,
``[queues.<q>] wrap_up_s``). A month that is not a month, a month without records, or a
district neither the records nor the cost model know is a clear error, and no file is
written then.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reports.kpis import KPI_COLUMNS, KpiRow


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="report", required=True, metavar="REPORT")
    month = sub.add_parser("month", help="the monthly statement per district and administration")
    month.add_argument("month", help="the month, YYYY-MM (2026-11)")
    month.add_argument("--district", help="only this district (and the city-wide line)")
    month.add_argument("--format", choices=("html", "csv", "json"), default="html",
                       help="html (charts, prints on A4), csv (finance) or json (öre)")
    month.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    add_source_options(month)
    month.set_defaults(func=run_month)
    record = sub.add_parser("record", help="run the call recorder (and the daily purge) in a "
                                           "process of its own, until SIGTERM")
    record.add_argument("--config", type=Path, help="TOML configuration (Redis, database, "
                                                    "[reports] retention and metrics_port)")
    record.set_defaults(func=run_record)


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """Where the records and the settings come from (`vaxel report`, `vaxel staffing`)."""
    parser.add_argument("--config", type=Path, help="TOML configuration (prices, targets)")
    parser.add_argument("--database", help="SQLAlchemy URL of the records (default: the "
                                           "configuration's directory database)")


def open_sources(args: argparse.Namespace) -> tuple[Any, Any]:
    """(configuration, `RecordStore`) of the options; their errors are the user's."""
    from infra.errors import UserError
    from reports.record_store import RecordsError, RecordStore
    from reports.stats_cli import load
    from routing.control import load_config

    config = load(args.config) or load_config(None)
    try:
        return config, RecordStore.open(args.database or config.directory_url)
    except RecordsError as exc:
        raise UserError(str(exc)) from exc


def rows(store: Any, since: float, until: float) -> Iterator[KpiRow]:
    """The period's records as `KpiRow`s, streamed."""
    return map(KpiRow._make, store.rows_between(since, until, KPI_COLUMNS))


def run_record(args: argparse.Namespace) -> int:
    """`vaxel report record`: see `reports.runtime.run_recorder`."""
    import asyncio
    import signal

    from infra.config import ConfigError
    from infra.errors import UserError
    from infra.logs import configure
    from infra.tasks import run
    from reports.runtime import run_recorder
    from routing.control import load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    configure(config.log_format, cache=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_recorder(config, stop, on_ready=lambda: print("ready", flush=True))

    run(main(), config.event_loop)
    return 0


def run_month(args: argparse.Namespace) -> int:
    from infra.errors import UserError
    from reports.statement import (
        CITY_WIDE,
        StatementError,
        check_district,
        month_bounds,
        month_figures,
        previous_month,
        statement,
    )
    from reports.statement_render import to_csv, to_html, to_json

    config, store = open_sources(args)
    try:
        since, until = month_bounds(args.month)
        before = previous_month(args.month)
        b_since, b_until = month_bounds(before)
        wrap = {name: q.wrap_up_s for name, q in config.queues.items()}
        figures = [month_figures(m, rows(store, s, u), config.costs, config.reports, wrap)
                   for m, s, u in ((args.month, since, until), (before, b_since, b_until))]
        if not figures[0].calls:
            first = store.first_arrival()
            raise StatementError(f"month {args.month}: no call records" + (
                "; there are none at all" if first is None else
                f" (records start {_month_of(first)})"))
        district = None
        if args.district:
            known = {name for f in figures for name in f.districts}
            district = check_district(args.district, (known - {CITY_WIDE})
                                      | set(config.costs.fixed_share)
                                      | set(config.costs.baseline))
        result = statement(figures[0], figures[1], district)
    except StatementError as exc:
        raise UserError(str(exc)) from exc
    finally:
        store.close()
    text = {"html": lambda: to_html(result, config.reports.service_level_pct),
            "csv": lambda: to_csv(result), "json": lambda: to_json(result)}[args.format]()
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"-o {args.output}: cannot write: {exc.strerror}") from exc
    print(f"{args.output}: {args.format}, {result.month.calls} calls in {args.month}")
    return 0


def _month_of(at: float) -> str:
    from datetime import datetime

    from reports.kpis import CITY_ZONE
    return datetime.fromtimestamp(at, CITY_ZONE).strftime("%Y-%m")

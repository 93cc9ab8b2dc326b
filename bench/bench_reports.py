"""Monthly statement benchmark: `vaxel report month` over 1,000,000 generated call records.

Fills a database (SQLite file, and a PostgreSQL database this run starts) with 1,000,000
records in the month and 200,000 in the month before (the statement reads both), then times
the statement end to end (database read + fold + HTML with its charts) in a fresh process
each, reporting wall time and the process's peak memory (ru_maxrss), beside the naive
baseline: every record loaded whole as a `CallRecord` (all columns, then the fold). Prints a
Markdown table.

    .venv/bin/python bench/bench_reports.py [--records 1000000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MONTH, BEFORE = "2026-11", "2026-10"


def fill(url: str, n: int) -> None:
    from reports.record_store import RecordStore
    from vaxel.testing.call_records import generate, insert

    store = RecordStore.open(url)
    t0 = time.perf_counter()
    insert(store.engine, generate(MONTH, n, seed=1))
    insert(store.engine, generate(BEFORE, max(1, n // 5), seed=2))
    print(json.dumps({"fill_s": time.perf_counter() - t0, "count": store.count()}))
    store.close()


def statement(url: str, mode: str, out: str) -> None:
    from infra.config import load_config
    from reports.kpis import KpiRow, row_of
    from reports.record_store import RecordStore
    from reports.statement import month_bounds, month_figures
    from reports.statement import statement as make
    from reports.statement_render import to_html

    config = load_config(Path(__file__).resolve().parent.parent / "docs/reports/example.toml",
                         env={})
    wrap = {q: s.wrap_up_s for q, s in config.queues.items()}
    t0 = time.perf_counter()
    store = RecordStore.open(url)
    figures = []
    for month in (MONTH, BEFORE):
        since, until = month_bounds(month)
        if mode == "columns":
            from reports.report_cli import rows
            got: list[KpiRow] = rows(store, since, until)
        else:  # naive: whole records, then the fold
            got = [row_of(r) for r in store.between(since, until)]
        figures.append(month_figures(month, got, config.costs, config.reports, wrap))
    html = to_html(make(figures[0], figures[1], None), config.reports.service_level_pct)
    Path(out).write_text(html, encoding="utf-8")
    seconds = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024,
                      "calls": figures[0].calls, "total_ore": figures[0].total_ore}))
    store.close()


def child(*argv: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, *argv], check=True, capture_output=True,
                          text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@contextlib.contextmanager
def databases(folder: Path, postgres: bool) -> Iterator[list[tuple[str, str]]]:
    found = [("SQLite", f"sqlite:///{folder / 'records.db'}")]
    if not postgres:
        yield found
        return
    from tests.directory.services import postgres_bindir, postgres_server

    if postgres_bindir() is None:
        print("PostgreSQL not installed: SQLite only", file=sys.stderr)
        yield found
        return
    with postgres_server() as server:
        found.append(("PostgreSQL", server.create_database("records")))
        yield found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--fill", help=argparse.SUPPRESS)
    parser.add_argument("--statement", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        fill(args.fill, args.records)
        return 0
    if args.statement:
        statement(*args.statement)
        return 0
    print(f"load before: {os.getloadavg()[0]:.2f}; {args.records:,} records in {MONTH} "
          f"+ {args.records // 5:,} in {BEFORE}")
    print("| database | fill | statement (columns) | peak | naive (whole records) | peak | "
          "target |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, databases(Path(tmp), not args.no_postgres) as dbs:
        for name, url in dbs:
            filled = child("--fill", url, "--records", str(args.records))
            fast = child("--statement", url, "columns", str(Path(tmp) / "a.html"))
            naive = child("--statement", url, "naive", str(Path(tmp) / "b.html"))
            assert fast["total_ore"] == naive["total_ore"], (fast, naive)
            met = "met" if fast["seconds"] < 30 else "NOT met"
            print(f"| {name} | {filled['fill_s']:.0f} s | {fast['seconds']:.1f} s | "
                  f"{fast['peak_mib']:.0f} MiB | {naive['seconds']:.1f} s | "
                  f"{naive['peak_mib']:.0f} MiB | < 30 s: {met} |", flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

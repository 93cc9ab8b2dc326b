"""Directory benchmark on the 50,000-person demo city: search latency and CSV import time.

Builds the city on SQLite and on a throw-away PostgreSQL cluster (started on a
free loopback port like the tests do), then times every search kind through the
public API, side by side with a naive ``LIKE '%term%'`` query on the same
database, and times a full CSV import of the 50,000 people. Prints Markdown
tables for the README. Queries are drawn from the city with a fixed seed, so
two runs ask the same questions.

    .venv/bin/python bench/bench_directory.py [--queries 300] [--no-postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text as sql  # noqa: E402

from directory import demo, text  # noqa: E402
from directory.api import Directory, Employee  # noqa: E402
from directory.csv_import import import_csv  # noqa: E402
from directory.csv_rows import format_employees  # noqa: E402
from tests.directory.services import postgres_bindir, postgres_server  # noqa: E402

#: Hits asked for per search (a console page).
LIMIT = 10

NAIVE_NAME = (
    "SELECT id FROM employees WHERE active = :yes AND listed = :yes"
    " AND lower(given_name || ' ' || family_name) LIKE :p ORDER BY family_name, given_name LIMIT 10"
)
NAIVE_EXTENSION = "SELECT id FROM employees WHERE active = :yes AND extension LIKE :p LIMIT 10"
NAIVE_PHONE = (
    "SELECT e.id FROM employees e JOIN devices d ON d.employee_id = e.id"
    " WHERE e.active = :yes AND d.raw_number LIKE :p LIMIT 10"
)
NAIVE_UNIT = (
    "SELECT id FROM units WHERE lower(name || ' ' || topics) LIKE :p ORDER BY name LIMIT 10"
)


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    naive_sql: str | None
    naive_term: str
    expect: str  # folded family name, extension or unit word that a right answer contains


def make_queries(people: list[Employee], districts: list[str], count: int) -> list[Query]:
    rng = random.Random(42)
    sample = [p for p in rng.sample(people, count * 2) if p.listed][:count]
    queries: list[Query] = []
    for p in sample:
        family, full = p.family_name.split()[0], f"{p.given_name} {p.family_name}"
        fold = text.fold(family)
        queries += [
            Query(
                "extension",
                p.extension or "",
                NAIVE_EXTENSION,
                p.extension or "",
                p.extension or "",
            ),
            Query("name (given family)", full, NAIVE_NAME, full.lower(), fold),
            Query(
                "name (family given)",
                f"{p.family_name} {p.given_name}",
                NAIVE_NAME,
                f"{p.family_name} {p.given_name}".lower(),
                fold,
            ),
            Query("name typed a/o (Ekstrom)", text.fold(full), NAIVE_NAME, text.fold(full), fold),
            Query("prefix (3 letters)", family[:3], NAIVE_NAME, family[:3].lower(), fold[:3]),
            Query(
                "fuzzy (one typo)", _typo(family, rng), NAIVE_NAME, _typo(family, rng).lower(), fold
            ),
            Query("dial by name (3 keys)", text.keypad_digits(family)[:3], None, "", ""),
        ]
        mobile = next((d.number for d in p.devices if d.number), None)
        if mobile:
            queries.append(
                Query("phone reverse lookup", mobile, NAIVE_PHONE, mobile, p.extension or "")
            )
    for _ in range(count):
        topic, district = (
            rng.choice(("hemtjänst", "förskoleplats", "bygglov")),
            rng.choice(districts),
        )
        queries.append(
            Query("topic + district", f"{topic} {district}", NAIVE_UNIT, topic, text.fold(topic))
        )
    return queries


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two neighbours


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return (time.perf_counter() - start) * 1000, result


def run_api(d: Directory, q: Query) -> tuple[float, float, bool]:
    """Wall-clock ms, CPU ms of this process, and whether the expected answer was found."""
    cpu = time.process_time()
    if q.kind.startswith("dial"):
        ms, found = timed(lambda: d.dial_by_name(q.text, limit=LIMIT))
        return ms, (time.process_time() - cpu) * 1000, bool(found)
    ms, hits = timed(lambda: d.search(q.text, limit=LIMIT))
    cpu_ms = (time.process_time() - cpu) * 1000
    return ms, cpu_ms, any(q.expect in _labels(h) for h in hits)  # type: ignore[attr-defined]


def _labels(hit: object) -> str:
    e, u = getattr(hit, "employee", None), getattr(hit, "unit", None)
    if e is not None:
        return f"{text.fold(e.given_name)} {text.fold(e.family_name)} {e.extension}"
    return text.fold(" ".join((u.name, *u.topics))) if u is not None else ""


def run_naive(d: Directory, q: Query) -> tuple[float, bool] | None:
    if q.naive_sql is None:
        return None
    statement = sql(q.naive_sql)
    with d.reading() as conn:
        ms, rows = timed(
            lambda: conn.execute(statement, {"p": f"%{q.naive_term}%", "yes": True}).all()
        )
    return ms, bool(rows)


def measure(d: Directory, queries: list[Query]) -> dict[str, dict[str, list[float]]]:
    """Per kind: api latencies, api found flags, naive latencies, naive found flags."""
    out: dict[str, dict[str, list[float]]] = {}
    for q in queries:
        row = out.setdefault(
            q.kind, {"api": [], "cpu": [], "api_found": [], "naive": [], "naive_found": []}
        )
        ms, cpu_ms, found = run_api(d, q)
        row["api"].append(ms)
        row["cpu"].append(cpu_ms)
        row["api_found"].append(float(found))
        naive = run_naive(d, q)
        if naive is not None:
            row["naive"].append(naive[0])
            row["naive_found"].append(float(naive[1]))
    return out


def fmt(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{percentile(values, 0.5):.2f} / {percentile(values, 0.99):.2f}"


def found(values: list[float]) -> str:
    return f"{100 * statistics.fmean(values):.0f} %" if values else "n/a"


def build(
    url: str, label: str, csv_path: Path, import_url: str
) -> tuple[Directory, dict[str, float]]:
    times: dict[str, float] = {}
    d = Directory.open(url)
    times["seed city"], _ = timed(lambda: demo.seed(d, size="city"))
    target = Directory.open(import_url)
    demo.seed(target, size="city", people=False)
    times["CSV import 50,000 (all new)"], plan = timed(lambda: import_csv(target, csv_path))
    times["CSV re-import (all unchanged)"], _ = timed(lambda: import_csv(target, csv_path))
    target.close()
    print(f"{label}: built; import plan {plan.summary()}", file=sys.stderr)  # type: ignore[attr-defined]
    return d, times


@contextlib.contextmanager
def databases(folder: Path, use_postgres: bool) -> Iterator[list[tuple[str, str, str]]]:
    """(label, city URL, import-target URL) per database."""
    found = [("SQLite", f"sqlite:///{folder / 'city.db'}", f"sqlite:///{folder / 'import.db'}")]
    if not use_postgres:
        yield found
        return
    with postgres_server() as server:
        found.append(
            ("PostgreSQL", server.create_database("city"), server.create_database("import_target"))
        )
        yield found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=300, help="people sampled per kind")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    use_postgres = not args.no_postgres and postgres_bindir() is not None
    with (
        tempfile.TemporaryDirectory(prefix="vaxel-bench-") as tmp,
        databases(Path(tmp), use_postgres) as dbs,
    ):
        folder = Path(tmp)
        reference = Directory.open(f"sqlite:///{folder / 'reference.db'}")
        demo.seed(reference, size="city")
        people = sorted(reference.active_employees().values(), key=lambda e: e.id)
        districts = [x.name for x in reference.districts()]
        reference.close()
        csv_path = folder / "hr-export.csv"
        csv_path.write_text("".join(format_employees(people)), encoding="utf-8")
        queries = make_queries(people, districts, args.queries)
        results, builds = {}, {}
        for label, url, import_url in dbs:
            d, builds[label] = build(url, label, csv_path, import_url)
            measure(d, queries[:50])  # warm caches
            results[label] = measure(d, queries)
            d.close()
    print_tables(results, builds, len(people))
    return 0


def print_tables(
    results: dict[str, dict[str, dict[str, list[float]]]],
    builds: dict[str, dict[str, float]],
    people: int,
) -> None:
    labels = list(results)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Machine: {os.cpu_count()} CPUs, load average {load} at the end of the run.\n")
    print(f"### Search latency, ms p50 / p99 ({people:,} people; {LIMIT} hits per search)\n")
    head = " | ".join(f"{x} | {x} CPU | {x} naive LIKE" for x in labels)
    print(f"| kind | {head} | found (API / naive) |")
    print("|---" * (2 + 3 * len(labels)) + "|")
    for kind in results[labels[0]]:
        cells = " | ".join(
            f"{fmt(results[x][kind]['api'])} | {fmt(results[x][kind]['cpu'])} | "
            f"{fmt(results[x][kind]['naive'])}"
            for x in labels
        )
        first = results[labels[0]][kind]
        print(f"| {kind} | {cells} | {found(first['api_found'])} / {found(first['naive_found'])} |")
    print("\n### Build and import, seconds\n")
    print("| step | " + " | ".join(labels) + " |")
    print("|---" * (1 + len(labels)) + "|")
    for step in builds[labels[0]]:
        print(f"| {step} | " + " | ".join(f"{builds[x][step] / 1000:.1f}" for x in labels) + " |")


if __name__ == "__main__":
    sys.exit(main())

"""Generated call records for tests, the benchmark and the example statement: a city's month
of calls with plausible mixes (switchboard, contact center, direct calls; districts and
administrations; waits, talk times, abandons, callbacks, case outcomes). Deterministic for a
seed; written with plain multi-row inserts (a fresh table needs no upserts)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from reports.record_table import call_records, to_row
from reports.records import CallRecord
from reports.statement import month_bounds

DISTRICTS = ("bromma", "kista", "sodermalm", "rinkeby", "skarholmen", "farsta", "")
ADMINISTRATIONS = ("stadsbyggnad", "utbildning", "socialtjanst", "miljo", "")


def generate(month: str, n: int, seed: int = 1, *, prefix: str = "") -> Iterator[CallRecord]:
    """``n`` calls spread over ``month``'s working hours (city time), in order of arrival
    (as the recorder writes them)."""
    rng = random.Random(seed)
    since, until = month_bounds(month)
    days = int((until - since) // 86400)
    arrivals = sorted(since + rng.randrange(days) * 86400 + rng.uniform(7.5, 17.5) * 3600
                      for _ in range(n))
    for i, at in enumerate(arrivals):
        yield _call(f"{prefix}{month}-{seed}-{i}", at, rng)


def _call(call_id: str, at: float, rng: random.Random) -> CallRecord:
    kind = rng.random()
    district = rng.choice(DISTRICTS)
    admin = rng.choice(ADMINISTRATIONS)
    caller = f"07{rng.randrange(10**8):08d}"
    if kind < 0.25:  # direct calls through the IVR
        answered = rng.random() < 0.8
        path = ("welcome", "dial:PJSIP/4711") + (() if answered else ("dialstatus:NOANSWER",))
        ring = rng.expovariate(1 / 8) if answered else None  # rings 8 s on average
        return CallRecord(call_id, arrived_at=at, caller=caller, language="sv",
                          ivr_path=path, district=district, administration=admin,
                          unit="bygglov", ivr_done=True, ivr_pos="1-0", dialed_at=at + 15,
                          dial_answered_at=None if ring is None else at + 15 + ring)
    queue = "operators" if kind < 0.6 else "kontaktcenter"
    scale = 12.0 if queue == "operators" else 150.0
    wait = rng.expovariate(1 / scale)
    enq = at + 20
    r = CallRecord(call_id, arrived_at=at, caller=caller, language="sv", queue=queue,
                   district=district, administration=admin, enqueued_at=enq,
                   ivr_done=True, offers=1, acd_pos="1-0", ivr_pos="1-0",
                   callback_requested=rng.random() < 0.03)
    fate = rng.random()
    if fate < 0.88:
        talk = rng.expovariate(1 / 180)
        return replace(r, answered_at=enq + wait, ended_at=enq + wait + talk,
                        acd_end="call_ended", agent_id=f"agent{rng.randrange(40)}",
                        case_outcome=rng.choice(("resolved", "resolved", "forwarded",
                                                 "case_opened", "")))
    if fate < 0.97:
        return replace(r, ended_at=enq + wait, acd_end="call_abandoned")
    return replace(r, ended_at=enq + wait, acd_end="call_left_queue")


def insert(engine: sa.Engine, records: Iterator[CallRecord], chunk: int = 20000) -> int:
    """Insert records (new call ids) through the driver: ``COPY`` on PostgreSQL,
    ``executemany`` on SQLite; returns how many."""
    names = [c.name for c in call_records.c]
    n = 0
    with engine.begin() as c:
        raw: Any = c.connection.dbapi_connection
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY call_records ({', '.join(names)}) FROM STDIN") as copy:
                for r in records:
                    row = to_row(r)
                    copy.write_row([row[k] for k in names])
                    n += 1
        else:
            sql = (f"INSERT INTO call_records ({', '.join(names)}) "
                   f"VALUES ({', '.join('?' for _ in names)})")
            batch: list[list[Any]] = []
            for r in records:
                row = to_row(r)
                batch.append([row[k] for k in names])
                if len(batch) >= chunk:
                    cursor.executemany(sql, batch)
                    n += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                n += len(batch)
        cursor.close()
    return n

"""How many people carry each search token, cached per database: the name search's plan.

A name search of several words reads the index of the word that the fewest people carry
and checks the other words in the same rows; these counts pick that word. They choose
the plan, never the answer (every plan returns the same hits), so a stale count costs
time, not a wrong hit: the counts are kept in process per engine, counted exactly on
first use and again after ``COUNT_TTL_S`` seconds, and a search that finds them cached
spends no statement on them.

Invariants: thread-safe (searches run in threads); one cache per engine, so two
directories in one process never share counts.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select

from directory import prepared
from directory.models import EmployeeTokenRow
from directory.prepared import Prepared
from directory.rows import chunks

#: Seconds a token's count is used before it is counted again.
COUNT_TTL_S = 300.0

_lock = threading.Lock()
_caches: weakref.WeakKeyDictionary[Engine, dict[str, tuple[int, float]]] = (
    weakref.WeakKeyDictionary()
)


@functools.lru_cache(maxsize=16)
def count_statement(size: int) -> Prepared:
    """People per token for ``size`` tokens (``t_j``); tokens nobody carries give no row."""
    tokens: list[Any] = [bindparam(f"t_{j}") for j in range(size)]
    token = EmployeeTokenRow.__table__.c.token
    return Prepared(select(token, func.count()).where(token.in_(tokens)).group_by(token))


def people_per_token(
    conn: Connection, tokens: Iterable[str], now: float | None = None
) -> dict[str, int]:
    """How many active people carry each of ``tokens`` (0 for none), counted at most
    ``COUNT_TTL_S`` seconds before ``now`` (default: the monotonic clock)."""
    now = time.monotonic() if now is None else now
    wanted = set(tokens)
    with _lock:
        cache = _caches.setdefault(conn.engine, {})
        known = {t: cache[t] for t in wanted if t in cache}
    missing = sorted(t for t in wanted if t not in known or known[t][1] <= now)
    counted: dict[str, tuple[int, float]] = {}
    for part in chunks(missing):
        statement = count_statement(len(prepared.padded(part)))
        found = dict(statement.rows(conn, prepared.in_params("t", part)))
        counted.update((t, (int(found.get(t, 0)), now + COUNT_TTL_S)) for t in part)
    if counted:
        with _lock:
            cache.update(counted)
    return {t: (counted.get(t) or known[t])[0] for t in wanted}

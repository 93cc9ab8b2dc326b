"""The call path's directory lookups kept in memory, dropped when the directory changes.

A lookup (a number -> a person or a unit, with that person's absence notes) costs a few
SQL queries in a worker thread, and a city's callers dial the same few thousand numbers
again and again. :class:`LookupMemo` keeps each number's :class:`~ivr.directory_port.Found`
(the part that does not depend on the time: which note is in force is worked out per call)
and drops all of them when the directory's change mark moves (``Directory.change_mark``:
the newest history entry; every write through the directory's API records history).

The mark is read at most once per ``check_every_s`` (1 s), one read shared by the calls
that arrive meanwhile, so an edit (an absence note set in the console, an import, a sync)
reaches callers within about a second. Whatever the mark says, the memo is dropped after
``max_age_s`` (60 s), so even a change made behind the API's back is seen within a minute.
A call waits at most ``check_wait_s`` for the mark: when the database is slow or away, the
memo keeps answering with what it holds (``directory.read_cache`` answers the rest).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import datetime

import structlog

from ivr import actions as a
from ivr.directory_port import DirectoryLookup, Found

log = structlog.get_logger(__name__)


class LookupMemo:
    """A ``DirectoryPort`` (``ivr.session_ports``) in front of :class:`DirectoryLookup`."""

    def __init__(self, lookup: DirectoryLookup, mark: Callable[[], int], *,
                 check_every_s: float = 1.0, max_age_s: float = 60.0,
                 check_wait_s: float = 0.2, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lookup = lookup
        self._read_mark = mark
        self.check_every_s = check_every_s
        self.max_age_s = max_age_s
        self.check_wait_s = check_wait_s
        self.max_entries = max_entries
        self._clock = clock
        self._found: dict[str, Found] = {}
        self._mark: int | None = None
        self._generation = 0
        self._checked = -math.inf
        self._filled = -math.inf
        self._check: asyncio.Task[None] | None = None
        self.hits = 0
        self.misses = 0
        self.drops = 0

    def __repr__(self) -> str:
        return (f"<LookupMemo {len(self._found)} numbers, mark {self._mark}, "
                f"{self.hits} hits, {self.misses} misses, {self.drops} drops>")

    async def lookup_extension(self, extension: str, now: datetime) -> a.LookupCompleted:
        await self._fresh()
        found = self._found.get(extension)
        if found is not None:
            self.hits += 1
            return found.at(now)
        self.misses += 1
        generation = self._generation
        found = await asyncio.to_thread(self.lookup.find, extension)
        # A load that overlapped a drop may hold what the directory said before the change.
        if generation == self._generation:
            if len(self._found) >= self.max_entries:
                self._found.clear()
            self._found[extension] = found
        return found.at(now)

    async def lookup_by_name_keys(self, keys: str, now: datetime,
                                  limit: int = 6) -> a.NamesFound:
        return await self.lookup.lookup_by_name_keys(keys, now, limit)

    def lookup_extension_sync(self, extension: str, now: datetime) -> a.LookupCompleted:
        return self.lookup.lookup_extension_sync(extension, now)

    def drop(self) -> None:
        """Forget every number (the next lookups read the directory)."""
        self._found.clear()
        self._generation += 1
        self.drops += 1

    async def _fresh(self) -> None:
        if self._clock() - self._checked < self.check_every_s:
            return
        if self._check is None:
            self._check = asyncio.create_task(self._check_mark(), name="directory-mark")
        try:
            async with asyncio.timeout(self.check_wait_s):
                await asyncio.shield(self._check)
        except TimeoutError:
            pass   # the database is slow: answer from memory, the check goes on

    async def _check_mark(self) -> None:
        started = self._clock()
        try:
            mark: int | None = await asyncio.to_thread(self._read_mark)
        except Exception as exc:  # noqa: BLE001 - the database away: keep what is known
            log.warning("directory.mark_failed", error=str(exc)[:200])
            mark = None
        finally:
            self._check = None
        self._checked = started
        if mark is None:
            return
        if decide_drop(self._mark, mark, started - self._filled, self.max_age_s):
            self.drop()
            self._filled = started
        self._mark = mark


def decide_drop(known: int | None, mark: int, age_s: float, max_age_s: float) -> bool:
    """Whether the memo must be forgotten: the directory changed since it was filled (or it
    was never checked), or it is older than ``max_age_s``."""
    return known != mark or age_s >= max_age_s

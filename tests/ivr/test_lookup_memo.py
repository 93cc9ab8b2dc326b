"""The call path's directory lookups from memory: same answers, fewer reads, fresh after edits."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from directory.api import AbsenceCategory, AbsenceNote, Device, Directory, FakeDirectory
from directory.entities import Employee
from ivr.directory_port import DirectoryLookup
from ivr.lookup_memo import LookupMemo, decide_drop

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


class Counting(FakeDirectory):
    """A fake directory that counts the reads of the call path."""

    reads: int = 0

    def employee_by_extension(self, extension: str) -> Employee | None:
        self.reads += 1
        return super().employee_by_extension(extension)


def _fake() -> Counting:
    d = Counting()
    d.employees["e1"] = Employee("e1", "Anna", "Ekström", "handläggare", None, extension="4711",
                                 devices=(Device("sip", "PJSIP/4711"),))
    return d


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _memo(d: FakeDirectory, mark: list[int], clock: Clock, **kw: float) -> LookupMemo:
    return LookupMemo(DirectoryLookup(d), lambda: mark[0], clock=clock, **kw)


def test_given_same_number_twice_then_directory_read_once_and_answers_equal() -> None:
    d, clock = _fake(), Clock()
    memo = _memo(d, [1], clock)

    async def go() -> None:
        first = await memo.lookup_extension("4711", NOW)
        second = await memo.lookup_extension("4711", NOW)
        assert first == second == DirectoryLookup(d).lookup_extension_sync("4711", NOW)
        assert first.callee is not None and first.callee.dial == "PJSIP/4711"

    asyncio.run(go())
    assert d.reads == 2   # once by the memo, once by the direct lookup above
    assert (memo.hits, memo.misses) == (1, 1)


def test_given_absence_note_then_note_in_force_is_worked_out_per_call_time() -> None:
    d, clock = _fake(), Clock()
    d.set_absence("e1", AbsenceNote(AbsenceCategory.MEETING, NOW + timedelta(hours=1),
                                    NOW + timedelta(hours=2)))
    memo = _memo(d, [1], clock)

    async def go() -> tuple[object, object, object]:
        before = await memo.lookup_extension("4711", NOW)
        during = await memo.lookup_extension("4711", NOW + timedelta(minutes=90))
        after = await memo.lookup_extension("4711", NOW + timedelta(hours=3))
        return before.absence, during.absence, after.absence

    before, during, after = asyncio.run(go())
    assert before is None and after is None
    assert during is not None and during.until == "2026-03-03T12:00+00:00"
    assert d.reads == 1


def test_given_directory_changed_then_new_answer_after_check_interval_only() -> None:
    d, clock, mark = _fake(), Clock(), [1]
    memo = _memo(d, mark, clock)

    async def go() -> None:
        assert (await memo.lookup_extension("4711", NOW)).absence is None
        d.set_absence("e1", AbsenceNote(AbsenceCategory.LUNCH, NOW - timedelta(minutes=5),
                                        NOW + timedelta(minutes=30)))
        mark[0] = 2
        clock.t += 0.5    # within the check interval: the memo still answers
        assert (await memo.lookup_extension("4711", NOW)).absence is None
        clock.t += 0.6    # past it: the mark moved, the memo is dropped
        found = await memo.lookup_extension("4711", NOW)
        assert found.absence is not None and found.absence.category == "lunch"

    asyncio.run(go())
    assert memo.drops == 2   # the first check, then the change


def test_given_no_change_then_memo_still_dropped_after_max_age() -> None:
    assert decide_drop(None, 5, 0.0, 60.0)          # never checked
    assert decide_drop(4, 5, 1.0, 60.0)             # the mark moved
    assert not decide_drop(5, 5, 59.0, 60.0)
    assert decide_drop(5, 5, 60.0, 60.0)            # too old, whatever the mark says


def test_given_mark_fails_then_memo_keeps_answering_from_memory() -> None:
    d, clock = _fake(), Clock()
    calls = [0]

    def mark() -> int:
        calls[0] += 1
        if calls[0] > 1:
            raise ConnectionError("database away")
        return 1

    memo = LookupMemo(DirectoryLookup(d), mark, clock=clock)

    async def go() -> None:
        await memo.lookup_extension("4711", NOW)
        clock.t += 120     # past max age too: an unreadable mark keeps the memo
        found = await memo.lookup_extension("4711", NOW)
        assert found.callee is not None

    asyncio.run(go())
    assert calls[0] == 2 and d.reads == 1


def test_given_slow_mark_then_call_waits_at_most_check_wait() -> None:
    d, clock = _fake(), Clock()
    release = threading.Event()
    first = [True]

    def mark() -> int:
        if not first[0]:
            release.wait(5)
        first[0] = False
        return 1

    memo = LookupMemo(DirectoryLookup(d), mark, clock=clock, check_wait_s=0.05)

    async def go() -> float:
        await memo.lookup_extension("4711", NOW)
        clock.t += 2
        loop = asyncio.get_running_loop()
        started = loop.time()
        found = await memo.lookup_extension("4711", NOW)
        took = loop.time() - started
        assert found.callee is not None
        release.set()
        await asyncio.sleep(0.05)
        return took

    assert asyncio.run(go()) < 1.0


def test_given_load_overlapping_a_drop_then_its_answer_is_not_kept() -> None:
    d, clock = _fake(), Clock()
    memo = _memo(d, [1], clock)
    gate = threading.Event()
    original = memo.lookup.find

    def slow_find(extension: str):  # type: ignore[no-untyped-def]
        gate.wait(5)
        return original(extension)

    memo.lookup.find = slow_find  # type: ignore[method-assign]

    async def go() -> None:
        await memo._fresh()
        task = asyncio.create_task(memo.lookup_extension("4711", NOW))
        await asyncio.sleep(0.02)
        memo.drop()
        gate.set()
        await task

    asyncio.run(go())
    assert memo.lookup_extension_sync("4711", NOW).callee is not None
    assert memo._found == {}


def test_given_real_directory_then_absence_set_through_api_moves_the_mark(
        tmp_path: Path) -> None:
    d = Directory.open(f"sqlite:///{tmp_path / 'd.db'}")
    d.add_employee("e1", "Anna", "Ekström", extension="4711",
                   devices=(Device("sip", "PJSIP/4711"),))
    clock = Clock()
    memo = LookupMemo(DirectoryLookup(d), d.change_mark, clock=clock)

    async def go() -> None:
        assert (await memo.lookup_extension("4711", NOW)).absence is None
        before = d.change_mark()
        d.set_absence("e1", AbsenceNote(AbsenceCategory.LEAVE, NOW - timedelta(days=1),
                                        NOW + timedelta(days=6)))
        assert d.change_mark() > before
        clock.t += 1.0
        found = await memo.lookup_extension("4711", NOW)
        assert found.absence is not None and found.absence.category == "leave"
        assert (await memo.lookup_extension("0000", NOW)).callee is None

    asyncio.run(go())
    d.close()


@pytest.mark.parametrize("extension", ["4711", "9999"])
def test_given_memo_then_answers_equal_uncached_lookup(extension: str, tmp_path: Path) -> None:
    d = Directory.open(f"sqlite:///{tmp_path / 'd.db'}")
    d.add_employee("e1", "Anna", "Ekström", extension="4711",
                   devices=(Device("sip", "PJSIP/4711"),))
    memo = LookupMemo(DirectoryLookup(d), d.change_mark)
    got = asyncio.run(memo.lookup_extension(extension, NOW))
    assert got == DirectoryLookup(d).lookup_extension_sync(extension, NOW)
    d.close()

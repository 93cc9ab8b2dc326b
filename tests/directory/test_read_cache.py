"""ReadCache: answers while the database is away, only what was asked before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy.exc

from directory.errors import StoreUnavailable
from directory.read_cache import DirectoryUnavailable, ReadCache


class FlakyDirectory:
    """A directory whose database can be switched off."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise sqlalchemy.exc.OperationalError("SELECT", {}, ConnectionRefusedError())

    def employee_by_extension(self, extension: str) -> str:
        if self.down and extension == "store":
            raise StoreUnavailable("directory database unavailable: refused")
        self._check()
        return f"employee-{extension}-v{self.calls}"

    def current_absence(self, employee_id: str, now: datetime) -> str:
        self._check()
        return f"absence-{employee_id}-{now.hour}"

    def add_employee(self, employee_id: str) -> None:
        self._check()

    dialect = "postgresql"


def test_given_the_database_up_then_answers_are_fresh_and_remembered():
    d = FlakyDirectory()
    cache = ReadCache(d)
    assert cache.employee_by_extension("4711") == "employee-4711-v1"
    assert cache.employee_by_extension("4711") == "employee-4711-v2"
    assert cache.dialect == "postgresql"


def test_given_the_database_down_then_the_last_answer_is_given():
    d = FlakyDirectory()
    cache = ReadCache(d)
    cache.employee_by_extension("4711")
    d.down = True
    assert cache.employee_by_extension("4711") == "employee-4711-v1"
    assert cache.served_from_cache == 1
    assert "1 served" in repr(cache)


def test_given_the_database_down_then_a_question_never_asked_raises_a_clear_error():
    d = FlakyDirectory()
    cache = ReadCache(d)
    cache.employee_by_extension("4711")
    d.down = True
    with pytest.raises(DirectoryUnavailable, match="employee_by_extension"):
        cache.employee_by_extension("4712")


def test_times_are_not_part_of_the_question():
    d = FlakyDirectory()
    cache = ReadCache(d)
    cache.current_absence("e1", datetime(2026, 1, 1, 9, tzinfo=UTC))
    d.down = True
    assert cache.current_absence("e1", datetime(2026, 1, 1, 15, tzinfo=UTC)) == "absence-e1-9"


def test_writes_are_not_cached_and_fail_as_before():
    d = FlakyDirectory()
    cache = ReadCache(d)
    d.down = True
    with pytest.raises(sqlalchemy.exc.OperationalError):
        cache.add_employee("e1")


def test_the_cache_is_bounded_oldest_out():
    d = FlakyDirectory()
    cache = ReadCache(d, max_entries=2)
    for ext in ("1", "2", "3"):
        cache.employee_by_extension(ext)
    d.down = True
    with pytest.raises(DirectoryUnavailable):
        cache.employee_by_extension("1")
    assert cache.employee_by_extension("3").startswith("employee-3")


def test_the_stores_own_unavailable_error_is_served_from_the_cache_too():
    d = FlakyDirectory()
    cache = ReadCache(d)
    cache.employee_by_extension("store")
    d.down = True
    assert cache.employee_by_extension("store") == "employee-store-v1"

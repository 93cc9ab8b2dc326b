"""The reports read the routing store (its Redis fixtures serve these tests too) and write
call records into a database: ``records_url`` is an SQLite file and a fresh PostgreSQL
database (the directory tests' cluster), so every test that takes it runs on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.record_store import RecordStore
from tests.directory.conftest import make_url, postgres  # noqa: F401
from tests.routing.conftest import prefix, redis_url, store  # noqa: F401


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return make_url(request.param, request, tmp_path)


@pytest.fixture
def records(records_url: str) -> Iterator[RecordStore]:
    opened = RecordStore.open(records_url)
    yield opened
    opened.close()

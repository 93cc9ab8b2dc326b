"""Fixtures for directory tests: an empty directory on SQLite and on a real PostgreSQL.

Every test that takes ``directory`` runs twice: on an SQLite file and on a
fresh database in a PostgreSQL cluster that this test run starts (and stops).
Without PostgreSQL installed the PostgreSQL half is skipped, except under CI
(``CI`` set), where a missing server is a failure.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from directory.api import Directory

from .services import PostgresServer, postgres_bindir, postgres_server

#: The clock of every test directory: history timestamps are predictable.
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if postgres_bindir() is None and not os.environ.get("CI"):
        pytest.skip("PostgreSQL server binaries not installed")
    with postgres_server() as server:
        yield server


def make_url(kind: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """A URL of an empty database of ``kind`` (sqlite file in ``folder``, or PostgreSQL)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'directory.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"directory_{next(_database_numbers)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def directory_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return make_url(request.param, request, tmp_path)


@pytest.fixture
def directory(directory_url: str) -> Iterator[Directory]:
    d = Directory.open(directory_url, clock=lambda: FIXED_NOW)
    yield d
    d.close()

"""Fixtures for directory tests: an empty directory on SQLite (and later PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from directory.api import Directory

#: The clock of every test directory: history timestamps are predictable.
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def directory_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'directory.db'}"


@pytest.fixture
def directory(directory_url: str) -> Iterator[Directory]:
    d = Directory.open(directory_url, clock=lambda: FIXED_NOW)
    yield d
    d.close()

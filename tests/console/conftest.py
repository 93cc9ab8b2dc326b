"""Fixtures for the console tests: a private redis-server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vaxel.testing.services import RedisServer


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server

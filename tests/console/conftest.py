"""Fixtures for the console tests: a private redis-server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vaxel.testing.services import RedisServer


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


# The Asterisk fixtures of the integration tests (the browser tests place real calls).
from tests.integration.conftest import (  # noqa: E402,F401
    asterisk,
    asterisk_overrides,
    asterisk_root,
    fastagi_port,
)

"""Fixtures for the routing tests: a real redis-server on a free loopback port.

The server runs in a temp folder without persistence and is stopped after the
session; each store fixture gets its own key prefix, so tests never see each
other's keys. (The lead will later unify service fixtures across packages.)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from routing.store import RoutingStore
from routing.testing import redis_server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own."""
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def store(redis_url: str, prefix: str) -> AsyncIterator[RoutingStore]:
    s = RoutingStore.from_url(redis_url, prefix)
    yield s
    await s.close()

"""Fixtures for the routing tests: a real redis-server on a free loopback port.

The server runs in a temp folder without persistence and is stopped after the
session; each test gets its own key prefix, so tests never see each other's keys.
(The lead will later unify service fixtures across packages.)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis

from routing.store import RoutingStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (bin/setup installs it)")
    folder = tmp_path_factory.mktemp("redis")
    for _attempt in range(5):
        port = _free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    break  # port taken meanwhile: try another
                time.sleep(0.05)
        else:
            proc.kill()
            pytest.fail("redis-server did not answer within 5 s")
        client.close()
        if proc.poll() is None:
            break
    else:
        pytest.fail("could not start redis-server on a free port")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RoutingStore]:
    s = RoutingStore.from_url(redis_url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    yield s
    await s.close()

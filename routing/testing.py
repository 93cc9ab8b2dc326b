"""Test and bench support: a throw-away redis-server on a free loopback port, and a
fake `CallControl` that records what the service asked of it.

Used by the routing tests and by `bench/bench_routing.py`. The server has no
persistence, lives in the folder it is given and is stopped on exit.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from routing import messages as m
from routing.errors import StoreUnavailable

#: How long to wait for a started redis-server to answer PING.
START_TIMEOUT_S = 5.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(folder: Path, attempts: int = 5) -> Iterator[str]:
    """Run redis-server on a free 127.0.0.1 port in `folder`; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise StoreUnavailable("redis-server is not installed (bin/setup installs it)")
    for _attempt in range(attempts):
        port = _free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        if _answers(url, proc):
            try:
                yield url
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            return
        proc.kill()
        proc.wait(timeout=10)
    raise StoreUnavailable(f"could not start redis-server in {attempts} attempts")


def _answers(url: str, proc: subprocess.Popen[bytes]) -> bool:
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                time.sleep(0.05)
        return False  # exited (port taken meanwhile) or too slow
    finally:
        client.close()


class RecordingCallControl:
    """A `routing.loop.CallControl` that only records the commands it is given."""

    def __init__(self) -> None:
        self.done: list[m.Command] = []
        #: Set whenever a command arrives (clear it before waiting for the next one).
        self.changed = asyncio.Event()

    async def _note(self, command: m.Command) -> None:
        self.done.append(command)
        self.changed.set()

    ring = stop_ringing = announce = offer_callback = reject = leave_queue = _note

    def rings(self) -> list[tuple[str, str]]:
        """(call, agent) of every ring asked for, in order."""
        return [(c.call_id, c.agent_id) for c in self.done if isinstance(c, m.OfferCall)]


class ManualClock:
    """A clock for the service that tests move by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

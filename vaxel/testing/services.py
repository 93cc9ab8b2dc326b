"""Real services for tests, each on free loopback ports in its own temp folder.

Every service is a context manager that starts its process, waits until it
answers, and on exit stops it and removes what it created; nothing depends on a
service left running. Ports come from the OS (bind to port 0), so parallel test
sessions don't collide; the tiny window between choosing and binding is
accepted.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from infra.asterisk.instance import AsteriskInstance
from infra.asterisk.params import InstanceParams, new_params
from infra.asterisk.ports import Proto, is_free
from infra.asterisk.provision import AsteriskRuntime

#: Seconds a service may take to answer after its process started.
READY_TIMEOUT = 15.0
#: RTP ports per test instance (Local channels need none; SIP tests need a few).
TEST_RTP_PORTS = 20

#: In tests the operators' fallback group is two simulated phones, ringing briefly.
TEST_FALLBACK: dict[str, Any] = {
    "fallback_dial": "Local/1000@sim-phones&Local/1001@sim-phones",
    "fallback_timeout": 5,
    "fallback_attempts": 2,
    "fallback_pause": 1,
}

_names = itertools.count(1)


#: Where `free_port` picks: below the kernel's ephemeral range (32768-60999), from which every
#: outgoing connection takes its local port (a port the OS handed out as free could be taken
#: by a test's Redis or AMI client before the server meant for it bound it), and below the
#: RTP ranges (`free_udp_range`, 20000 and up).
FREE_PORTS = (10000, 20000)


def free_port(proto: str = "tcp", attempts: int = 500) -> int:
    """A port on 127.0.0.1 that is free right now, outside the ephemeral range."""
    kind: Proto = "tcp" if proto == "tcp" else "udp"
    for _ in range(attempts):
        port = random.randrange(*FREE_PORTS)
        if is_free(kind, port):
            return port
    raise RuntimeError(f"no free {proto} port in {FREE_PORTS} after {attempts} attempts")


def free_udp_range(count: int, attempts: int = 200) -> tuple[int, int]:
    """(first, last) of ``count`` consecutive free UDP ports (first even, as RTP wants)."""
    for _ in range(attempts):
        first = random.randrange(20000, 60000 - count, 2)
        if all(is_free("udp", port) for port in range(first, first + count)):
            return first, first + count - 1
    raise RuntimeError(f"no {count} consecutive free UDP ports found in {attempts} attempts")


class RedisServer:
    """redis-server on a free loopback port, no persistence, in a temp folder."""

    def __init__(self, binary: str = "redis-server") -> None:
        self.binary = binary
        self.port = 0
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<RedisServer 127.0.0.1:{self.port} {'running' if self._proc else 'stopped'}>"

    @property
    def pid(self) -> int:
        """The server's process id (0 when stopped)."""
        return self._proc.pid if self._proc is not None else 0

    @property
    def url(self) -> str:
        """Connection URL for redis-py (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, port: int = 0) -> RedisServer:
        """Start on ``port`` (0: a free one; give the old port to restart a stopped one)."""
        self._dir = Path(tempfile.mkdtemp(prefix="vaxel-redis-"))
        self.port = port or free_port()
        self._proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self._dir), "--daemonize", "no",
             "--logfile", str(self._dir / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                break
            if _redis_ping(self.port):
                return
            time.sleep(0.05)
        log = self._dir / "redis.log" if self._dir else None
        tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not answer PING:\n{tail}")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def remove_stale_test_instances(runtime: AsteriskRuntime) -> list[str]:
    """Delete folders of test instances whose test process is gone and whose Asterisk is
    not running (a killed test run leaves them); returns their names."""
    removed = []
    for folder in runtime.instances_dir.glob("test-*-*"):
        try:
            owner = int(folder.name.split("-")[1])
        except ValueError:
            continue
        if _process_exists(owner):
            continue
        instance = AsteriskInstance(runtime, new_params(folder.name))
        if not instance.status().running:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class AsteriskServer:
    """An Asterisk instance in test mode with a unique name and free ports.

    ``fastagi_port`` is where the instance sends inbound calls; a test passes
    the port its controller listens on (or a closed port, to exercise the
    fallback). ``prompts`` replaces ``prompts_dir()`` as the source of sounds/.
    Further InstanceParams fields can be given as ``overrides``.
    """

    def __init__(
        self, runtime: AsteriskRuntime, fastagi_port: int, prompts: Path | None = None,
        **overrides: Any,
    ) -> None:
        self.prompts = prompts
        rtp_start, rtp_end = free_udp_range(TEST_RTP_PORTS)
        settings: dict[str, Any] = {
            "ami_port": free_port(), "sip_port": free_port("udp"),
            "rtp_start": rtp_start, "rtp_end": rtp_end,
            "fastagi_port": fastagi_port, "test_mode": True,
        }
        settings.update(overrides)
        name = settings.pop("name", f"test-{os.getpid()}-{next(_names)}")
        self.params: InstanceParams = new_params(name, **settings)
        self.instance = AsteriskInstance(runtime, self.params)

    def __repr__(self) -> str:
        return f"<AsteriskServer {self.params!r}>"

    @property
    def ami_port(self) -> int:
        return self.params.ami_port

    def start(self) -> AsteriskServer:
        try:
            self.instance.start(prompts=self.prompts, die_with_parent=True)
        except BaseException:
            self.instance.remove()
            raise
        return self

    def stop(self) -> None:
        """Stop Asterisk and delete the instance folder."""
        self.instance.remove()

    def __enter__(self) -> AsteriskServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""`vaxel serve --workers N`: several controllers on one FastAGI port, kept running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.paths import repo_root
from vaxel.testing.services import RedisServer, free_port
from vaxel.workers import MAX_BACKOFF_S, STABLE_S, Backoff, worker_argv


def test_given_worker_keeps_dying_then_backoff_doubles_up_to_max_and_resets_when_stable():
    b = Backoff()
    delays = [b.after_exit(0.0, 1.0) for _ in range(8)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0] and max(delays) == MAX_BACKOFF_S
    assert b.after_exit(0.0, STABLE_S) == 1.0


def test_worker_argv_replaces_workers_by_worker_index():
    argv = worker_argv(["serve", "--config", "v.toml", "--workers", "3", "--clock=open"], 2)
    assert argv[1:] == ["-m", "vaxel", "serve", "--config", "v.toml", "--clock=open",
                        "--worker", "2"]
    assert worker_argv(["serve", "--workers=2"], 0)[3:] == ["serve", "--worker", "0"]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _gone(pid: int) -> bool:
    """Reaped by the supervisor: every thread has ended and the process's sockets are
    closed (a zombie leader may still have threads holding them)."""
    return not Path(f"/proc/{pid}").exists()


def _agi_answered(port: int) -> bool:
    """A call to the city number is taken: the controller sends its first AGI command."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"agi_network: yes\nagi_network_script: inbound\n"
                      b"agi_channel: Local/4000@vaxel-inbound-00000001;2\n"
                      b"agi_uniqueid: w-1\nagi_callerid: 0701234567\nagi_arg_1: 4000\n\n")
            s.settimeout(5)
            first = s.recv(200)
    except OSError:
        return False
    return first.split(b" ")[0] in (b"ANSWER", b"STREAM", b"GET", b"EXEC", b"SET")


def _wait(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _serve_two(config: Path, log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log_file:
        return subprocess.Popen([sys.executable, "-m", "vaxel", "serve", "--config", str(config),
                                 "--workers", "2"], stderr=log_file)


@pytest.fixture
def config_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    with RedisServer() as redis:
        port = free_port()
        path = tmp_path / "vaxel.toml"
        path.write_text(
            f'dialplans = "{repo_root() / "dialplans"}"\nlog_format = "json"\n'
            f"[fastagi]\nport = {port}\n[redis]\nurl = \"{redis.url}\"\n"
            f"[directory]\nurl = \"sqlite:///{tmp_path / 'd.db'}\"\n"
            "[groups.operators]\nmembers = [\"Local/1000@sim-phones\"]\n"
            "[groups.contact_center]\nmembers = [\"Local/2000@sim-phones\"]\n",
            encoding="utf-8")
        yield path, port


def test_given_two_workers_then_both_serve_one_port_and_a_killed_one_is_restarted(
        config_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, port = config_file
    log_path = tmp_path / "serve.log"
    proc = _serve_two(path, log_path)
    try:
        assert _wait(lambda: '"workers.started"' in log_path.read_text(encoding="utf-8")), \
            "two workers did not start"
        assert len(_children(proc.pid)) == 2
        assert log_path.read_text(encoding="utf-8").count('"fastagi.listening"') == 2
        first = _children(proc.pid)
        for _ in range(6):     # SO_REUSEPORT: whichever worker the kernel picks answers
            assert _agi_answered(port)
        os.kill(first[0], signal.SIGKILL)
        # While it goes, a connection may be refused (the kernel rebuilds the port's group of
        # listeners; Asterisk then takes the dialplan's fallback); then the other worker takes
        # every call until the dead one is back.
        assert _wait(lambda: _gone(first[0]) and _agi_answered(port), 5)
        for _ in range(4):
            assert _agi_answered(port)
        assert _wait(lambda: len(_children(proc.pid)) == 2
                     and set(_children(proc.pid)) != set(first)), "worker not restarted"
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert _wait(lambda: all(_gone(pid) for pid in workers), 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = log_path.read_text(encoding="utf-8")
    assert '"workers.died"' in log and '"workers.restarted"' in log


def test_given_workers_and_port_zero_then_refused_naming_the_option(tmp_path: Path) -> None:
    path = tmp_path / "vaxel.toml"
    path.write_text(f'dialplans = "{repo_root() / "dialplans"}"\n[fastagi]\nport = 0\n'
                    "[groups.operators]\nmembers = [\"Local/1000@sim-phones\"]\n"
                    "[groups.contact_center]\nmembers = [\"Local/2000@sim-phones\"]\n",
                    encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "vaxel", "serve", "--config", str(path),
                          "--workers", "2"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "--workers: fastagi.port must be a fixed port" in out.stderr


def test_given_supervisor_killed_then_its_workers_end_too(config_file, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, _port = config_file
    log_path = tmp_path / "serve.log"
    proc = _serve_two(path, log_path)
    try:
        assert _wait(lambda: '"workers.started"' in log_path.read_text(encoding="utf-8"))
        workers = _children(proc.pid)
        assert len(workers) == 2
        proc.kill()       # SIGKILL: no chance to stop them itself
        proc.wait()
        assert _wait(lambda: all(not Path(f"/proc/{pid}").exists()
                                 or "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
                                 for pid in workers), 15), "workers outlived their supervisor"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

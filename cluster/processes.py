"""Thin process adapters: start a daemon in its own session, wait until it answers,
stop it by its process id, probe ports (TCP connect, Redis PING, SIP OPTIONS).

Nothing here knows what the processes are; :mod:`cluster.stack` says which to run.
A process started here outlives the command that started it (``vaxel cluster up``
returns) and is stopped by its pid from the state file (``vaxel cluster down``).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from infra.asterisk.instance import process_alive

alive = process_alive
"""True while a pid runs (a zombie counts as gone)."""

#: Seconds a process may take to answer after it started.
READY_TIMEOUT_S = 30.0
#: Seconds stop() waits after SIGTERM before SIGKILL.
STOP_TIMEOUT_S = 10.0
#: Log lines shown when a process fails to start.
LOG_TAIL = 20


class ProcessFailed(RuntimeError):
    """A process exited or did not answer in time; the message has its log tail."""


@dataclass(frozen=True)
class Daemon:
    """One process to run: argv, its log file, and how to tell it is ready."""

    name: str
    argv: tuple[str, ...]
    log: Path
    ready: Callable[[], bool]
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    cwd: Path | None = None


def spawn(daemon: Daemon, timeout: float = READY_TIMEOUT_S) -> int:
    """Start ``daemon`` in a new session (it outlives us) and return its pid once ready."""
    daemon.log.parent.mkdir(parents=True, exist_ok=True)
    with open(daemon.log, "ab") as out:
        proc = subprocess.Popen(list(daemon.argv), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **daemon.env}, cwd=daemon.cwd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ProcessFailed(f"{daemon.name} exited with {proc.returncode}:\n"
                                f"{log_tail(daemon.log)}")
        if daemon.ready():
            return proc.pid
        time.sleep(0.05)
    stop_pid(proc.pid)
    raise ProcessFailed(f"{daemon.name} did not answer in {timeout:.0f} s:\n"
                        f"{log_tail(daemon.log)}")


def log_tail(path: Path, lines: int = LOG_TAIL) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_pid(pid: int, timeout: float = STOP_TIMEOUT_S, sig: int = signal.SIGTERM) -> str:
    """Stop one process (and its session's children): ``sig``, then SIGKILL. Returns how."""
    if not alive(pid):
        return "not running"
    _signal_group(pid, sig)
    if _wait_gone(pid, timeout):
        return "stopped"
    _signal_group(pid, signal.SIGKILL)
    _wait_gone(pid, timeout)
    return "killed"


def kill9(pid: int) -> None:
    """SIGKILL the process alone (a crash, as the fault tests make one)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _wait_gone(pid, STOP_TIMEOUT_S)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # spawn() made each daemon a session (and group) leader
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def rss_kib(pid: int) -> int | None:
    """Resident memory of a process in KiB (VmRSS), None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# -- probes ------------------------------------------------------------------

def tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def redis_ping(host: str, port: int, password: str | None) -> bool:
    """True when Redis (or a Sentinel) answers PING after AUTH."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            if password:
                sock.sendall(_resp("AUTH", password))
                if not sock.recv(64).startswith(b"+OK"):
                    return False
            sock.sendall(_resp("PING"))
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _resp(*parts: str) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def sip_options(host: str, port: int, timeout: float = 0.5) -> int | None:
    """Send a SIP OPTIONS over UDP; the status code of the reply, None if none came."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.settimeout(timeout)
        local = sock.getsockname()[1]
        tag = secrets.token_hex(6)
        message = (
            f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{local};branch=z9hG4bK{tag};rport\r\n"
            f"From: <sip:probe@{host}:{local}>;tag={tag}\r\n"
            f"To: <sip:{host}:{port}>\r\nCall-ID: probe-{tag}@{host}\r\nCSeq: 1 OPTIONS\r\n"
            f"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
        try:
            sock.sendto(message.encode(), (host, port))
            data, _ = sock.recvfrom(4096)
        except OSError:
            return None
    first = data.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


def free_ports(count: int, host: str = "127.0.0.1", kinds: Sequence[str] = ("tcp", "udp"),
               ) -> list[int]:
    """``count`` distinct ports free on ``host`` for TCP and UDP right now (the OS picks)."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in ports and ("udp" not in kinds or _udp_free(host, port)):
            ports.append(port)
    return ports


def _udp_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_udp_range(count: int, attempts: int = 200) -> int:
    """First port of ``count`` consecutive free UDP ports (even, as RTP wants)."""
    import random

    for _ in range(attempts):
        first = random.randrange(20000, 60000 - count, 2)
        if all(_udp_free("127.0.0.1", port) for port in range(first, first + count)):
            return first
    raise ProcessFailed(f"no {count} consecutive free UDP ports in {attempts} attempts")

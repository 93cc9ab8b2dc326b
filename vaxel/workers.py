"""`vaxel serve --workers N`: N controller processes on one FastAGI port, kept running.

Every worker is a whole controller (its own event loop, Redis pool, AMI connection): they
share the FastAGI port with SO_REUSEPORT, so the kernel spreads Asterisk's connections over
them, and they share nothing else but Redis and the database, exactly as two controllers on
two hosts do. Any worker can therefore take any call, resume any call another one started,
and the leases (call recorder, ACD router, retention) keep single-holder jobs single.
Worker ``i`` serves its metrics on ``[reports] metrics_port + i``.

The supervisor (this process) starts the workers, waits until each says it listens
(``ready`` on its standard output), restarts one that dies (after 1 s, doubling up to
30 s while it keeps dying within a minute of its start) and, on SIGTERM or SIGINT, stops
them all and waits for them. It handles no call itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO

import structlog

from infra.tasks import die_with_parent

log = structlog.get_logger("vaxel.workers")

#: Seconds a worker has to say ``ready``.
READY_TIMEOUT_S = 60.0
#: A worker that ran this long before dying starts again with the shortest back-off.
STABLE_S = 60.0
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0


@dataclass
class Backoff:
    """When to start a dead worker again (pure: times in, times out)."""

    delay_s: float = FIRST_BACKOFF_S

    def after_exit(self, started: float, ended: float) -> float:
        """The delay before the next start, given when the worker started and ended."""
        if ended - started >= STABLE_S:
            self.delay_s = FIRST_BACKOFF_S
        delay = self.delay_s
        self.delay_s = min(self.delay_s * 2, MAX_BACKOFF_S)
        return delay


@dataclass
class Worker:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restart_at: float | None = None
    backoff: Backoff = field(default_factory=Backoff)
    restarts: int = 0


class WorkerFailed(RuntimeError):
    """A worker did not start (it exited or said nothing within the time)."""


class Supervisor:
    """Starts ``count`` workers from ``argv_of(i)`` and keeps them running (module doc)."""

    def __init__(self, argv_of: Callable[[int], Sequence[str]], count: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.argv_of = argv_of
        self.workers = [Worker(i) for i in range(count)]
        self.clock = clock
        self.stopping = False

    def __repr__(self) -> str:
        alive = sum(1 for w in self.workers if w.proc is not None and w.proc.poll() is None)
        return f"<Supervisor {alive}/{len(self.workers)} workers running>"

    def start(self) -> None:
        """Start the workers one after the other, each once the one before listens (the
        first may still be migrating a new database); on failure stop all and raise."""
        try:
            for worker in self.workers:
                self._spawn(worker)
                assert worker.proc is not None and worker.proc.stdout is not None
                _await_ready(worker, worker.proc.stdout)
        except BaseException:
            self.stop()
            raise
        log.info("workers.started", count=len(self.workers),
                 pids=[w.proc.pid for w in self.workers if w.proc is not None])

    def _spawn(self, worker: Worker) -> None:
        # A worker ends with its supervisor, even one killed with SIGKILL.
        worker.proc = subprocess.Popen(list(self.argv_of(worker.index)), stdout=subprocess.PIPE,
                                       stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        worker.started = self.clock()
        worker.restart_at = None

    def tend(self) -> None:
        """One round: note dead workers, start those whose back-off has passed."""
        now = self.clock()
        for worker in self.workers:
            proc = worker.proc
            if proc is not None and proc.poll() is not None and worker.restart_at is None:
                if proc.stdout is not None:
                    proc.stdout.close()
                delay = worker.backoff.after_exit(worker.started, now)
                worker.restart_at = now + delay
                log.warning("workers.died", worker=worker.index, pid=proc.pid,
                            exit=proc.returncode, restart_in_s=delay)
            if worker.restart_at is not None and now >= worker.restart_at and not self.stopping:
                self._spawn(worker)
                worker.restarts += 1
                log.info("workers.restarted", worker=worker.index,
                         pid=worker.proc.pid if worker.proc else None)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to every worker, then wait (SIGKILL after ``timeout``)."""
        self.stopping = True
        procs = [w.proc for w in self.workers if w.proc is not None and w.proc.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def run(self, every_s: float = 0.2) -> None:
        """Until SIGTERM/SIGINT: keep the workers running, then stop them."""
        def on_signal(_sig: int, _frame: object) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        while not self.stopping:
            self.tend()
            time.sleep(every_s)
        log.info("workers.stopping")
        self.stop()
        log.info("workers.stopped")


def _await_ready(worker: Worker, out: IO[bytes]) -> None:
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(out, selectors.EVENT_READ)
        if not sel.select(READY_TIMEOUT_S):
            raise WorkerFailed(f"worker {worker.index} did not start in {READY_TIMEOUT_S:g} s")
        line = out.readline()
    if b"ready" not in line:
        code = worker.proc.wait() if worker.proc is not None else None
        raise WorkerFailed(f"worker {worker.index} exited (status {code}) before listening; "
                           "its error is above")


def worker_argv(argv: Sequence[str], index: int) -> list[str]:
    """This command line for worker ``index``: ``--workers N`` replaced by ``--worker I``."""
    out: list[str] = [sys.executable, "-m", "vaxel"]
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--workers":
            skip = True
            continue
        if arg.startswith("--workers="):
            continue
        out.append(arg)
    return [*out, "--worker", str(index)]


def announce_ready() -> None:
    """A worker tells the supervisor it listens (one line on standard output); what it
    prints later goes to its standard error, which the supervisor never reads."""
    os.write(sys.stdout.fileno(), b"ready\n")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

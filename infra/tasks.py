"""Stopping background tasks without ever hanging a shutdown; the event loop a process runs on
(`run`); a child process that ends with its parent."""

from __future__ import annotations

import asyncio
import ctypes
import signal
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import structlog

from infra.errors import UserError

log = structlog.get_logger("infra.tasks")

T = TypeVar("T")


async def cancel_bounded(tasks: Sequence[asyncio.Task[Any] | None], timeout: float) -> None:
    """Cancel the tasks and wait at most ``timeout`` s for them to end. ``asyncio.wait``,
    not ``wait_for``: wait_for waits without bound for a task that ignores its cancellation.
    A task still running after half the time (its own clean-up, which may await, had that
    long) is cancelled again every ``RECANCEL_S``: on Python 3.11 a cancellation can be lost
    inside a task (then it runs on, and the event loop's own cancel at shutdown may be lost
    the same way, hanging the shutdown). One still running at the end is logged with where
    it waits."""
    live = [task for task in tasks if task is not None and not task.done()]
    if not live:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for task in live:
        task.cancel()
    _, pending = await asyncio.wait(live, timeout=timeout / 2)
    while pending:
        left = deadline - loop.time()
        if left <= 0:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_S, left))
    for task in pending:
        log.error("task.stuck", task=task.get_name(), waits_at=where(task))
    for task in live:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("task.failed", task=task.get_name(), error=str(task.exception()))


#: How often a task that has not ended is cancelled again (see `cancel_bounded`).
RECANCEL_S = 0.1


def where(task: asyncio.Task[Any]) -> str:
    """Where a suspended task waits: its chain of awaits, outermost first (``Task.get_stack``
    gives only the outermost frame of a coroutine)."""
    parts: list[str] = []
    obj: Any = task.get_coro()
    while obj is not None and len(parts) < 24:
        frame = getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None)
        if frame is None:
            parts.append(repr(obj)[:160])
            break
        parts.append(f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno} "
                     f"{frame.f_code.co_name}")
        obj = getattr(obj, "cr_await", None) or getattr(obj, "gi_yieldfrom", None)
    return " > ".join(parts)


def run(main: Coroutine[Any, Any, T], event_loop: str = "auto") -> T:
    """``asyncio.run(main)`` on uvloop (``uvloop``, or ``auto`` when it is installed) or on
    asyncio's own loop (``asyncio``). uvloop's transports and timers are in C: a controller
    on it used about a sixth less CPU per call at 100 calls/s (bench/bench_callflow.py)."""
    if event_loop != "asyncio":
        try:
            import uvloop
        except ImportError:
            if event_loop == "uvloop":
                raise UserError('event_loop = "uvloop": the uvloop package is not installed '
                                '(pip install uvloop), or set it to "asyncio"') from None
        else:
            return uvloop.run(main)
    return asyncio.run(main)


#: linux/prctl.h: deliver a signal to this process when its parent dies.
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before exec (``preexec_fn``): SIGTERM when the parent dies (Linux prctl
    PR_SET_PDEATHSIG), so a killed supervisor leaves no process behind."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

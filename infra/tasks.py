"""Stopping background tasks without ever hanging a shutdown."""

from __future__ import annotations

import asyncio
import ctypes
import signal
from collections.abc import Sequence
from typing import Any

import structlog

log = structlog.get_logger("infra.tasks")


async def cancel_bounded(tasks: Sequence[asyncio.Task[Any] | None], timeout: float) -> None:
    """Cancel the tasks and wait at most ``timeout`` s for them to end. ``asyncio.wait``,
    not ``wait_for``: wait_for waits without bound for a task that ignores its cancellation,
    and on Python 3.11 a cancellation can be lost inside a task (then it runs on)."""
    live = [task for task in tasks if task is not None and not task.done()]
    for task in live:
        task.cancel()
    if not live:
        return
    _, pending = await asyncio.wait(live, timeout=timeout)
    for task in pending:
        log.error("task.stuck", task=task.get_name())
    for task in live:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("task.failed", task=task.get_name(), error=str(task.exception()))


#: linux/prctl.h: deliver a signal to this process when its parent dies.
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before exec (``preexec_fn``): SIGTERM when the parent dies (Linux prctl
    PR_SET_PDEATHSIG), so a killed supervisor leaves no process behind."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

"""The overload gate's adapter: measures the event loop's lag, logs and counts overload.

`LoadWatch.run()` is a background task that sleeps `LAG_EVERY_S` and feeds how late it woke
to the `LoadGate`; `offer()`/`ended()` wrap each new IVR call. A change of state is one log
line (``controller.overloaded`` with the reason, ``controller.recovered`` with how many
calls went to the operators meanwhile), never a line per refused call: logging per call is
what an overloaded controller can least afford. `metrics()` gives the counters and gauges.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

from ivr.overload import Change, LoadGate, OverloadEnded, OverloadLimits, OverloadStarted

log = structlog.get_logger("vaxel.load")
#: Seconds between two measurements of the event loop's lag.
LAG_EVERY_S = 0.1


class LoadWatch:
    def __init__(self, limits: OverloadLimits,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.gate = LoadGate(limits)
        self._clock = clock

    def __repr__(self) -> str:
        return f"<LoadWatch {self.gate!r}>"

    def offer(self) -> bool:
        """Take this new call into the IVR? False: leave it to the dialplan's fallback now."""
        taken, change = self.gate.offer(self._clock())
        self._report(change)
        return taken

    def ended(self) -> None:
        self._report(self.gate.ended(self._clock()))

    def metrics(self) -> dict[str, float | int | bool]:
        g = self.gate
        return {"calls_active": g.active, "calls_admitted_total": g.admitted,
                "calls_refused_overload_total": g.refused, "overloaded": g.overloaded,
                "loop_lag_ms": round(g.lag_ms, 1)}

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(LAG_EVERY_S)
            lag_ms = max(0.0, (loop.time() - before - LAG_EVERY_S) * 1000)
            self._report(self.gate.lag(lag_ms, self._clock()))

    def _report(self, change: Change) -> None:
        if isinstance(change, OverloadStarted):
            log.warning("controller.overloaded", reason=change.reason, active=change.active,
                        lag_ms=round(change.lag_ms, 1), max_calls=self.gate.limits.max_calls,
                        max_lag_ms=self.gate.limits.max_lag_ms,
                        effect="new calls go to the operators (dialplan fallback) at once")
        elif isinstance(change, OverloadEnded):
            log.info("controller.recovered", refused=change.refused,
                     seconds=round(change.seconds, 1))

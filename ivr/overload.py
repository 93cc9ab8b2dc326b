"""Overload as a state: when a controller cannot keep up, new calls go to a human at once.

`LoadGate` decides, for each new call, whether this controller takes it into the IVR or
leaves it to the dialplan's fallback (the operators' group) straight away, instead of
letting the caller wait on prompts that come late or on a timeout. A controller is
overloaded while it runs `OverloadLimits.max_calls` IVR sessions, or while its event loop
lags by `max_lag_ms` or more (a loop that late answers every caller late); it recovers once
the lag has stayed under half that for `recover_s`. The gate is pure: the adapter feeds it
time and measured lag and logs the `OverloadStarted`/`OverloadEnded` it returns; its
counters (`admitted`, `refused`, `active`) are the controller's load metrics.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OverloadLimits:
    max_calls: int = 0
    """IVR sessions a controller runs at once; a new call beyond them takes the fallback.
    0: no limit."""
    max_lag_ms: float = 1000.0
    """Event-loop lag at which the controller refuses new calls. 0: never."""
    recover_s: float = 2.0
    """Seconds the lag must stay under half of ``max_lag_ms`` before new calls come in."""


@dataclass(frozen=True)
class OverloadStarted:
    reason: str          # "calls" or "lag"
    active: int
    lag_ms: float


@dataclass(frozen=True)
class OverloadEnded:
    refused: int         # calls refused while it lasted
    seconds: float


Change = OverloadStarted | OverloadEnded | None


class LoadGate:
    """See the module docstring. ``offer`` per new call, ``ended`` when its session ends,
    ``lag`` with each measurement of the event loop's lateness."""

    def __init__(self, limits: OverloadLimits) -> None:
        self.limits = limits
        self.active = 0
        self.admitted = 0
        self.refused = 0
        self.lag_ms = 0.0
        self.reason = ""
        self._since = 0.0
        self._refused_at_start = 0
        self._lagging = False
        self._calm_since: float | None = None

    def __repr__(self) -> str:
        state = f"overloaded ({self.reason})" if self.reason else "accepting"
        return (f"<LoadGate {state}: {self.active} active, {self.admitted} admitted, "
                f"{self.refused} refused, lag {self.lag_ms:.0f} ms>")

    @property
    def overloaded(self) -> bool:
        return bool(self.reason)

    def offer(self, now: float) -> tuple[bool, Change]:
        """(take the call?, change of state). A taken call counts as active until `ended`."""
        change = self._update(now)
        if self.reason:
            self.refused += 1
            return False, change
        self.active += 1
        self.admitted += 1
        return True, change

    def ended(self, now: float) -> Change:
        self.active = max(0, self.active - 1)
        return self._update(now)

    def lag(self, lag_ms: float, now: float) -> Change:
        """A measurement of how late the event loop ran a timer."""
        self.lag_ms = lag_ms
        limit = self.limits.max_lag_ms
        if limit and lag_ms >= limit:
            self._lagging, self._calm_since = True, None
        elif self._lagging and lag_ms < limit / 2:
            if self._calm_since is None:
                self._calm_since = now
            if now - self._calm_since >= self.limits.recover_s:
                self._lagging = False
        elif self._lagging:
            self._calm_since = None
        return self._update(now)

    def _update(self, now: float) -> Change:
        full = self.limits.max_calls and self.active >= self.limits.max_calls
        reason = "lag" if self._lagging else "calls" if full else ""
        if reason and not self.reason:
            self.reason, self._since, self._refused_at_start = reason, now, self.refused
            return OverloadStarted(reason, self.active, self.lag_ms)
        if not reason and self.reason:
            self.reason = ""
            return OverloadEnded(self.refused - self._refused_at_start, now - self._since)
        self.reason = reason
        return None

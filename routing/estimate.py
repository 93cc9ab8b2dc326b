"""Estimated wait: recent handle times and the agents actually staffed.

The estimate for a caller at `position` (1 = next) is::

    estimated_wait = position * AHT / N

where AHT (average handle time) is the mean of the queue's last `handle_window`
handle times (talk time plus the queue's wrap-up time, the time an agent is taken by
one call) and N is the number of agents staffed for *this* call: logged in, not
paused, members of the queue, meeting the call's requirements in force. The N agents
together finish about N calls per AHT, so `position` calls are through in about
`position * AHT / N` seconds. Before any call is handled AHT is the queue's
`default_handle_s`. With N = 0 the estimate is unknown (None), never a made-up number.
"""

from __future__ import annotations

from collections import deque


class HandleTimes:
    """A moving window of handle times (seconds) for one queue."""

    def __init__(self, window: int, default_s: float) -> None:
        self._window: deque[float] = deque(maxlen=window)
        self._default_s = default_s

    def __len__(self) -> int:
        return len(self._window)

    def record(self, seconds: float) -> None:
        self._window.append(max(0.0, seconds))

    def average(self) -> float:
        """Mean of the window, or the configured default before any call."""
        if not self._window:
            return self._default_s
        return sum(self._window) / len(self._window)


def estimate_wait(position: int, average_handle_s: float, staffed: int) -> float | None:
    """`position * AHT / N` rounded to whole seconds; None when nobody is staffed."""
    if staffed <= 0:
        return None
    return float(round(position * average_handle_s / staffed))

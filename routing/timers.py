"""A pure timer wheel for the engine: named deadlines, no clock.

Each timer is identified by (kind, subject), for example ("ring", call id). Arming
it again replaces the old deadline; cancelling forgets it. The heap uses lazy
deletion: an entry is live only while its token is the current token of its name.
The engine asks `next_deadline()`; the adapter arms one real timer for it and
reports `TimerFired`, and the engine collects `due(now)`.
"""

from __future__ import annotations

import heapq
import itertools

TimerName = tuple[str, str]


class Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, str]] = []
        self._live: dict[TimerName, int] = {}
        self._tokens = itertools.count()

    def __len__(self) -> int:
        return len(self._live)

    def arm(self, kind: str, subject: str, when: float) -> None:
        token = next(self._tokens)
        self._live[(kind, subject)] = token
        heapq.heappush(self._heap, (when, token, kind, subject))

    def cancel(self, kind: str, subject: str) -> None:
        self._live.pop((kind, subject), None)

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap and self._live.get((heap[0][2], heap[0][3])) != heap[0][1]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def due(self, now: float) -> list[TimerName]:
        """Pop every live timer with a deadline at or before `now`, earliest first."""
        fired: list[TimerName] = []
        while (deadline := self.next_deadline()) is not None and deadline <= now:
            _, _, kind, subject = heapq.heappop(self._heap)
            del self._live[(kind, subject)]
            fired.append((kind, subject))
        return fired

"""When each phone last ended a call, in Redis: the input of ``longest_idle`` groups.

Key ``vaxel:idle`` is a hash: device dial string (``PJSIP/4711``) -> epoch seconds of
the end of its last answered call. ``IdleRecorder`` keeps it from the AMI ``Hangup``
events of answered channels (``ivr.answering.ended_call_device`` decides), so every
controller sees the same times and a restart forgets nothing. A Redis failure while
recording is logged and the loop goes on; while reading, the group rings in its own
order (logged): a missing idle time must never keep a call from ringing. The recorder
writes the call ends of ``BATCH_S`` (50 ms) at once, one HSET for all (every call ends
several channels: one write each was a Redis round trip each).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from infra.ami import AmiClient, AmiMessage
from ivr.answering import ended_call_device

log = structlog.get_logger(__name__)

IDLE_KEY = "vaxel:idle"
#: Seconds of call ends the recorder gathers before one write.
BATCH_S = 0.05


class IdleStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"<IdleStore {IDLE_KEY}>"

    async def call_ended(self, device: str, at: datetime) -> None:
        await self.calls_ended({device: at})

    async def calls_ended(self, ended: Mapping[str, datetime]) -> None:
        """Record several call ends in one write."""
        if ended:
            await self.client.hset(IDLE_KEY, mapping={
                device: str(at.timestamp()) for device, at in ended.items()})

    async def idle_since(self, members: Sequence[str]) -> dict[str, float]:
        """Last call end of each member that has one (empty when Redis fails)."""
        if not members:
            return {}
        try:
            values = await self.client.hmget(IDLE_KEY, list(members))
        except RedisError as exc:
            log.warning("idle.read_failed", error=str(exc))
            return {}
        return {m: float(v) for m, v in zip(members, values, strict=True) if v is not None}


def _is_hangup(event: AmiMessage) -> bool:
    return event.get("Event") == "Hangup"


class IdleRecorder:
    """Consumes AMI ``Hangup`` events and records the end of answered calls."""

    def __init__(self, ami: AmiClient, store: IdleStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self.recorded = 0
        self._events = ami.subscribe(_is_hangup)

    def __repr__(self) -> str:
        return f"<IdleRecorder {self.recorded} call ends recorded>"

    async def run(self) -> None:
        """Until cancelled: the events of each ``BATCH_S`` recorded together."""
        queue = self._events.queue
        try:
            while True:
                events = [await queue.get()]
                await asyncio.sleep(BATCH_S)
                while not queue.empty():
                    events.append(queue.get_nowait())
                await self.record(events)
        finally:
            self._events.close()

    async def feed(self, event: AmiMessage) -> None:
        await self.record([event])

    async def record(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Record the call ends among ``events`` (one write; a Redis failure is logged)."""
        at = self.clock()
        ended: dict[str, datetime] = {}
        for event in events:
            device = ended_call_device({k: str(v) for k, v in event.items()})
            if device is not None:
                ended[device] = at
        if not ended:
            return
        try:
            await self.store.calls_ended(ended)
        except RedisError as exc:
            log.warning("idle.record_failed", devices=sorted(ended), error=str(exc))
            return
        self.recorded += len(ended)

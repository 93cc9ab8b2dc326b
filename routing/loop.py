"""`RoutingLoop`: a minimal single-controller adapter loop around one `Engine`, the
Redis store and a call control.

The production controller (lease, take-over, AMI) is `routing.service` (the lead's);
this loop is the smallest correct composition of engine and store, used by the
routing tests to pin down how the store must be written around engine decisions
(`tests/routing/test_loop_consistency.py`). It has the shape of every Vaxel adapter:
read an event, write the store for what it reports, feed the engine, perform the
commands it returns, re-arm the timer. Commands that touch callers and phones go to
a `CallControl`; claims and the bookkeeping of the store are done here:

* events reported by the call control (`submit`): the store is written first (answer,
  release after a miss, finish, callback), then the engine decides;
* events followed from the stream (`followed`, see `routing.follow`): the store already
  has them; only the engine is fed, and a repeat it refuses is logged and skipped;
* `OfferCall`: atomic claim in the store, then ring; a refused claim is fed back as
  `ClaimFailed`; engine timers that change the store (ring timeout, wrap-up end, maximum
  wait) are mirrored from the engine's `RecordEvent`s.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Protocol

import structlog

from routing import messages as m
from routing.engine import Engine
from routing.errors import ClaimConflict, RoutingError
from routing.model import QueueConfig
from routing.store import RoutingStore, claim_failed

log = structlog.get_logger("routing.loop")

#: Engine records of facts no store script sees; the service appends them to the stream.
ENGINE_ONLY_KINDS = frozenset({"call_escalated", "call_rejected"})


class CallControl(Protocol):
    """What the service asks of Asterisk; outcomes come back through `submit`."""

    async def ring(self, offer: m.OfferCall) -> None: ...
    async def stop_ringing(self, cancel: m.CancelOffer) -> None: ...
    async def announce(self, announce: m.AnnounceWait) -> None: ...
    async def offer_callback(self, offer: m.OfferCallback) -> None: ...
    async def reject(self, reject: m.RejectCall) -> None: ...
    async def leave_queue(self, leave: m.LeaveQueue) -> None: ...


class RoutingLoop:
    def __init__(self, engine: Engine, store: RoutingStore, control: CallControl,
                 queues: Mapping[str, QueueConfig],
                 clock: Callable[[], float] = time.time) -> None:
        self.engine, self.store, self.control = engine, store, control
        self._queues = queues
        self._clock = clock
        self._inbox: asyncio.Queue[tuple[m.Event, bool]] = asyncio.Queue()

    def submit(self, event: m.Event) -> None:
        """An outcome reported by the call control (or a new call from the IVR)."""
        self._inbox.put_nowait((event, False))

    def followed(self, event: m.Event) -> None:
        """A change already in the store (from `routing.follow`)."""
        self._inbox.put_nowait((event, True))

    async def run(self) -> None:
        """Serve events and timers until cancelled."""
        while True:
            deadline = self.engine.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            try:
                async with asyncio.timeout(timeout):  # not wait_for: see RoutingService
                    event, in_store = await self._inbox.get()
            except TimeoutError:
                event, in_store = m.TimerFired(), True
            try:
                await self.step(event, in_store=in_store)
            except RoutingError as exc:  # one bad report must not stop the routing
                log.error("event failed", event_type=type(event).__name__, error=str(exc))

    async def step(self, event: m.Event, *, in_store: bool = False) -> None:
        """Handle one event now and perform what follows from it."""
        now = self._clock()
        if not in_store:
            await self._write_reported(event, now)
        try:
            commands = self.engine.handle(event, now)
        except RoutingError as exc:
            if not in_store:
                raise
            log.warning("followed event refused", event_type=type(event).__name__, error=str(exc))
            return
        if isinstance(event, m.CallEnqueued) and not any(
                isinstance(c, m.RejectCall) for c in commands):
            await self.store.enqueue(self.engine.call(event.call_id))
        await self._perform(deque(commands), now, timers=isinstance(event, m.TimerFired))

    async def _write_reported(self, event: m.Event, now: float) -> None:
        match event:
            case m.OfferAnswered(call_id, agent_id):
                await self.store.answer(call_id, agent_id, now)
            case m.OfferTimedOut(call_id, agent_id) | m.OfferRejected(call_id, agent_id):
                await self._release(call_id, agent_id, now, type(event).__name__)
            case m.CallEnded(call_id):
                await self.store.finish(call_id, now, "call_ended")
            case m.CallAbandoned(call_id):
                await self.store.finish(call_id, now, "call_abandoned")
            case m.CallbackRequested(call_id):
                await self.store.request_callback(call_id, now)

    async def _release(self, call_id: str, agent_id: str, now: float, cause: str) -> None:
        queue = self._queues[self.engine.call(call_id).queue]
        await self.store.release(call_id, agent_id, now, event=cause, missed=True,
                                 max_misses=queue.max_misses)

    async def _perform(self, commands: deque[m.Command], now: float, timers: bool) -> None:
        while commands:
            match commands.popleft():
                case m.OfferCall() as offer:
                    try:
                        await self.store.claim(offer.call_id, offer.agent_id, now)
                    except ClaimConflict as conflict:
                        log.info("claim refused", call_id=offer.call_id, error=str(conflict))
                        commands += self.engine.handle(claim_failed(conflict), now)
                        continue
                    await self.control.ring(offer)
                case m.CancelOffer() as cancel:
                    if timers:  # only the ring timer cancels an offer on TimerFired
                        await self._release(cancel.call_id, cancel.agent_id, now, "RingTimeout")
                    await self.control.stop_ringing(cancel)
                case m.AnnounceWait() as announce:
                    await self.control.announce(announce)
                case m.OfferCallback() as offer_cb:
                    await self.control.offer_callback(offer_cb)
                case m.RejectCall() as reject:
                    await self.control.reject(reject)
                case m.LeaveQueue() as leave:
                    await self.store.finish(leave.call_id, now, "call_left_queue")
                    await self.control.leave_queue(leave)
                case m.RecordEvent() as record:
                    await self._mirror(record, now)

    async def _mirror(self, record: m.RecordEvent, now: float) -> None:
        """Store changes the engine made on its own: the end of wrap-up (timer, or none
        configured). The ring timeout is mirrored at its `CancelOffer`, the maximum wait
        at its `LeaveQueue`; everything else was written before the engine decided."""
        if record.kind == "agent_state" and record.agent_id and record.cause == "WrapUpTimer":
            await self.store.end_wrap_up(record.agent_id, now, by_timer=True)
        elif record.kind in ENGINE_ONLY_KINDS:
            await self.store.record(record)

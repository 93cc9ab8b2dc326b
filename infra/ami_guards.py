"""The guards the AMI client puts around panoramisk 1.4 (see `infra.ami`).

`GuardedManager` is panoramisk's `Manager` without its own reconnects and its unchecked
pings (only `infra.ami.AmiClient`'s watchdog reconnects); `FORGETABLE_ACTIONS` are the
actions panoramisk must never replay after a reconnect; a `Subscription` is a bounded
queue that panoramisk's reader only puts events on, so nothing slow runs inside it;
`first_of` waits for the Login reply or a lost connection without cancelling either.
Invariants: a failed connection attempt leaves the manager disconnected and schedules no
retry; a subscription receives events from the moment it is created until it is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import structlog
from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol

from infra.ami_codec import AmiEvent, read_message

log = structlog.get_logger(__name__)

#: Longest unfinished AMI message kept (bytes decoded); a peer that sends more without the
#: blank line that ends a message is cut off (then AmiClient reconnects).
MAX_AMI_MESSAGE = 1 << 20

#: Actions that must never be sent twice: panoramisk replays unanswered actions after a
#: reconnect unless their (lower-case) name is listed here.
FORGETABLE_ACTIONS = frozenset(
    {
        "ping",
        "login",
        "originate",
        "redirect",
        "bridge",
        "hangup",
        "atxfer",
        "blindtransfer",
        "playdtmf",
        "senddtmf",
        "setvar",
        "queueadd",
        "queueremove",
        "queuepause",
        "userevent",
        "dbput",
        "dbdel",
    }
)

#: Events a slow subscriber may have queued before newer ones are dropped (and logged).
SUBSCRIBER_QUEUE_SIZE = 10_000


class GuardedProtocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's AMI reader, bounded: a message longer than ``MAX_AMI_MESSAGE`` or
    bytes its parser chokes on close the connection (logged) instead of growing memory
    or raising inside the event loop's reader."""

    def data_received(self, data: bytes) -> None:
        try:
            self._receive(data)
        except Exception as exc:  # a parser error must not kill the reader: reconnect
            self._cut(f"unreadable AMI data: {type(exc).__name__}: {exc}"[:300])
            return
        if sum(len(part) for part in self.queue) > MAX_AMI_MESSAGE:
            self.queue.clear()
            self._cut(f"an AMI message longer than {MAX_AMI_MESSAGE} bytes")

    def _receive(self, data: bytes) -> None:
        """panoramisk's ``data_received`` (without its debug stream copy), events read by
        `infra.ami_codec` (a tenth of a controller's CPU went to panoramisk's parser)."""
        text = data.decode(getattr(self, "encoding", "ascii"), "ignore")
        if getattr(self, "version", None) is None and text.startswith(
                "Asterisk Call Manager/"):
            self.version = text.partition("\r\n")[0].partition("/")[2].strip()
        if self.queue:
            text = self.queue.popleft() + text
        parts = text.split("\r\n\r\n")
        self.queue.append(parts.pop())
        for part in parts:
            message = read_message(part.strip())
            if message is not None:
                self.handle_message(message)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, AmiEvent) and not message._ids:
            # An event no action waits for (most of them): straight to the subscribers.
            if message.event.lower() == "shutdown":
                self.connection_lost(message)
            self.factory.dispatch(message)
            return
        super().handle_message(message)

    def _cut(self, reason: str) -> None:
        log.error("ami.bad_data", reason=reason)
        transport = getattr(self, "transport", None)
        if transport is not None:
            transport.abort()


class GuardedManager(Manager):  # type: ignore[misc]
    """panoramisk's Manager without its own reconnects and unchecked pings."""

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        if f.cancelled() or f.exception() is not None:
            self._connected = False  # AmiClient reports it; no retry behind its back
            return
        super().connection_made(f)

    def ping(self) -> None:
        """Replaced by AmiClient's watchdog, which checks the replies."""

    def connection_lost(self, exc: Exception | None) -> None:
        self._connected = False
        pinger = getattr(self, "pinger", None)
        if pinger is not None:
            pinger.cancel()
        self.pinger = None
        self.on_disconnect(self, exc)


class Subscription:
    """Events matching a predicate, queued from the moment `subscribe()` returned.

    Events are `infra.ami.AmiMessage`s; `close()` removes it from ``subscribers`` (the
    client's set, whose members panoramisk's reader feeds)."""

    def __init__(self, subscribers: set[Subscription],
                 predicate: Callable[[Mapping[str, Any]], bool]) -> None:
        self.predicate = predicate
        self.queue: asyncio.Queue[Mapping[str, Any]] = asyncio.Queue(SUBSCRIBER_QUEUE_SIZE)
        self._subscribers = subscribers

    def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        return self

    async def __anext__(self) -> Mapping[str, Any]:
        return await self.queue.get()

    async def get(self, timeout: float | None = None) -> Mapping[str, Any]:
        async with asyncio.timeout(timeout):  # wait_for may swallow a cancellation (3.11)
            return await self.queue.get()

    def close(self) -> None:
        self._subscribers.discard(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


async def first_of(future: asyncio.Future[Any], event: asyncio.Event, timeout: float) -> None:
    """Wait until `future` is done or `event` is set or `timeout` passed; cancel nothing."""

    async def done() -> None:
        await asyncio.wait([future])

    tasks = [asyncio.ensure_future(done()), asyncio.ensure_future(event.wait())]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()

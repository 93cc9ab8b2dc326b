"""The live feed: AMI events and the routing event stream, fanned out to WebSocket clients.

One ``Hub`` per console process. It tails the controllers' event stream (``vaxel:events``,
XREAD BLOCK) and listens to AMI; every routing entry and every AMI event of a call is
forwarded at once as an event (``routing``, ``ami``), and the state the pages draw
(``snapshot``: queues with waiting calls and wallboard figures, agents, link health) is
recomputed at most every ``snapshot_every_s`` when something changed and at least every
``tick_s``. Each message is encoded once and put on every client's bounded queue; a
client too slow to keep up is disconnected rather than slowing the others. The hub's
memory (today's entries, agent times, channels) is rebuilt from Redis and AMI on start
and after a reconnect: a restart loses nothing.

A frame is one event, or a JSON array of the events that were waiting for that client (a
burst of AMI events costs one send per client). Event types (``type``): ``hello`` (on
connect: the user and the server time), ``snapshot``,
``routing`` (one stream entry: ``entry``), ``ami`` (``event``: the AMI event's name and its
Uniqueid, Linkedid, Channel, BridgeUniqueid, Device, State, Exten fields), ``health``
(``ami``, ``redis``: true when up).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from console.deps import ConsoleDeps
from console.metrics import ConsoleMetrics
from console.views import AgentTimes, DeviceTracker, agent_row, queue_figures, waiting_rows
from reports.stats import summarise
from routing.errors import RoutingError

log = structlog.get_logger(__name__)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: Seconds ``Hub.stop`` waits for its tasks to end.
STOP_S = 3.0
#: Messages a client may have unsent before it is dropped.
CLIENT_QUEUE = 500
#: AMI events forwarded to clients (the rest only feed the device tracker, or nothing).
FORWARDED = frozenset({"Newchannel", "Hangup", "BridgeEnter", "BridgeLeave", "DialBegin",
                       "DialEnd", "DeviceStateChange", "ExtensionStatus", "ParkedCall",
                       "UnParkedCall", "ParkedCallTimeOut", "UserEvent", "Newstate"})
_AMI_FIELDS = ("Event", "Uniqueid", "Linkedid", "Channel", "BridgeUniqueid", "Device",
               "State", "Exten", "Status", "ChannelStateDesc", "ParkingSpace", "ParkeeChannel",
               "UserEvent", "DestChannel", "DialStatus", "Timestamp")


def day_start(now: float) -> float:
    """Midnight of the city's day of ``now`` (epoch s): "today" on the wallboard."""
    local = datetime.fromtimestamp(now, STOCKHOLM)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class ClientFeed:
    """What one WebSocket client has yet to get: messages wait in a list and one event
    wakes the sender (no task per message); past ``CLIENT_QUEUE`` unsent messages the
    client is dropped."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.wake = asyncio.Event()
        self.dropped = False

    def put(self, text: str) -> None:
        if len(self.pending) >= CLIENT_QUEUE:
            self.dropped = True
        else:
            self.pending.append(text)
        self.wake.set()

    async def take(self) -> list[str]:
        """The messages waiting now (waits for at least one); [] when dropped."""
        await self.wake.wait()
        self.wake.clear()
        if self.dropped:
            return []
        batch, self.pending = self.pending, []
        return batch


class Hub:
    """See the module docstring."""

    def __init__(self, deps: ConsoleDeps, clock: Callable[[], float] = time.time,
                 metrics: ConsoleMetrics | None = None) -> None:
        self.deps = deps
        self.clock = clock
        self.metrics = metrics or ConsoleMetrics()
        self._was_up: set[str] = set()
        self.clients: set[ClientFeed] = set()
        self.entries: list[dict[str, str]] = []
        self.times = AgentTimes()
        self.devices = DeviceTracker()
        self.health = {"ami": False, "redis": False}
        self.last_snapshot: dict[str, Any] = {}
        self._after = "0-0"
        self._day = 0.0
        self._dirty = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def __repr__(self) -> str:
        return f"<Hub {len(self.clients)} clients, {len(self.entries)} entries today>"

    # --- clients ----------------------------------------------------------------------

    def add_client(self) -> ClientFeed:
        feed = ClientFeed()
        self.clients.add(feed)
        self.metrics.websocket_clients.set(len(self.clients))
        return feed

    def remove_client(self, feed: ClientFeed) -> None:
        self.clients.discard(feed)
        self.metrics.websocket_clients.set(len(self.clients))

    def broadcast(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, ensure_ascii=False, default=str)
        for feed in list(self.clients):
            feed.put(text)
        self.metrics.pushed(str(message.get("type", "?")), len(self.clients))

    # --- running ----------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(fn(), name=f"console-{fn.__name__}")
                       for fn in (self._tail_stream, self._pump_ami, self._ticker)]

    async def stop(self) -> None:
        """Cancel the hub's tasks and wait for them, bounded (a lost cancellation must not
        hang the console's shutdown)."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=STOP_S)
            for task in pending:
                log.error("console.task_stuck", task=task.get_name())
        self._tasks = []

    def _set_health(self, part: str, up: bool) -> None:
        if self.health[part] != up:
            self.health[part] = up
            if up or part in self._was_up:  # a first "down" before ever up is no failure
                self.metrics.link(part, up, was_up_before=part in self._was_up)
            if up:
                self._was_up.add(part)
            self.broadcast({"type": "health", **self.health})
            self._dirty.set()

    async def _load_today(self) -> None:
        """Today's entries from the stream (once at start, again after Redis returns)."""
        self._day = day_start(self.clock())
        after = f"{int((self._day - 60) * 1000)}-0"
        entries: list[dict[str, str]] = []
        times = AgentTimes()
        while rows := await self.deps.routing.events(after, count=5000):
            for entry_id, fields in rows:
                entries.append(fields)
                times.feed(fields)
                after = entry_id
        self.entries, self.times, self._after = entries, times, after

    async def _tail_stream(self) -> None:
        loaded = False
        while True:
            try:
                if not loaded:
                    await self._load_today()
                    loaded = True
                    self._set_health("redis", True)
                rows = await self.deps.routing.events(self._after, count=1000, block_ms=1000)
                self._set_health("redis", True)
            except RoutingError as exc:
                log.warning("console.redis_down", error=str(exc))
                self._set_health("redis", False)
                loaded = False
                await asyncio.sleep(0.5)
                continue
            for entry_id, fields in rows:
                self._after = entry_id
                self.entries.append(fields)
                self.times.feed(fields)
                self.broadcast({"type": "routing", "id": entry_id, "entry": fields})
            if rows:
                self._dirty.set()
            if day_start(self.clock()) != self._day:
                loaded = False

    async def _pump_ami(self) -> None:
        ami = self.deps.ami
        if ami is None:
            return
        subscription = ami.subscribe(lambda e: e.get("Event") in FORWARDED
                                     or e.get("Event") in ("Rename", "FullyBooted"))
        rebuilt, reconnects = False, getattr(ami, "reconnects", 0)
        try:
            while True:
                if not ami.connected:
                    self._set_health("ami", False)
                    rebuilt = False
                    await asyncio.sleep(0.2)
                    continue
                if getattr(ami, "reconnects", 0) != reconnects:  # a reconnect in between
                    rebuilt, reconnects = False, getattr(ami, "reconnects", 0)
                if not rebuilt:
                    rebuilt = await self._rebuild_channels()
                try:
                    event = await subscription.get(0.5)
                except TimeoutError:
                    continue
                self._on_ami(event)
        finally:
            subscription.close()

    async def _rebuild_channels(self) -> bool:
        try:
            self.devices.reset(await self.deps.ami.core_show_channels())
        except Exception as exc:  # noqa: BLE001 (any AMI failure: retry on the next round)
            log.warning("console.ami_rebuild_failed", error=str(exc))
            return False
        self._set_health("ami", True)
        return True

    def _on_ami(self, event: Any) -> None:
        name = event.get("Event")
        changed = self.devices.feed(event)
        if name in FORWARDED:
            self.broadcast({"type": "ami", "at": self.clock(),
                            "event": {k: str(event.get(k)) for k in _AMI_FIELDS
                                      if event.get(k) is not None}})
        if changed or name in ("BridgeEnter", "BridgeLeave", "ParkedCall", "UnParkedCall"):
            self._dirty.set()

    async def _ticker(self) -> None:
        settings = self.deps.settings
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
            # cancellation that arrives as the event is set, and the hub would not stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(settings.tick_s):
                    await self._dirty.wait()
            self._dirty.clear()
            try:
                snap = await self.snapshot()
            except RoutingError as exc:
                self._set_health("redis", False)
                log.warning("console.snapshot_failed", error=str(exc))
            except Exception:  # noqa: BLE001 (one bad snapshot must not end the feed)
                log.exception("console.snapshot_failed")
            else:
                self.last_snapshot = snap
                self.broadcast(snap)
            await asyncio.sleep(settings.snapshot_every_s)

    # --- the state pages draw ---------------------------------------------------------

    async def snapshot(self) -> dict[str, Any]:
        deps, now = self.deps, self.clock()
        agents = await deps.routing.agents()
        names = sorted(set(deps.queues) | {q for a in agents for q in a.queues})
        waiting = {q: await deps.desk.waiting([q]) for q in names}
        report = summarise(self.entries, deps.settings.targets, since=self._day)
        outcomes = await deps.outcomes.since(self._day)
        queues = {}
        for q in names:
            target = deps.settings.targets.get(q, 60.0)
            queues[q] = {"waiting": waiting_rows(waiting[q], now,
                                                 return_priority=deps.settings.return_priority),
                         "figures": queue_figures(q, report.queues.get(q), waiting[q], agents,
                                                  outcomes, now, target)}
        return {"type": "snapshot", "now": now, "queues": queues, "health": dict(self.health),
                "agents": [agent_row(a, self.times, now) for a in agents]}

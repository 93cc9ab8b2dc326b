"""Guarded AMI client on panoramisk 1.4's `Manager`.

panoramisk speaks the AMI wire format well but leaves the dangerous parts to us (see
ASTERISK-NOTES.md): a refused Login is silent, "successfully queued" replies crash its
reader unless ``as_list=False``, it re-sends unanswered actions after a reconnect, its
Ping replies are never checked, and it reconnects on its own schedule. This module (with
`infra.ami_guards`) owns those guards. Invariants: `connect()` returns only when logged
in; the only reconnects are made by our watchdog, which then awaits `on_reconnect` so the
caller rebuilds its state; actions in `FORGETABLE_ACTIONS` are never replayed after a
reconnect, and their callers get `AmiActionFailed` ("outcome unknown") instead of a hang;
event callbacks only put events on subscribers' queues, so nothing slow runs inside
panoramisk's reader.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import structlog
from panoramisk.actions import Action

from infra.ami_guards import (
    FORGETABLE_ACTIONS,
    GuardedManager,
    GuardedProtocol,
    Subscription,
    first_of,
)

log = structlog.get_logger(__name__)

AmiMessage = Mapping[str, Any]
"""A reply or event: panoramisk's case-insensitive `Message` (``m["actionid"]`` works)."""

#: Seconds to wait for the TCP connection and for the Login reply.
CONNECT_TIMEOUT = 5.0
#: Seconds `close()` waits for the ping watchdog to end.
WATCHDOG_STOP_S = 5.0

#: Seconds between reconnect attempts (the last value repeats).
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)


class AmiError(Exception):
    """Root of the AMI client's errors."""


class AmiUnavailable(AmiError):
    """No AMI connection (refused, timed out, or lost and not yet back)."""


class AmiLoginFailed(AmiError):
    """Asterisk refused the Login (wrong user or secret, or not permitted from here)."""


class AmiActionFailed(AmiError):
    """An action got an error reply, no reply in time, or lost its connection."""

    def __init__(self, action: str, message: AmiMessage | None, reason: str = "") -> None:
        text = reason or (message.get("Message", "") if message else "")
        super().__init__(f"AMI action {action} failed: {text}")
        self.action = action
        self.message = message
        self.reason = text


class AmiClient:
    """One logged-in AMI session with a ping watchdog (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        ping_interval: float = 5,
        ping_timeout: float = 3,
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
        reconnect_delays: Iterable[float] = RECONNECT_DELAYS,
    ) -> None:
        self.host = host
        self.port = port
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.on_reconnect = on_reconnect
        self.reconnects = 0
        self._delays = tuple(reconnect_delays)
        self._username = username
        self._secret = secret
        self._manager: Any = None
        self._lost = asyncio.Event()
        self._watchdog: asyncio.Task[None] | None = None
        self._closed = False
        self._subscriptions: set[Subscription] = set()
        self._inflight: dict[str, tuple[str, asyncio.Future[Any]]] = {}
        self._originates: dict[str, asyncio.Future[AmiMessage]] = {}

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"<AmiClient {self._username}@{self.host}:{self.port} {state}>"

    @property
    def connected(self) -> bool:
        manager = self._manager
        return bool(manager and manager._connected and manager.authenticated)

    async def connect(self, retry: bool = False) -> None:
        """Connect and log in; raises `AmiUnavailable` or `AmiLoginFailed`.

        With `retry`, wait (retrying with `reconnect_delays`) until the AMI port answers,
        for a controller started before Asterisk; a refused Login still raises.
        """
        self._closed = False
        self._manager = GuardedManager(
            host=self.host,
            port=self.port,
            username=self._username,
            secret=self._secret,
            events="on",
            loop=asyncio.get_running_loop(),
            forgetable_actions=FORGETABLE_ACTIONS,
            protocol_factory=GuardedProtocol,
            on_disconnect=self._on_disconnect,
            ping_delay=10**6,
        )
        self._manager.register_event("*", self._on_event)
        try:
            await self._login()
        except AmiUnavailable as exc:
            if not retry:
                raise
            log.warning("ami.connect_failed", error=str(exc))
            await self._reconnect(stop_on_refusal=True)
        self._watchdog = asyncio.create_task(self._watch(), name="ami-watchdog")

    async def close(self) -> None:
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            # Bounded: a watchdog that lost its cancellation must not hang the close.
            done, _ = await asyncio.wait([self._watchdog], timeout=WATCHDOG_STOP_S)
            if not done:
                log.error("ami.watchdog_stuck")
            self._watchdog = None
        self._drop()
        self._fail_inflight("client closed", every=True)
        log.info("ami.closed")

    async def _login(self) -> None:
        manager = self._manager
        self._lost.clear()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await manager.connect()
        except (OSError, TimeoutError) as exc:
            raise AmiUnavailable(f"cannot connect to AMI at {self.host}:{self.port}") from exc
        login: asyncio.Future[Any] = manager.authenticated_future
        await first_of(login, self._lost, CONNECT_TIMEOUT)
        if not login.done():  # checked first: a refusal is sent just before the close
            self._drop()
            raise AmiUnavailable(f"no Login reply from {self.host}:{self.port}")
        reply = login.result()
        if not reply.success:
            self._drop()
            raise AmiLoginFailed(f"AMI login as {self._username!r} refused: {reply.message}")
        log.info("ami.connected", host=self.host, port=self.port)

    def _drop(self) -> None:
        """Close the connection on purpose (panoramisk then reports no connection_lost)."""
        if self._manager is not None:
            self._manager.close()
            self._manager._connected = False
            self._manager.authenticated = False

    def _on_disconnect(self, manager: Any, exc: Exception | None) -> None:
        self._fail_inflight("connection lost before the reply; the outcome is unknown")
        self._lost.set()

    def _fail_inflight(self, reason: str, every: bool = False) -> None:
        for name, future in list(self._inflight.values()):
            if (every or name.lower() in FORGETABLE_ACTIONS) and not future.done():
                future.set_exception(AmiActionFailed(name, None, reason))
        for waiter in self._originates.values():
            if not waiter.done():
                waiter.set_exception(AmiActionFailed("Originate", None, reason))

    # --- actions -------------------------------------------------------------------

    async def action(
        self, fields: Mapping[str, Any], timeout: float = 5.0, as_list: bool | None = False
    ) -> Any:
        """Send one action and return its reply; raises `AmiActionFailed`, `AmiUnavailable`.

        `as_list=False` (the default) takes the first reply: required for actions whose
        reply is "successfully queued" (PlayDTMF, Atxfer, Originate). Pass `None` for
        list actions (CoreShowChannels): panoramisk then collects the events up to the
        ``...Complete`` event and returns them all, or the single error reply.
        """
        if not self.connected:
            raise AmiUnavailable(f"AMI not connected ({self.host}:{self.port})")
        action = Action(dict(fields), as_list=as_list)
        name = str(action["Action"])
        action_id = str(action.action_id)
        started = time.monotonic()
        log.debug("ami.action.started", action=name, action_id=action_id)
        self._inflight[action_id] = (name, action.future)
        try:
            self._manager.send_action(action, as_list=as_list)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives together with the reply, and a stopping controller then hangs.
            async with asyncio.timeout(timeout):
                reply = await action.future
        except TimeoutError:
            self._manager.protocol.responses.pop(action_id, None)
            raise self._failed(name, started, None, f"no reply in {timeout} s") from None
        except AmiActionFailed as exc:
            raise self._failed(name, started, None, exc.reason) from None
        finally:
            self._inflight.pop(action_id, None)
        first = reply[0] if isinstance(reply, list) else reply
        if not first.success:
            raise self._failed(name, started, first, "")
        log.info("ami.action.complete", action=name, ms=_ms_since(started))
        return reply

    def _failed(
        self, name: str, started: float, message: AmiMessage | None, reason: str
    ) -> AmiActionFailed:
        error = AmiActionFailed(name, message, reason)
        log.warning("ami.action.failed", action=name, reason=error.reason, ms=_ms_since(started))
        return error

    async def originate(
        self,
        channel: str,
        *,
        context: str | None = None,
        exten: str | None = None,
        priority: int = 1,
        application: str | None = None,
        data: str = "",
        variables: Mapping[str, str] | None = None,
        channel_id: str | None = None,
        caller_id: str | None = None,
        timeout: float = 30.0,
    ) -> AmiMessage:
        """Originate asynchronously and return the matching ``OriginateResponse`` event.

        Either `context`/`exten`/`priority` or `application`/`data`. `channel_id` (our
        own, a fresh UUID by default) is Asterisk's idempotency key and becomes the
        channel's Uniqueid (a Local channel's ``;2`` half gets ``<id>;2``). `timeout` is
        the ring time and, plus a margin, how long we wait. The event's ``Response`` is
        ``Success`` or ``Failure`` with a ``Reason``: on Asterisk 22.10 a ChannelId still
        in use gives ``Failure``/``Reason: 0``, not an error reply. Check it.
        """
        if (application is None) == (context is None or exten is None):
            raise ValueError("originate needs either context and exten, or application")
        fields: dict[str, Any] = {
            "Action": "Originate",
            "ActionID": f"vaxel-originate-{uuid.uuid4().hex}",
            "Channel": channel,
            "Async": "true",
            "ChannelId": channel_id or uuid.uuid4().hex,
            "Timeout": str(int(timeout * 1000)),
        }
        if application is not None:
            fields.update(Application=application, Data=data)
        else:
            fields.update(Context=context, Exten=exten, Priority=str(priority))
        if caller_id is not None:
            fields["CallerID"] = caller_id
        if variables:
            fields["Variable"] = [f"{k}={v}" for k, v in variables.items()]
        waiter: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        self._originates[fields["ActionID"]] = waiter
        try:
            await self.action(fields, timeout=5.0)
            async with asyncio.timeout(timeout + 5.0):
                return await waiter
        except TimeoutError:
            raise AmiActionFailed("Originate", None, "no OriginateResponse in time") from None
        finally:
            self._originates.pop(fields["ActionID"], None)
            if waiter.done() and not waiter.cancelled():
                waiter.exception()  # retrieved: the Originate reply already told the caller

    async def core_show_channels(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The channels Asterisk has now: one dict per ``CoreShowChannel`` event.

        The AMI user needs ``reporting`` (or ``system``) in its ``write`` permissions;
        without it Asterisk 22 answers "Permission denied".
        """
        reply = await self.action({"Action": "CoreShowChannels"}, timeout, as_list=None)
        messages = reply if isinstance(reply, list) else [reply]
        return [dict(m) for m in messages if m.get("Event") == "CoreShowChannel"]

    # --- events --------------------------------------------------------------------

    def subscribe(self, predicate: Callable[[AmiMessage], bool] = lambda _: True) -> Subscription:
        """Queue every later event for which `predicate` is true; `close()` to stop."""
        subscription = Subscription(self._subscriptions, predicate)
        self._subscriptions.add(subscription)
        return subscription

    def _on_event(self, manager: Any, event: AmiMessage) -> None:
        if event.get("Event") == "OriginateResponse":
            waiter = self._originates.get(str(event.get("ActionID", "")))
            if waiter is not None and not waiter.done():
                waiter.set_result(event)
        for subscription in list(self._subscriptions):
            if subscription.predicate(event):
                try:
                    subscription.queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.warning("ami.event_dropped", event=event.get("Event"))

    # --- watchdog ------------------------------------------------------------------

    async def _watch(self) -> None:
        while not self._closed:
            reason = await self._trouble()
            if self._closed:
                return
            log.warning("ami.connection_lost", reason=reason)
            self._drop()
            try:
                await self._reconnect()
            except AmiUnavailable:
                return  # closed while reconnecting
            self.reconnects += 1
            if self.on_reconnect is not None:
                try:
                    await self.on_reconnect()
                except Exception:
                    log.exception("ami.on_reconnect_failed")

    async def _trouble(self) -> str:
        """Wait until the connection drops or a Ping goes unanswered; say which."""
        while True:
            try:
                async with asyncio.timeout(self.ping_interval):
                    await self._lost.wait()
                return "disconnected"
            except TimeoutError:
                pass
            try:
                await self.action({"Action": "Ping"}, self.ping_timeout)
            except AmiError as exc:
                return f"ping failed: {exc}"

    async def _reconnect(self, stop_on_refusal: bool = False) -> None:
        attempt = 0
        while True:
            delay = self._delays[min(attempt, len(self._delays) - 1)]
            await asyncio.sleep(delay)
            if self._closed:
                raise AmiUnavailable("client closed")
            attempt += 1
            try:
                await self._login()
            except AmiError as exc:
                log.warning("ami.reconnect_failed", attempt=attempt, error=str(exc))
                if stop_on_refusal and isinstance(exc, AmiLoginFailed):
                    raise
                continue
            log.info("ami.reconnected", attempts=attempt)
            return


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


async def consume(subscription: Subscription,
                  feed: Callable[[AmiMessage], Awaitable[None]]) -> None:
    """Feed every event of ``subscription`` to ``feed`` until cancelled; then close it."""
    try:
        async for event in subscription:
            await feed(event)
    finally:
        subscription.close()

"""Place and follow test calls through a real Asterisk over AMI (panoramisk).

A :class:`Harness` logs in as the instance's harness user (test mode), puts
every AMI event on an asyncio.Queue and a consumer task hands each event to the
:class:`Call` it belongs to: a call is recognised by the Linkedid that all its
channels share (the caller's ``;1`` channel, whose Uniqueid we choose with
Originate's ChannelId). Waits never race the prompt: ``wait_listening`` returns
once Asterisk *starts* an AGI command that reads digits, or the controller sends
a ``VaxelListening`` UserEvent. Every wait has a timeout and fails with the
events it saw. Guards from ASTERISK-NOTES: login is checked; Originate is Async
with ``as_list=False``; PlayDTMF uses ``as_list=False``; panoramisk's replay
after reconnect is not relied on (the harness never reconnects).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shlex
from collections.abc import Callable, Mapping
from typing import Any, Literal

from panoramisk import Manager

#: Default seconds a wait gives Asterisk before it fails.
WAIT_TIMEOUT = 10.0
#: Behaviours of a simulated phone (the [sim-phones] context reads them from AstDB).
PhoneBehaviour = Literal["answer", "busy", "noanswer", "unavailable"]
PHONE_BEHAVIOURS = ("answer", "busy", "noanswer", "unavailable")
#: AGI commands that always read digits.
_READING = ("GET DATA", "WAIT FOR DIGIT")
#: AGI commands that read digits when their escape-digits argument is not empty.
_ESCAPABLE = ("STREAM FILE", "GET OPTION", "CONTROL STREAM FILE")
#: Milliseconds each DTMF digit lasts, and seconds between digits.
DIGIT_MS = 120
DIGIT_GAP = 0.25

Event = Mapping[str, str]
_call_ids = itertools.count(1)


class HarnessError(AssertionError):
    """A test call did not do what the test waited for."""


def is_listening(event: Event) -> bool:
    """True for an event that shows the controller now reads the caller's digits."""
    if event.get("Event") == "UserEvent":
        return event.get("UserEvent") == "VaxelListening"
    if event.get("Event") != "AGIExecStart":
        return False
    command = event.get("Command", "").strip()
    upper = command.upper()
    if upper.startswith(_READING):
        return True
    for name in _ESCAPABLE:
        if upper.startswith(name + " "):
            return bool(_escape_digits(command[len(name):]))
    return False


def _escape_digits(args: str) -> str:
    try:
        parts = shlex.split(args)
    except ValueError:
        parts = args.split()
    return "".join(ch for ch in (parts[1] if len(parts) > 1 else "") if ch in "0123456789*#")


def played_file(event: Event) -> list[str]:
    """The sound files an AGIExecStart event starts playing (none for other events)."""
    if event.get("Event") != "AGIExecStart":
        return []
    try:
        words = shlex.split(event.get("Command", ""))
    except ValueError:
        words = event.get("Command", "").split()
    upper = [w.upper() for w in words]
    for name in ("STREAM FILE", "GET DATA", "GET OPTION", "CONTROL STREAM FILE"):
        size = len(name.split())
        if upper[:size] == name.split() and len(words) > size:
            return [words[size]]
    if upper[:1] == ["EXEC"] and len(words) > 2 and upper[1] in ("PLAYBACK", "BACKGROUND"):
        return [f for f in words[2].split(",")[0].split("&") if f]
    return []


def describe(events: list[Event], limit: int = 40) -> str:
    """A compact, readable list of events for failure messages."""
    lines = []
    for event in events[-limit:]:
        keys = ("Channel", "Uniqueid", "UserEvent", "Command", "Application", "AppData",
                "DialStatus", "Cause-txt", "Response", "Reason", "Phone")
        detail = " ".join(f"{k}={event[k]!r}" for k in keys if event.get(k))
        lines.append(f"  {event.get('Event')}: {detail}")
    skipped = f"  ... {len(events) - limit} earlier events\n" if len(events) > limit else ""
    return skipped + ("\n".join(lines) if lines else "  (no events)")


class _EventLog:
    """Events in arrival order plus a signal for waiters."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def add(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(
        self, predicate: Callable[[Event], bool], timeout: float, what: str, start: int = 0
    ) -> tuple[int, Event]:
        """(index, event) of the first event at or after ``start`` that matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = start
        while True:
            while index < len(self.events):
                if predicate(self.events[index]):
                    return index, self.events[index]
                index += 1
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise HarnessError(
                    f"timed out after {timeout:.1f} s waiting for {what}; events seen:\n"
                    + describe(self.events[start:])
                )
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                pass


class Call:
    """One test call: the caller's Local channel pair and everything it led to."""

    def __init__(self, harness: Harness, number: str, call_id: str) -> None:
        self.harness = harness
        self.number = number
        self.id = call_id
        self.caller_channel: str | None = None
        self._log = _EventLog()
        self._listen_cursor = 0

    def __repr__(self) -> str:
        return f"<Call {self.id} to {self.number}: {len(self.events)} events>"

    @property
    def events(self) -> list[Event]:
        """All AMI events of this call's channels, in order (AGI commands included)."""
        return self._log.events

    def owns(self, event: Event) -> bool:
        return any(event.get(key) == self.id for key in ("Linkedid", "DestLinkedid", "Uniqueid")) \
            or event.get("ActionID") == f"{self.id}-originate"

    def add(self, event: Event) -> None:
        if event.get("Uniqueid") == self.id and event.get("Channel") and not self.caller_channel:
            self.caller_channel = event["Channel"]
        self._log.add(event)

    def prompts_played(self) -> list[str]:
        """Sound files the controller started playing on this call, in order."""
        return [name for event in self.events for name in played_file(event)]

    async def wait_for(
        self, predicate: Callable[[Event], bool], timeout: float = WAIT_TIMEOUT,
        what: str = "a matching event",
    ) -> Event:
        """The first event of this call (old or new) that matches ``predicate``."""
        _, event = await self._log.wait_for(self._or_failed(predicate), timeout, what)
        if not predicate(event):
            self._raise_failed(event)
        return event

    async def wait_listening(self, timeout: float = WAIT_TIMEOUT) -> Event:
        """Wait until the controller starts reading digits (after the last time it did)."""
        index, event = await self._log.wait_for(
            self._or_failed(is_listening), timeout, "the controller to listen for digits",
            start=self._listen_cursor,
        )
        if not is_listening(event):
            self._raise_failed(event)
        self._listen_cursor = index + 1
        return event

    def listen_at_latest(self) -> None:
        """Make the next `wait_listening` start at the latest point the controller listened
        (a test that left the caller silent for a while: earlier menus have timed out)."""
        latest = [i for i, e in enumerate(self.events) if is_listening(e)]
        self._listen_cursor = latest[-1] if latest else len(self.events)

    async def wait_event(self, name: str, timeout: float = WAIT_TIMEOUT, **headers: str) -> Event:
        """The first event called ``name`` (or UserEvent ``name``) with these headers."""
        def match(event: Event) -> bool:
            named = event.get("Event") == name or (
                event.get("Event") == "UserEvent" and event.get("UserEvent") == name)
            return named and all(event.get(k) == v for k, v in headers.items())

        return await self.wait_for(match, timeout, f"{name} {headers or ''}".strip())

    async def wait_hangup(self, timeout: float = WAIT_TIMEOUT) -> Event:
        """Wait until the caller's channel is hung up."""
        return await self.wait_for(
            lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == self.id,
            timeout, "the caller's hang-up")

    async def send_digits(self, digits: str, gap: float = DIGIT_GAP) -> None:
        """Play DTMF digits as the caller (on the ``;1`` channel)."""
        channel = await self._channel()
        for i, digit in enumerate(digits):
            if i:
                await asyncio.sleep(gap)
            reply = await self.harness.action(
                {"Action": "PlayDTMF", "Channel": channel, "Digit": digit,
                 "Duration": str(DIGIT_MS)})
            if reply.get("Response") != "Success":
                raise HarnessError(f"PlayDTMF {digit!r} on {channel} failed: {dict(reply)}")

    async def hangup(self) -> None:
        """Hang up the caller's channel (no error when it is already gone)."""
        channel = await self._channel()
        await self.harness.action({"Action": "Hangup", "Channel": channel})

    async def _channel(self) -> str:
        if self.caller_channel is None:
            await self.wait_for(lambda _e: self.caller_channel is not None,
                                what="the caller channel")
        assert self.caller_channel is not None
        return self.caller_channel

    def _or_failed(self, predicate: Callable[[Event], bool]) -> Callable[[Event], bool]:
        return lambda e: _originate_failed(e) or predicate(e)

    def _raise_failed(self, event: Event) -> None:
        raise HarnessError(f"call {self.id} to {self.number} was not placed: reason "
                           f"{event.get('Reason')}; events:\n{describe(self.events)}")


def _originate_failed(event: Event) -> bool:
    return event.get("Event") == "OriginateResponse" and event.get("Response") != "Success"


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager without its endless reconnect once we close it."""

    closing = False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closing:
            super().connection_lost(exc)


class Harness:
    """AMI connection for tests: place calls, set simulated phones, follow events."""

    def __init__(self, port: int, username: str, secret: str, host: str = "127.0.0.1") -> None:
        self._manager = _Manager(host=host, port=port, username=username, secret=secret,
                                 ping_delay=3600, forgetable_actions=("ping", "login"))
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._log = _EventLog()
        self._calls: list[Call] = []
        self._consumer: asyncio.Task[None] | None = None
        self._answered_cursor: dict[str, int] = {}
        self._prefix = f"vx{os.getpid()}"

    def __repr__(self) -> str:
        return f"<Harness {len(self._calls)} calls, {len(self._log.events)} events>"

    @property
    def events(self) -> list[Event]:
        """Every AMI event since connect."""
        return self._log.events

    async def connect(self, timeout: float = WAIT_TIMEOUT) -> Harness:
        """Connect and log in; raise HarnessError when the login is refused."""
        self._manager.register_event("*", lambda _m, event: self._queue.put_nowait(event))
        self._consumer = asyncio.create_task(self._consume())
        async with asyncio.timeout(timeout):
            await self._manager.connect()
        future = self._manager.authenticated_future
        reply = None
        if future:
            async with asyncio.timeout(timeout):
                reply = await asyncio.shield(future)
        if not self._manager.authenticated:
            await self.close()
            raise HarnessError(f"AMI login refused: {dict(reply) if reply else 'no reply'}")
        return self

    async def close(self) -> None:
        self._manager.closing = True
        self._manager.close()
        if self._consumer is not None:
            self._consumer.cancel()
            await asyncio.gather(self._consumer, return_exceptions=True)

    async def __aenter__(self) -> Harness:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _consume(self) -> None:
        while True:
            event = await self._queue.get()
            self._log.add(event)
            for call in self._calls:
                if call.owns(event):
                    call.add(event)

    async def action(self, action: dict[str, str], timeout: float = WAIT_TIMEOUT) -> Any:
        """Send one AMI action and return its single reply (never a list)."""
        async def send() -> Any:
            return await self._manager.send_action(action, as_list=False)

        async with asyncio.timeout(timeout):
            return await send()

    async def call(
        self, number: str, caller_id: str = "0701234567", timeout: float = 30,
        context: str = "vaxel-inbound",
    ) -> Call:
        """Originate a caller to ``number`` in ``context``; its ``;1`` half runs [sim-caller].

        ``timeout`` is how long Asterisk lets the call ring before the originate fails.
        """
        call_id = f"{self._prefix}-{next(_call_ids)}"
        call = Call(self, number, call_id)
        self._calls.append(call)
        reply = await self.action({
            "Action": "Originate", "ActionID": f"{call_id}-originate",
            "Channel": f"Local/{number}@{context}/n",
            "Context": "sim-caller", "Exten": "s", "Priority": "1",
            "CallerID": f'"Test {caller_id}" <{caller_id}>',
            "ChannelId": call_id, "OtherChannelId": f"{call_id}-2",
            "Timeout": str(int(timeout * 1000)), "Async": "true",
        })
        if reply.get("Response") != "Success":
            raise HarnessError(f"Originate to {number} refused: {dict(reply)}")
        return call

    async def set_phone(self, ext: str, behaviour: PhoneBehaviour, answer_delay: int = 0) -> None:
        """Make the simulated phone ``Local/<ext>@sim-phones`` answer, be busy, ..."""
        if behaviour not in PHONE_BEHAVIOURS:
            raise ValueError(f"phone behaviour {behaviour!r} is not one of {PHONE_BEHAVIOURS}")
        for family, value in (("simphone", behaviour), ("simphone-delay", str(answer_delay))):
            reply = await self.action({"Action": "DBPut", "Family": family, "Key": ext,
                                       "Val": value})
            if reply.get("Response") != "Success":
                raise HarnessError(f"DBPut {family}/{ext} failed: {dict(reply)}")

    async def wait_answered(self, ext: str, timeout: float = WAIT_TIMEOUT) -> Event:
        """Wait for the next SimPhoneAnswered of ``ext`` (each event satisfies one wait)."""
        def match(event: Event) -> bool:
            return (event.get("Event") == "UserEvent" and event.get("UserEvent") ==
                    "SimPhoneAnswered" and event.get("Phone") == ext)

        index, event = await self._log.wait_for(
            match, timeout, f"simulated phone {ext} to answer",
            start=self._answered_cursor.get(ext, 0))
        self._answered_cursor[ext] = index + 1
        return event

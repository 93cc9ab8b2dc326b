"""A lean AMI client for the call-flow benchmark, and the callers it drives.

panoramisk parses every event into a Message object and runs callbacks per event;
at a few hundred calls per second the benchmark's own AMI handling would then take
a core that Asterisk and the controller need. This client reads raw event blocks,
asks Asterisk to send only the events the benchmark needs (AMI ``Filter``), and
hands each to the `Caller` it belongs to (by ``Linkedid``: all channels of a call
share the caller's ``;1`` uniqueid, which we choose with Originate's ChannelId).

A caller presses its next keys when the IVR listens: an ``AGIExecStart`` of a
command that reads digits (the controller), or a ``VaxelListening`` UserEvent (the
pure-dialplan twin emits one before each ``Read``). The time of an IVR step is
Asterisk's own event timestamps (manager.conf ``timestampevents``): from the
``DTMFEnd`` that ended the caller's input on the IVR's ``;2`` channel to the next
command there (``AGIExecStart``, or the twin's ``VaxelListening``/``BenchStep``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from vaxel.testing.calls import is_listening

#: Events the benchmark needs; Asterisk drops the rest before sending them.
EVENTS = ("AGIExecStart", "DTMFEnd", "UserEvent", "Hangup", "OriginateResponse")
Event = dict[str, str]


def parse_block(block: bytes) -> Event:
    """One AMI message (header lines without the blank line) as a dict."""
    out: Event = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep:
            out[key] = value
    return out


class Ami:
    """One AMI session: actions matched to replies by ActionID, events to a callback."""

    def __init__(self, on_event: Callable[[Event], None]) -> None:
        self.on_event = on_event
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Event]] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self, port: int, user: str, secret: str) -> None:
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", port)
        await self._reader.readline()  # "Asterisk Call Manager/..."
        self._task = asyncio.create_task(self._read())
        reply = await self.action({"Action": "Login", "Username": user, "Secret": secret})
        if reply.get("Response") != "Success":
            raise RuntimeError(f"AMI login refused: {reply}")
        for name in EVENTS:
            reply = await self.action({"Action": "Filter", "Operation": "Add",
                                       "MatchCriteria": f"action(include),name({name})"})
            if reply.get("Response") != "Success":
                raise RuntimeError(f"AMI Filter refused: {reply}")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def send(self, fields: dict[str, str]) -> asyncio.Future[Event]:
        """Send an action now; the future resolves with its reply."""
        assert self._writer is not None
        action_id = fields.get("ActionID") or f"b{next(self._ids)}"
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = future
        text = "".join(f"{k}: {v}\r\n" for k, v in {**fields, "ActionID": action_id}.items())
        self._writer.write(text.encode() + b"\r\n")
        return future

    async def action(self, fields: dict[str, str], timeout: float = 10.0) -> Event:
        async with asyncio.timeout(timeout):
            return await self.send(fields)

    async def _read(self) -> None:
        assert self._reader is not None
        while True:
            try:
                block = await self._reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            message = parse_block(block[:-4])
            if "Event" in message:
                self.on_event(message)
                continue
            future = self._pending.pop(message.get("ActionID", ""), None)
            if future is not None and not future.done():
                future.set_result(message)


@dataclass
class Caller:
    """One bench call: the keys it presses at each listening point, and what happened."""

    id: str
    steps: list[str]
    started: float
    outcome: str | None = None   # completed | fallback | lost
    ended: bool = False
    step_ms: list[float] = field(default_factory=list)
    _input_end: float | None = None
    _next_step: int = 0

    @property
    def ivr_channel(self) -> str:
        return f"{self.id}-2"


class Callers:
    """Every bench call of a run, fed by the AMI reader; presses keys, records outcomes."""

    def __init__(self, ami: Ami, answer_phone: str) -> None:
        self.ami = ami
        self.answer_phone = answer_phone
        self.calls: dict[str, Caller] = {}
        self.open = 0
        self.dtmf_errors = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()

    def add(self, caller: Caller) -> None:
        self.calls[caller.id] = caller
        self.open += 1
        self._idle.clear()

    def feed(self, event: Event) -> None:
        caller = self.calls.get(event.get("Linkedid", "")) or self.calls.get(
            event.get("Uniqueid", ""))
        if caller is None:
            return
        name = event["Event"]
        if name == "OriginateResponse":
            if event.get("Response") != "Success":
                self._end(caller, "lost")
            return
        if name == "Hangup":
            if event.get("Uniqueid") == caller.id:
                self._end(caller, caller.outcome or "lost")
            return
        if name == "UserEvent":
            kind = event.get("UserEvent")
            if kind == "VaxelFallback":
                caller.outcome = "fallback"
            elif kind == "SimPhoneAnswered" and caller.outcome is None:
                caller.outcome = ("completed" if event.get("Phone") == self.answer_phone
                                  else "fallback")
        if event.get("Uniqueid") != caller.ivr_channel:
            return
        if name == "DTMFEnd":
            if event.get("Direction") == "Received":
                caller._input_end = float(event.get("Timestamp", "0"))
            return
        command = name == "AGIExecStart" or (
            name == "UserEvent" and event.get("UserEvent") in ("VaxelListening", "BenchStep"))
        if command and caller._input_end is not None:
            caller.step_ms.append((float(event.get("Timestamp", "0")) - caller._input_end) * 1e3)
            caller._input_end = None
        if is_listening(event) and caller._next_step < len(caller.steps):
            keys = caller.steps[caller._next_step]
            caller._next_step += 1
            # The caller's own half is the ;1 of the Local channel whose ;2 runs the IVR.
            channel = event.get("Channel", "")[:-1] + "1"
            task = asyncio.create_task(self._press(caller, channel, keys))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _press(self, caller: Caller, channel: str, keys: str) -> None:
        """Move the caller's own half to ``bench-keys`` (callflow_twin), which plays them."""
        reply = await self.ami.send({"Action": "Redirect", "Channel": channel,
                                     "Context": "bench-keys", "Exten": "k" + keys.replace(
                                         "#", "h"), "Priority": "1"})
        if reply.get("Response") != "Success":
            self.dtmf_errors += 1

    def _end(self, caller: Caller, outcome: str) -> None:
        if caller.ended:
            return
        caller.ended = True
        caller.outcome = outcome
        self.open -= 1
        if self.open == 0:
            self._idle.set()

    async def wait_all(self, timeout: float) -> None:
        """Until every call has hung up; calls still up after ``timeout`` count as lost."""
        if self.open:
            try:
                async with asyncio.timeout(timeout):
                    await self._idle.wait()
            except TimeoutError:
                for caller in self.calls.values():
                    if not caller.ended:
                        self._end(caller, "lost")

"""FastAGI server: asyncio streams around the sans-IO codec in `ivr.agi`.

Asterisk connects (``AGI(agi://host:port/script,args)``), sends its environment, then
waits for commands. This adapter reads bytes, feeds `AgiConnection`, and hands each call
to ``handler(channel)``. Invariants: a peer outside the allow-list is closed before a
byte is read; the environment must arrive within `header_timeout` and within the
codec's line limits, so a bare connect, garbage or a slow peer costs one parked
coroutine, never a spinning loop, and at most `max_pending` such connections are kept
(the oldest idle one is dropped for a new one); at most `max_sessions` run at once; a
handler's exception is logged and never reaches the server; every connection is
closed when its session ends; every log line of a session carries ``call_id``
(Asterisk's uniqueid) and ``channel``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog

from ivr.agi import (
    CODE_DEAD_CHANNEL,
    CODE_OK,
    AgiCommand,
    AgiConnection,
    AgiEnvironment,
    AgiError,
    AgiProtocolError,
    AgiReply,
    EnvironmentReceived,
    HangupReceived,
    ReplyReceived,
)

log = structlog.get_logger(__name__)

#: Bytes asked for per read; lines may span reads (the codec reassembles them).
READ_CHUNK = 4096

#: Seconds `FastAgiServer.close()` waits for running sessions before cancelling them.
CLOSE_GRACE = 5.0

DEFAULT_PORT = 4573
"""The IANA-registered FastAGI port (also Asterisk's default for agi:// URLs)."""


class ChannelHungUp(AgiError):
    """Control left this AGI session (in-band HANGUP, or the connection closed).

    ``HANGUP`` also follows an AMI Redirect or Bridge; confirm a real hang-up with AMI.
    `reply` is the reply of the command that was answered after the HANGUP, if any.
    """

    def __init__(self, command: str, reply: AgiReply | None = None) -> None:
        super().__init__(f"channel hung up (command {command!r})")
        self.command = command
        self.reply = reply


class AgiCommandError(AgiError):
    """Asterisk refused a command: 510 unknown, 511 dead channel, 520 usage."""

    def __init__(self, code: int, text: str, command: str) -> None:
        super().__init__(f"AGI command {command!r} failed with {code}: {text.splitlines()[0]}")
        self.code = code
        self.text = text
        self.command = command


class AgiCommandTimeout(AgiError):
    """No reply within the timeout the caller gave; the session is closed (out of step)."""


Handler = Callable[["AgiChannel"], Awaitable[None]]


class AgiChannel:
    """One call's AGI session as the handler sees it: the environment and `command()`."""

    def __init__(
        self,
        conn: AgiConnection,
        env: AgiEnvironment,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.env = env
        self._conn = conn
        self._reader = reader
        self._writer = writer
        self._closed = False
        self._replies: deque[AgiReply] = deque()

    def __repr__(self) -> str:
        return f"<AgiChannel {self.env.channel} {self.env.network_script} {self._conn!r}>"

    @property
    def hung_up(self) -> bool:
        return self._conn.hung_up or self._closed

    async def command(
        self,
        name: str,
        *args: str,
        sensitive: bool = False,
        timeout: float | None = None,
        after_hangup: bool = False,
    ) -> AgiReply:
        """Send one command and return its 200 reply.

        `sensitive` keeps the arguments and the reply's result out of the logs (PINs,
        personal numbers). `after_hangup` sends even after HANGUP (SET VARIABLE still
        works once an AMI Redirect moved the channel). Raises `ChannelHungUp`,
        `AgiCommandError` (510/511/520) or `AgiCommandTimeout`.
        """
        return await self.execute(
            AgiCommand(name, args), sensitive=sensitive, timeout=timeout, after_hangup=after_hangup
        )

    async def execute(
        self,
        command: AgiCommand,
        *,
        sensitive: bool = False,
        timeout: float | None = None,
        after_hangup: bool = False,
    ) -> AgiReply:
        """`command()` for a prepared `AgiCommand` (`ivr.agi_commands.stream_file(...)` etc.)."""
        fields: dict[str, Any] = {"command": command.name}
        if not sensitive:
            fields["args"] = list(command.args)
        if self._closed or (self._conn.hung_up and not after_hangup):
            raise ChannelHungUp(command.name)
        started = time.monotonic()
        log.debug("agi.command.started", **fields)
        try:
            if timeout is None:   # no timer to arm and cancel (most commands)
                reply = await self._round_trip(command)
            else:
                async with asyncio.timeout(timeout):
                    reply = await self._round_trip(command)
        except TimeoutError:
            self._abort()
            log.warning("agi.command.failed", error="timeout", ms=_ms_since(started), **fields)
            raise AgiCommandTimeout(f"no reply to {command.name!r} in {timeout} s") from None
        except AgiError as exc:
            log.info("agi.command.failed", error=str(exc), ms=_ms_since(started), **fields)
            raise
        result = {} if sensitive else {"result": reply.result, "data": reply.data}
        # Per command at DEBUG: at INFO a line per command cost about a tenth of the
        # controller's time under load; a call's INFO lines are per call and per decision.
        log.debug("agi.command.complete", ms=_ms_since(started), **fields, **result)
        return reply

    async def _round_trip(self, command: AgiCommand) -> AgiReply:
        hung_up_before = self._conn.hung_up
        self._writer.write(self._conn.send(command))
        try:
            await self._writer.drain()
        except OSError:
            self._abort()
            raise ChannelHungUp(command.name) from None
        reply = await self._read_reply(command.name)
        if reply.code == CODE_OK:
            return reply
        if reply.code == CODE_DEAD_CHANNEL and (self._conn.hung_up or hung_up_before):
            raise ChannelHungUp(command.name, reply)
        raise AgiCommandError(reply.code, reply.text, command.name)

    async def _read_reply(self, name: str) -> AgiReply:
        # Replies that arrive in one read are kept until asked for, in order.
        while not self._replies:
            data = await _read_chunk(self._reader)
            if not data:
                self._abort()
                raise ChannelHungUp(name)
            for event in self._conn.feed(data):
                if isinstance(event, HangupReceived):
                    log.info("agi.hangup_received")
                elif isinstance(event, ReplyReceived):
                    self._replies.append(event.reply)
        return self._replies.popleft()

    def _abort(self) -> None:
        self._closed = True
        self._writer.close()


async def _read_chunk(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.read(READ_CHUNK)
    except OSError:
        return b""


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


class _Allow:
    """Peer addresses allowed to connect: single hosts or networks (``10.0.0.0/24``)."""

    def __init__(self, allow: Iterable[str]) -> None:
        self.networks = [ipaddress.ip_network(a, strict=False) for a in allow]

    def __contains__(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


#: Connections waiting for their environment at once; beyond it the oldest is dropped.
MAX_PENDING = 64
#: Sessions running at once; beyond it a new connection is closed (Asterisk then tries the
#: other controller, then the operators' fallback).
MAX_SESSIONS = 2000
#: Connections the kernel completes and queues before the controller accepts them (listen's
#: backlog; Linux caps it at net.core.somaxconn). asyncio's default of 100 overflowed in
#: bursts of new calls at 120 calls/s: the kernel dropped Asterisk's SYNs, its FastAGI
#: connect gave up after 2 s and the calls went to the operators' fallback.
ACCEPT_BACKLOG = 4096


class FastAgiServer:
    """Accept FastAGI sessions and run `handler(channel)` for each."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        allow: Iterable[str] = ("127.0.0.1",),
        header_timeout: float = 5.0,
        close_grace: float = CLOSE_GRACE,
        max_pending: int = MAX_PENDING,
        max_sessions: int = MAX_SESSIONS,
        reuse_port: bool = False,
    ) -> None:
        self.handler = handler
        self.reuse_port = reuse_port
        """Share the port with the other workers of ``vaxel serve --workers N`` (SO_REUSEPORT:
        the kernel spreads new connections over the processes listening)."""
        self.host = host
        self.port = port
        self.allow = _Allow(allow)
        self.header_timeout = header_timeout
        self.close_grace = close_grace
        self.max_pending = max_pending
        self.max_sessions = max_sessions
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()
        # Connections still waiting for their environment, oldest first.
        self._pending: dict[asyncio.StreamWriter, None] = {}
        self._running = 0

    def __repr__(self) -> str:
        state = "listening" if self._server else "stopped"
        return f"<FastAgiServer {self.host}:{self.port} {state}, {len(self._sessions)} sessions>"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port,
                                                  reuse_port=self.reuse_port or None,
                                                  backlog=ACCEPT_BACKLOG)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("fastagi.listening", host=self.host, port=self.port)

    async def close(self) -> None:
        """Stop listening; give running sessions `close_grace` seconds, then cancel them."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        sessions = set(self._sessions)
        if sessions:
            _, pending = await asyncio.wait(sessions, timeout=self.close_grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("fastagi.sessions_cancelled", count=len(pending))
                await asyncio.wait(pending)
        log.info("fastagi.closed")

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            await self._session(reader, writer)
        finally:
            self._sessions.discard(task)
            writer.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if peer else "?"
        if host not in self.allow:
            log.warning("fastagi.rejected", peer=host, reason="not in allow-list")
            return
        if self._running >= self.max_sessions:
            log.warning("fastagi.rejected", peer=host, reason="too many sessions",
                        limit=self.max_sessions)
            return
        self._admit_pending(writer)
        conn = AgiConnection()
        try:
            async with asyncio.timeout(self.header_timeout):
                env = await _read_environment(reader, conn)
        except TimeoutError:
            log.warning("fastagi.rejected", peer=host, reason="no environment in time")
            return
        except AgiProtocolError as exc:
            log.warning(
                "fastagi.rejected", peer=host, reason=exc.reason, received=exc.received[:200]
            )
            return
        finally:
            self._pending.pop(writer, None)
        if env is None:
            log.info("fastagi.closed_before_environment", peer=host)
            return
        channel = AgiChannel(conn, env, reader, writer)
        self._running += 1
        try:
            with structlog.contextvars.bound_contextvars(call_id=env.uniqueid,
                                                         channel=env.channel):
                await self._run_handler(channel)
        finally:
            self._running -= 1

    def _admit_pending(self, writer: asyncio.StreamWriter) -> None:
        """A new connection waits for its environment; at ``max_pending`` the oldest idle one
        is dropped, so idle connections never keep Asterisk (which sends its environment at
        once) from being served."""
        while len(self._pending) >= self.max_pending:
            oldest = next(iter(self._pending))
            del self._pending[oldest]
            log.warning("fastagi.dropped_idle", peer=str(oldest.get_extra_info("peername")),
                        limit=self.max_pending)
            oldest.transport.abort()
        self._pending[writer] = None

    async def _run_handler(self, channel: AgiChannel) -> None:
        started = time.monotonic()
        log.debug("fastagi.session.started", script=channel.env.network_script)
        outcome = "complete"
        try:
            await self.handler(channel)
        except ChannelHungUp:
            outcome = "hung-up"
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception:
            outcome = "failed"
            log.exception("fastagi.handler_failed")
        finally:
            # A complete session is told by the handler's own line (one INFO line per call).
            (log.debug if outcome == "complete" else log.info)(
                "fastagi.session.ended", script=channel.env.network_script, outcome=outcome,
                ms=_ms_since(started))


async def _read_environment(
    reader: asyncio.StreamReader, conn: AgiConnection
) -> AgiEnvironment | None:
    """Read until the environment is complete; `None` if the peer closed first."""
    while True:
        data = await _read_chunk(reader)
        if not data:
            return None
        for event in conn.feed(data):  # the first event can only be the environment
            if isinstance(event, EnvironmentReceived):
                return event.environment

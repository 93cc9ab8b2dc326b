"""FastAGI server against a scripted fake Asterisk on a loopback port chosen by the OS."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from ivr import agi_commands
from ivr.fastagi import (
    AgiChannel,
    AgiCommandError,
    AgiCommandTimeout,
    ChannelHungUp,
    FastAgiServer,
)

ENV = (
    b"agi_network: yes\n"
    b"agi_network_script: inbound\n"
    b"agi_request: agi://127.0.0.1/inbound\n"
    b"agi_channel: Local/100@inbound-00000001;2\n"
    b"agi_uniqueid: 1732600000.%d\n"
    b"agi_language: sv\n"
    b"agi_callerid: 0701234567\n"
    b"agi_arg_1: city-main\n"
    b"\n"
)

USAGE = (
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b"Usage: GET DATA <file to be streamed> [timeout] [maxdigits]\n"
    b"520 End of proper usage.\n"
)


class FakeAsterisk:
    """The Asterisk side of one FastAGI connection, driven line by line by a test."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, call: int = 1) -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        fake = cls(reader, writer)
        await fake.send(ENV % call)
        return fake

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def expect(self, line: bytes) -> None:
        got = await asyncio.wait_for(self.reader.readline(), 2)
        assert got == line

    async def answer(self, line: bytes, reply: bytes) -> None:
        await self.expect(line)
        await self.send(reply)

    async def closed_by_server(self, within: float = 2.0) -> bool:
        try:
            data = await asyncio.wait_for(self.reader.read(), within)
        except ConnectionResetError:  # closed with our unread bytes in its buffer
            return True
        return data == b""

    def close(self) -> None:
        self.writer.close()


Outcome = dict[str, Any]
HandlerBody = Callable[[AgiChannel, Outcome], Awaitable[None]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[tuple[FastAgiServer, Outcome]]]]:
    servers: list[FastAgiServer] = []

    async def start(body: HandlerBody, **kwargs: Any) -> tuple[FastAgiServer, Outcome]:
        outcome: Outcome = {"done": asyncio.Event(), "calls": 0}

        async def handler(channel: AgiChannel) -> None:
            outcome["calls"] += 1
            try:
                await body(channel, outcome)
            except Exception as exc:
                outcome["error"] = exc
                raise
            finally:
                outcome["done"].set()

        server = FastAgiServer(handler, port=0, **kwargs)
        await server.start()
        servers.append(server)
        return server, outcome

    yield start
    for server in servers:
        await server.close()


async def wait_done(outcome: Outcome) -> None:
    await asyncio.wait_for(outcome["done"].wait(), 2)


def contextvar_logs() -> Any:
    return capture_logs(processors=[structlog.contextvars.merge_contextvars])


async def test_given_a_session_when_the_handler_runs_commands_then_replies_are_in_step(
    serve: Any,
) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        outcome["env"] = channel.env
        await channel.execute(agi_commands.answer())
        outcome["key"] = (await channel.execute(agi_commands.stream_file("welcome", "12"))).key
        outcome["digits"] = (await channel.execute(agi_commands.get_data("ext", 5000, 4))).digits

    server, outcome = await serve(body)
    assert server.port != 0
    with contextvar_logs() as logs:
        fake = await FakeAsterisk.connect(server.port)
        await fake.answer(b"ANSWER\n", b"200 result=0\n")
        await fake.answer(b"STREAM FILE welcome 12\n", b"200 result=50 endpos=3200\n")
        await fake.answer(b"GET DATA ext 5000 4\n", b"200 result=4711\n")
        assert await fake.closed_by_server()
        await wait_done(outcome)
    assert outcome["env"].args == ("city-main",)
    assert (outcome["key"], outcome["digits"]) == ("2", "4711")
    completes = [e for e in logs if e["event"] == "agi.command.complete"]
    assert [e["command"] for e in completes] == ["ANSWER", "STREAM FILE", "GET DATA"]
    for entry in completes:
        assert entry["call_id"] == "1732600000.1"
        assert entry["channel"] == "Local/100@inbound-00000001;2"
        assert isinstance(entry["ms"], float)
    ended = [e for e in logs if e["event"] == "fastagi.session.ended"]
    assert ended[0]["outcome"] == "complete"
    # Per command at DEBUG, per call at INFO (a line per command cost a tenth of the
    # controller's time under load); a complete session is told by the handler's own INFO
    # line (ivr.session_end), so its end here is DEBUG too; a failed one is INFO.
    assert {e["log_level"] for e in completes} == {"debug"}
    assert ended[0]["log_level"] == "debug" and ended[0]["script"] == "inbound"


async def test_sensitive_command_logs_neither_arguments_nor_digits(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        reply = await channel.command("GET DATA", "pin-prompt", "5000", "4", sensitive=True)
        outcome["pin"] = reply.digits

    server, outcome = await serve(body)
    with contextvar_logs() as logs:
        fake = await FakeAsterisk.connect(server.port)
        await fake.answer(b"GET DATA pin-prompt 5000 4\n", b"200 result=9731\n")
        await wait_done(outcome)
    assert outcome["pin"] == "9731"
    assert any(e["event"] == "agi.command.complete" for e in logs)
    assert "9731" not in repr(logs)
    assert "pin-prompt" not in repr(logs)


async def test_bare_connect_and_close_neither_spins_nor_blocks_another_session(
    serve: Any,
) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        await channel.execute(agi_commands.answer())

    server, outcome = await serve(body, header_timeout=5.0)
    for _ in range(5):
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.close()
    silent_reader, silent_writer = await asyncio.open_connection("127.0.0.1", server.port)
    silent_writer.write(b"agi_network: yes\n")  # and then nothing: a slow header
    cpu_before = time.process_time()
    fake = await FakeAsterisk.connect(server.port)
    await fake.answer(b"ANSWER\n", b"200 result=0\n")
    await wait_done(outcome)
    await asyncio.sleep(0.3)
    assert time.process_time() - cpu_before < 0.25, "the event loop is spinning"
    assert outcome["calls"] == 1 and "error" not in outcome
    silent_writer.close()


async def test_slow_header_is_closed_after_the_header_timeout(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        raise AssertionError("the handler must not run")

    server, outcome = await serve(body, header_timeout=0.2)
    with capture_logs() as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\nagi_chan")
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), 2) == b""
    assert 0.15 < time.monotonic() - started < 1.5
    assert outcome["calls"] == 0
    assert [e["reason"] for e in logs if e["event"] == "fastagi.rejected"] == [
        "no environment in time"
    ]


async def test_garbage_instead_of_an_environment_is_closed_and_logged(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        raise AssertionError("the handler must not run")

    server, outcome = await serve(body)
    with capture_logs() as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert await asyncio.wait_for(reader.read(), 2) == b""
    rejected = [e for e in logs if e["event"] == "fastagi.rejected"]
    assert rejected[0]["received"] == b"GET / HTTP/1.1\r\n"
    assert outcome["calls"] == 0


async def test_peer_outside_the_allow_list_is_closed_without_running_the_handler(
    serve: Any,
) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        raise AssertionError("the handler must not run")

    server, outcome = await serve(body, allow=("10.20.30.0/24",))
    with capture_logs() as logs:
        fake = await FakeAsterisk.connect(server.port)
        assert await fake.closed_by_server()
    assert outcome["calls"] == 0
    assert [(e["event"], e["peer"]) for e in logs if e["event"] == "fastagi.rejected"] == [
        ("fastagi.rejected", "127.0.0.1")
    ]


async def test_reply_then_hangup_returns_the_reply_and_the_next_command_raises(
    serve: Any,
) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        outcome["reply"] = await channel.execute(agi_commands.stream_file("welcome"))
        outcome["hung_up"] = channel.hung_up
        await channel.execute(agi_commands.stream_file("menu"))

    server, outcome = await serve(body)
    with capture_logs() as logs:
        fake = await FakeAsterisk.connect(server.port)
        await fake.answer(b'STREAM FILE welcome ""\n', b"200 result=-1 endpos=800\nHANGUP\n")
        assert await fake.closed_by_server()  # "menu" was never sent
        await wait_done(outcome)
    assert outcome["reply"].failed and outcome["hung_up"]
    assert isinstance(outcome["error"], ChannelHungUp)
    assert outcome["error"].reply is None
    assert [e["outcome"] for e in logs if e["event"] == "fastagi.session.ended"] == ["hung-up"]


async def test_hangup_before_the_reply_turns_511_into_channel_hung_up(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        await channel.execute(agi_commands.stream_file("welcome"))

    server, outcome = await serve(body)
    fake = await FakeAsterisk.connect(server.port)
    await fake.answer(
        b'STREAM FILE welcome ""\n',
        b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n",
    )
    await wait_done(outcome)
    error = outcome["error"]
    assert isinstance(error, ChannelHungUp)
    assert error.reply is not None and error.reply.code == 511


async def test_connection_closed_mid_command_raises_channel_hung_up(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        await channel.execute(agi_commands.get_data("ext", 5000, 4))

    server, outcome = await serve(body)
    fake = await FakeAsterisk.connect(server.port)
    await fake.expect(b"GET DATA ext 5000 4\n")
    await fake.send(b"200 resu")
    fake.close()
    await wait_done(outcome)
    assert isinstance(outcome["error"], ChannelHungUp)


async def test_usage_reply_raises_with_the_usage_and_the_session_stays_in_step(
    serve: Any,
) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        with pytest.raises(AgiCommandError) as info:
            await channel.command("GET DATA")
        outcome["usage"] = info.value
        with pytest.raises(AgiCommandError) as info:
            await channel.command("FROBNICATE")
        outcome["unknown"] = info.value
        outcome["value"] = (await channel.execute(agi_commands.get_variable("LANG"))).data

    server, outcome = await serve(body)
    fake = await FakeAsterisk.connect(server.port)
    await fake.answer(b"GET DATA\n", USAGE)
    await fake.answer(b"FROBNICATE\n", b"510 Invalid or unknown command\n")
    await fake.answer(b"GET VARIABLE LANG\n", b"200 result=1 (en)\n")
    await wait_done(outcome)
    assert "error" not in outcome
    assert outcome["usage"].code == 520 and "Usage: GET DATA" in outcome["usage"].text
    assert (outcome["unknown"].code, outcome["unknown"].command) == (510, "FROBNICATE")
    assert outcome["value"] == "en"


async def test_command_timeout_closes_the_session(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        await channel.execute(agi_commands.wait_for_digit(100), timeout=0.2)

    server, outcome = await serve(body)
    fake = await FakeAsterisk.connect(server.port)
    await fake.expect(b"WAIT FOR DIGIT 100\n")
    assert await fake.closed_by_server()
    await wait_done(outcome)
    assert isinstance(outcome["error"], AgiCommandTimeout)


async def test_handler_exception_is_logged_and_the_server_keeps_serving(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        if outcome["calls"] == 1:
            raise RuntimeError("flow bug")
        await channel.execute(agi_commands.answer())

    server, outcome = await serve(body)
    with contextvar_logs() as logs:
        first = await FakeAsterisk.connect(server.port, call=1)
        assert await first.closed_by_server()
        outcome["done"].clear()
        second = await FakeAsterisk.connect(server.port, call=2)
        await second.answer(b"ANSWER\n", b"200 result=0\n")
        await wait_done(outcome)
    failed = [e for e in logs if e["event"] == "fastagi.handler_failed"]
    assert failed[0]["call_id"] == "1732600000.1"
    assert failed[0]["exc_info"] is True
    assert outcome["calls"] == 2


async def test_close_with_a_session_running_cancels_it_after_the_grace(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        outcome["started"] = True
        await channel.execute(agi_commands.wait_for_digit(60000))

    server, outcome = await serve(body, close_grace=0.2)
    fake = await FakeAsterisk.connect(server.port)
    await fake.expect(b"WAIT FOR DIGIT 60000\n")
    assert repr(server) == f"<FastAgiServer 127.0.0.1:{server.port} listening, 1 sessions>"
    started = time.monotonic()
    with capture_logs() as logs:
        await asyncio.wait_for(server.close(), 2)
    assert time.monotonic() - started < 1.5
    assert await fake.closed_by_server()
    assert [e["outcome"] for e in logs if e["event"] == "fastagi.session.ended"] == ["cancelled"]
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", server.port)


async def test_close_lets_a_session_that_finishes_in_time_complete(serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        await channel.execute(agi_commands.answer())
        await channel.execute(agi_commands.set_variable("IVR_DONE", "1"))

    server, outcome = await serve(body, close_grace=2.0)
    fake = await FakeAsterisk.connect(server.port)
    await fake.expect(b"ANSWER\n")
    closing = asyncio.create_task(server.close())
    await asyncio.sleep(0.05)
    await fake.send(b"200 result=0\n")
    await fake.answer(b"SET VARIABLE IVR_DONE 1\n", b"200 result=1\n")
    await asyncio.wait_for(closing, 2)
    assert "error" not in outcome


"""The AGI and AMI codecs fuzzed: random bytes, huge lines, cut connections. Nothing
crashes, nothing hangs, memory stays bounded; the servers and clients stay usable."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.ami import AmiClient, AmiError
from infra.ami_guards import MAX_AMI_MESSAGE, GuardedProtocol
from ivr import agi_commands
from ivr.agi import AgiConnection, AgiError
from ivr.fastagi import AgiChannel, FastAgiServer
from tests.ivr.test_fastagi import ENV, FakeAsterisk

#: Bytes that look like protocol pieces, so the fuzzer reaches deeper states.
PIECES = st.sampled_from([b"\r\n", b"\n", b"\r\n\r\n", b": ", b"Response: Success",
                          b"Event: Hangup", b"ActionID: 1", b"200 result=1", b"520-",
                          b"520 End of proper usage.", b"HANGUP", b"agi_channel: x",
                          b"Asterisk Call Manager/9.0.0", b"\xff\xfe", b"\x00"])
CHUNKS = st.lists(st.one_of(st.binary(max_size=300), PIECES), max_size=40)


def _feed_agi(chunks: list[bytes], command_first: bool) -> None:
    conn = AgiConnection()
    try:
        conn.feed(ENV % 1)
        if command_first:
            conn.send(agi_commands.answer())
        for chunk in chunks:
            conn.feed(chunk)
    except AgiError:
        pass  # a protocol error names the bytes; the session is closed by the server


@given(CHUNKS, st.booleans())
def test_agi_codec_any_bytes_give_events_or_a_protocol_error_never_another_exception(
        chunks, command_first):
    started = time.monotonic()
    _feed_agi(chunks, command_first)
    assert time.monotonic() - started < 1.0


def test_agi_codec_huge_line_is_refused_before_it_fills_memory():
    conn = AgiConnection()
    conn.feed(ENV % 1)
    conn.send(agi_commands.answer())
    with pytest.raises(AgiError, match="too long"):
        for _ in range(1000):
            conn.feed(b"2" * 65536)


class _Transport:
    def __init__(self) -> None:
        self.aborted = False
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.aborted = True


class _Factory:
    forgetable_actions = ("ping", "login")
    awaiting_actions: Any = None

    def __init__(self) -> None:
        self.events = 0
        self.lost = 0

    def dispatch(self, message: Any) -> None:
        self.events += 1

    def connection_lost(self, exc: Any) -> None:
        self.lost += 1


def _ami_protocol() -> tuple[GuardedProtocol, _Transport]:
    protocol = GuardedProtocol()
    transport = _Transport()
    protocol.connection_made(transport)
    protocol.factory = _Factory()
    return protocol, transport


@given(CHUNKS)
def test_ami_reader_any_bytes_never_raise_and_keep_at_most_one_message(chunks):
    protocol, _transport = _ami_protocol()
    started = time.monotonic()
    for chunk in chunks:
        protocol.data_received(chunk)
    assert sum(len(part) for part in protocol.queue) <= MAX_AMI_MESSAGE
    assert time.monotonic() - started < 1.0


def test_ami_reader_cuts_a_peer_that_never_ends_its_message():
    protocol, transport = _ami_protocol()
    for _ in range(40):
        protocol.data_received(b"Event: X\r\nValue: " + b"y" * 65536)
        if transport.aborted:
            break
    assert transport.aborted
    assert sum(len(part) for part in protocol.queue) <= MAX_AMI_MESSAGE


async def _fake_ami(payload: bytes, close: bool) -> asyncio.Server:
    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n" + payload)
        await writer.drain()
        if close:
            writer.close()
        else:
            await asyncio.sleep(30)

    return await asyncio.start_server(peer, "127.0.0.1", 0)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000), st.booleans())
def test_ami_client_against_a_garbage_peer_fails_cleanly_in_bounded_time(payload, close):
    async def scenario() -> None:
        server = await _fake_ami(payload, close)
        port = server.sockets[0].getsockname()[1]
        client = AmiClient("127.0.0.1", port, "vaxel", "secret")
        try:
            with pytest.raises(AmiError):
                await asyncio.wait_for(client.connect(), 15)
        finally:
            await client.close()
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())


@settings(max_examples=15, deadline=None)
@given(st.binary(max_size=5000), st.integers(min_value=0, max_value=3))
def test_fastagi_server_survives_garbage_and_cut_connections_and_serves_the_next_call(
        garbage, cut_after):
    async def scenario() -> None:
        served = asyncio.Event()

        async def handler(channel: AgiChannel) -> None:
            await channel.execute(agi_commands.answer())
            served.set()

        server = FastAgiServer(handler, port=0, header_timeout=1.0)
        await server.start()
        try:
            for _ in range(cut_after + 1):
                _, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(garbage)
                await writer.drain()
                writer.close()
            fake = await FakeAsterisk.connect(server.port)
            await fake.answer(b"ANSWER\n", b"200 result=0\n")
            await asyncio.wait_for(served.wait(), 5)
            fake.close()
        finally:
            await asyncio.wait_for(server.close(), 10)

    asyncio.run(scenario())

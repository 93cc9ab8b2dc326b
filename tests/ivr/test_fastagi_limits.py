"""FastAGI limits: idle connections are dropped oldest first and never keep a call from
being served; beyond max_sessions a connection is closed at once."""

from __future__ import annotations

import asyncio
from typing import Any

from ivr import agi_commands
from ivr.fastagi import AgiChannel
from tests.ivr.test_fastagi import FakeAsterisk, Outcome, serve, wait_done

__all__ = ["serve"]  # the fixture, used by name


async def test_given_200_idle_connections_then_a_call_is_still_served_at_once(
        serve: Any) -> None:
    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        await channel.execute(agi_commands.answer())

    server, outcome = await serve(body, header_timeout=30.0, max_pending=64)
    idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(200)]
    await asyncio.sleep(0.2)
    fake = await FakeAsterisk.connect(server.port)
    await fake.answer(b"ANSWER\n", b"200 result=0\n")
    await wait_done(outcome)
    assert outcome["calls"] == 1 and "error" not in outcome
    # Only the newest max_pending idle connections are still open; the others were dropped.
    closed = 0
    for reader, _writer in idle:
        try:
            data = await asyncio.wait_for(reader.read(), 0.01)
            closed += data == b""
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed += 1
    assert closed >= 200 - 64
    assert len(server._pending) <= 64
    for _reader, writer in idle:
        writer.close()


async def test_given_max_sessions_running_then_a_new_connection_is_closed_at_once(
        serve: Any) -> None:
    release = asyncio.Event()

    async def body(channel: AgiChannel, outcome: Outcome) -> None:
        await release.wait()

    server, outcome = await serve(body, max_sessions=2)
    first = await FakeAsterisk.connect(server.port, call=1)
    second = await FakeAsterisk.connect(server.port, call=2)
    for _ in range(50):
        if server._running == 2:
            break
        await asyncio.sleep(0.02)
    third = await FakeAsterisk.connect(server.port, call=3)
    assert await third.closed_by_server(within=1.0)
    release.set()
    await wait_done(outcome)
    assert outcome["calls"] == 2
    first.close()
    second.close()

"""The guarded AMI client's connection: login, retry, watchdog reconnects, close (fake AMI)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from structlog.testing import capture_logs

from infra.ami import AmiActionFailed, AmiClient, AmiLoginFailed, AmiUnavailable
from tests.ami.fake import FakeAmi, eventually, free_port


async def test_refused_login_raises_and_is_not_retried(fake: FakeAmi) -> None:
    ami = AmiClient("127.0.0.1", fake.port, "vaxel", "wrong")
    with pytest.raises(AmiLoginFailed, match="Authentication failed"):
        await ami.connect()
    assert not ami.connected
    await asyncio.sleep(0.3)
    assert fake.connections == 1
    await ami.close()


async def test_no_listener_raises_unavailable() -> None:
    port = free_port()
    ami = AmiClient("127.0.0.1", port, "vaxel", "s3cret")
    with pytest.raises(AmiUnavailable, match=f"127.0.0.1:{port}"):
        await ami.connect()
    with pytest.raises(AmiUnavailable):
        await ami.action({"Action": "Ping"})


async def test_connect_with_retry_waits_for_asterisk_to_come_up() -> None:
    port = free_port()
    ami = AmiClient("127.0.0.1", port, "vaxel", "s3cret", reconnect_delays=(0.05,))
    connecting = asyncio.create_task(ami.connect(retry=True))
    await asyncio.sleep(0.3)
    assert not connecting.done()
    late = FakeAmi()
    await late.start(port)
    try:
        await asyncio.wait_for(connecting, 3)
        assert ami.connected
    finally:
        await ami.close()
        await late.stop()


async def test_connect_with_retry_still_raises_on_a_refused_login() -> None:
    port = free_port()
    ami = AmiClient("127.0.0.1", port, "vaxel", "wrong", reconnect_delays=(0.05,))
    connecting = asyncio.create_task(ami.connect(retry=True))
    await asyncio.sleep(0.2)
    late = FakeAmi()
    await late.start(port)
    try:
        with pytest.raises(AmiLoginFailed):
            await asyncio.wait_for(connecting, 3)
    finally:
        await ami.close()
        await late.stop()


async def test_dropped_connection_is_rebuilt_and_on_reconnect_runs(
    fake: FakeAmi, client: AmiClient
) -> None:
    rebuilt: list[list[dict[str, Any]]] = []

    async def rebuild() -> None:
        rebuilt.append(await client.core_show_channels())

    client.on_reconnect = rebuild
    fake.drop()
    await eventually(lambda: rebuilt)
    assert client.connected and client.reconnects == 1
    assert len(fake.actions("Login")) == 2
    assert len(rebuilt[0]) == 2


async def test_missed_pings_make_the_watchdog_reconnect(fake: FakeAmi, client: AmiClient) -> None:
    with capture_logs() as logs:
        fake.answer_pings = False
        await eventually(lambda: len(fake.actions("Login")) == 2)
        fake.answer_pings = True
        await eventually(lambda: client.reconnects == 1 and client.connected)
    lost = [e for e in logs if e["event"] == "ami.connection_lost"]
    assert lost[0]["reason"].startswith("ping failed")


async def test_in_flight_originate_fails_on_disconnect_and_is_never_replayed(
    fake: FakeAmi, client: AmiClient
) -> None:
    fake.silent.update({"originate", "getvar"})
    originate = asyncio.create_task(client.originate("Local/1@x", application="Wait", data="1"))
    getvar = asyncio.create_task(client.action({"Action": "Getvar", "Variable": "X"}, 5))
    await eventually(lambda: fake.actions("Originate") and fake.actions("Getvar"))
    fake.silent = set()
    fake.drop()
    with pytest.raises(AmiActionFailed, match="outcome is unknown"):
        await originate
    # An idempotent action is re-sent once Asterisk is FullyBooted again, and answered.
    assert (await asyncio.wait_for(getvar, 3))["Value"] == "42"
    await eventually(lambda: client.reconnects == 1)
    await asyncio.sleep(0.2)
    assert len(fake.actions("Getvar")) == 2
    assert len(fake.actions("Originate")) == 1


async def test_repr_says_who_and_whether_connected(fake: FakeAmi, client: AmiClient) -> None:
    assert repr(client) == f"<AmiClient vaxel@127.0.0.1:{fake.port} connected>"
    await client.close()
    assert repr(client) == f"<AmiClient vaxel@127.0.0.1:{fake.port} disconnected>"


async def test_close_is_bounded_when_the_watchdog_ignores_its_cancellation(
    fake: FakeAmi, client: AmiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("infra.ami.WATCHDOG_STOP_S", 0.2)
    release = asyncio.Event()
    ignored: list[str] = []

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                ignored.append("cancel")

    assert client._watchdog is not None
    client._watchdog.cancel()
    stuck = asyncio.create_task(stubborn())
    client._watchdog = stuck
    await asyncio.sleep(0)
    with capture_logs() as logs:
        async with asyncio.timeout(2):
            await client.close()
    assert ignored == ["cancel"]
    assert [e["event"] for e in logs] == ["ami.watchdog_stuck", "ami.closed"]
    assert not client.connected
    release.set()
    await stuck


async def test_closed_client_watchdog_ends_instead_of_reconnecting(
    fake: FakeAmi, client: AmiClient
) -> None:
    watchdog = client._watchdog
    assert watchdog is not None
    await client.close()
    assert watchdog.done()
    await asyncio.sleep(0.3)  # several ping intervals and reconnect delays
    assert len(fake.actions("Login")) == 1

"""The guarded AMI client against a scripted fake AMI server on a loopback port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from infra.ami import AmiActionFailed, AmiClient, AmiLoginFailed, AmiUnavailable

Fields = dict[str, Any]


class FakeAmi:
    """Speaks enough AMI for the client: banner, Login, Ping, Originate, lists, events."""

    def __init__(self, username: str = "vaxel", secret: str = "s3cret") -> None:
        self.username = username
        self.secret = secret
        self.answer_pings = True
        self.silent: set[str] = set()  # actions that get no reply
        self.received: list[Fields] = []
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.drop()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def drop(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    def actions(self, name: str) -> list[Fields]:
        return [m for m in self.received if m.get("Action", "").lower() == name.lower()]

    def event(self, **fields: Any) -> None:
        for writer in self.writers:
            self._send(writer, fields)

    @staticmethod
    def _send(writer: asyncio.StreamWriter, fields: Fields) -> None:
        lines = [f"{k}: {v}" for k, v in fields.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                message = self._parse(block.decode())
                self.received.append(message)
                if not await self._answer(writer, message):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    def _parse(block: str) -> Fields:
        message: Fields = {}
        for line in block.strip().split("\r\n"):
            key, _, value = line.partition(": ")
            if key in message:
                old = message[key]
                message[key] = [*(old if isinstance(old, list) else [old]), value]
            else:
                message[key] = value
        return message

    async def _answer(self, writer: asyncio.StreamWriter, message: Fields) -> bool:
        name = message.get("Action", "").lower()
        reply: Fields = {"Response": "Success", "ActionID": message.get("ActionID", "")}
        if name in self.silent or (name == "ping" and not self.answer_pings):
            return True
        if name == "login":
            return self._login(writer, message, reply)
        if name == "ping":
            reply.update(Ping="Pong", Timestamp="1732600000.000000")
        elif name == "originate":
            reply["Message"] = "Originate successfully queued"
            asyncio.get_running_loop().call_later(0.05, self._originate_response, message)
        elif name == "playdtmf":
            reply["Message"] = "DTMF successfully queued"
        elif name == "coreshowchannels":
            return self._channels(writer, reply)
        elif name == "getvar":
            reply.update(Variable=message["Variable"], Value="42")
        else:
            reply.update(Response="Error", Message="Invalid/unknown command")
        self._send(writer, reply)
        return True

    def _login(self, writer: asyncio.StreamWriter, message: Fields, reply: Fields) -> bool:
        if (message.get("Username"), message.get("Secret")) != (self.username, self.secret):
            reply.update(Response="Error", Message="Authentication failed")
            self._send(writer, reply)
            return False  # Asterisk closes the session after a refused Login
        reply["Message"] = "Authentication accepted"
        self._send(writer, reply)
        self.writers.append(writer)
        self._send(writer, {"Event": "FullyBooted", "Privilege": "system,all", "Uptime": "5"})
        return True

    def _originate_response(self, message: Fields) -> None:
        common = {"Event": "OriginateResponse", "Channel": message["Channel"], "Reason": "4"}
        self.event(**common, ActionID="someone-else", Response="Failure", Uniqueid="<null>")
        self.event(
            **common,
            ActionID=message["ActionID"],
            Response="Success",
            Uniqueid=message["ChannelId"],
        )

    def _channels(self, writer: asyncio.StreamWriter, reply: Fields) -> bool:
        action_id = reply["ActionID"]
        reply.update(EventList="start", Message="Channels will follow")
        self._send(writer, reply)
        for n in (1, 2):
            self._send(
                writer,
                {
                    "Event": "CoreShowChannel",
                    "ActionID": action_id,
                    "Channel": f"Local/100@inbound-0000000{n};1",
                    "Uniqueid": f"1732600000.{n}",
                },
            )
        self._send(
            writer,
            {
                "Event": "CoreShowChannelsComplete",
                "ActionID": action_id,
                "EventList": "Complete",
                "ListItems": "2",
            },
        )
        return True


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeAmi) -> AsyncIterator[AmiClient]:
    ami = AmiClient(
        "127.0.0.1",
        fake.port,
        "vaxel",
        "s3cret",
        ping_interval=0.1,
        ping_timeout=0.2,
        reconnect_delays=(0.05,),
    )
    await ami.connect()
    yield ami
    await ami.close()


async def eventually(condition: Any, within: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.02)


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


async def test_originate_is_async_with_our_channel_id_and_returns_its_own_response(
    fake: FakeAmi, client: AmiClient
) -> None:
    response = await client.originate(
        "Local/100@inbound/n",
        context="caller-script",
        exten="s",
        variables={"TEST_DIGITS": "1", "CALL": "7"},
        channel_id="test-call-7",
        timeout=5,
    )
    assert response["ActionID"] != "someone-else"
    assert (response["Response"], response["Uniqueid"]) == ("Success", "test-call-7")
    (sent,) = fake.actions("Originate")
    assert (sent["Async"], sent["ChannelId"], sent["Timeout"]) == ("true", "test-call-7", "5000")
    assert sent["Variable"] == ["TEST_DIGITS=1", "CALL=7"]
    assert (sent["Context"], sent["Exten"], sent["Priority"]) == ("caller-script", "s", "1")


async def test_originate_needs_a_destination(client: AmiClient) -> None:
    with pytest.raises(ValueError, match="either context and exten, or application"):
        await client.originate("Local/1@x", context="only-context")


async def test_successfully_queued_reply_returns_and_keeps_the_connection(
    fake: FakeAmi, client: AmiClient
) -> None:
    reply = await client.action({"Action": "PlayDTMF", "Channel": "Local/1@x;1", "Digit": "1"})
    assert reply["Message"] == "DTMF successfully queued"
    assert (await client.action({"Action": "Getvar", "Variable": "X"}))["Value"] == "42"
    assert fake.connections == 1


async def test_error_reply_raises_action_failed_with_the_message(client: AmiClient) -> None:
    with capture_logs() as logs:
        with pytest.raises(AmiActionFailed) as info:
            await client.action({"Action": "Frobnicate"})
    assert info.value.action == "Frobnicate"
    assert info.value.message is not None
    assert info.value.reason == "Invalid/unknown command"
    failed = [e for e in logs if e["event"] == "ami.action.failed"]
    assert failed[0]["action"] == "Frobnicate" and isinstance(failed[0]["ms"], float)


async def test_unanswered_action_times_out(fake: FakeAmi, client: AmiClient) -> None:
    fake.silent.add("getvar")
    with pytest.raises(AmiActionFailed, match="no reply in 0.1 s"):
        await client.action({"Action": "Getvar", "Variable": "X"}, timeout=0.1)


async def test_events_reach_the_subscribers_whose_predicate_matches(
    fake: FakeAmi, client: AmiClient
) -> None:
    hangups = client.subscribe(lambda e: e.get("Event") == "Hangup")
    everything = client.subscribe()
    fake.event(Event="Newchannel", Channel="Local/1@x;1")
    fake.event(Event="Hangup", Channel="Local/1@x;1", Cause="16")
    hangup = await hangups.get(timeout=2)
    assert (hangup["Event"], hangup["cause"]) == ("Hangup", "16")
    assert [(await everything.get(timeout=2))["Event"] for _ in range(2)] == [
        "Newchannel",
        "Hangup",
    ]
    assert hangups.queue.empty()
    fake.event(Event="Hangup", Channel="Local/3@x;1")
    async for event in hangups:
        assert event["Channel"] == "Local/3@x;1"
        break
    assert (await everything.get(timeout=2))["Channel"] == "Local/3@x;1"
    hangups.close()
    fake.event(Event="Hangup", Channel="Local/2@x;1")
    assert (await everything.get(timeout=2))["Channel"] == "Local/2@x;1"
    assert hangups.queue.empty()


async def test_core_show_channels_collects_the_list(client: AmiClient) -> None:
    channels = await client.core_show_channels()
    assert [c["Uniqueid"] for c in channels] == ["1732600000.1", "1732600000.2"]


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


async def test_action_cancelled_as_its_reply_arrives_stays_cancelled(
    fake: FakeAmi, client: AmiClient
) -> None:
    # Python 3.11's wait_for returned the reply here and lost the cancellation, so a
    # controller stopping while it rebuilt its state ran on (and its stop hung).
    fake.silent.add("getvar")
    task = asyncio.create_task(client.action({"Action": "Getvar", "Variable": "X"}, 5))
    await eventually(lambda: fake.actions("Getvar") and client._inflight)
    (_name, future), = client._inflight.values()
    future.set_result([])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not client._inflight


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

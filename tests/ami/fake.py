"""A scripted fake AMI server for the AMI client tests, and their waiting helpers.

`FakeAmi` speaks enough AMI for `infra.ami.AmiClient` (banner, Login, Ping, Originate with
its ``OriginateResponse``, CoreShowChannels, events) on a loopback port the OS chooses, and
can drop its connections, leave actions unanswered or stop answering pings; it records
every message it received. `eventually` polls a condition; `free_port` finds a port with
no listener. The fixtures that start them are in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

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


async def eventually(condition: Any, within: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

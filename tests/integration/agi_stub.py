"""A scripted FastAGI peer for dialplan tests: not the controller, just enough AGI.

Each connection reads the AGI environment, runs the script registered for its
request path (``inbound``, ``resume``) with the environment, and records what it
saw, so a test can pin the contract between the static dialplan and the
controller (IVR_DONE, VAXEL_ACTION, VAXEL_DIAL, the resume arguments).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class AgiSession:
    env: dict[str, str]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    replies: list[str] = field(default_factory=list)

    @property
    def script(self) -> str:
        return self.env.get("agi_network_script", "")

    async def command(self, line: str) -> str:
        self.writer.write((line + "\n").encode())
        await self.writer.drain()
        reply = (await self.reader.readline()).decode().strip()
        self.replies.append(reply)
        return reply

    async def take_call(self, action: str, **variables: str) -> None:
        """What the controller does when it keeps a call: set variables, then IVR_DONE=1."""
        for name, value in {**variables, "VAXEL_ACTION": action}.items():
            await self.command(f'SET VARIABLE {name} "{value}"')
        await self.command("SET VARIABLE IVR_DONE 1")


Script = Callable[[AgiSession], Awaitable[None]]


class AgiStub:
    def __init__(self, scripts: dict[str, Script]) -> None:
        self.scripts = scripts
        self.sessions: list[AgiSession] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> AgiStub:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: dict[str, str] = {}
        while (line := (await reader.readline()).decode().strip()):
            key, _, value = line.partition(":")
            env[key.strip()] = value.strip()
        session = AgiSession(env, reader, writer)
        self.sessions.append(session)
        try:
            await self.scripts[session.script](session)
        finally:
            writer.close()

"""Call state in Redis, so that any controller can continue any call.

Keys: ``vaxel:call:<uniqueid>`` holds a call's ``CallState`` as JSON (expires
after ``ttl_s`` without change); ``vaxel:flow:<version>`` holds the source text
of every flow version a call started on, so a controller that never loaded that
version can still resume the call on it; the stream ``vaxel:calls`` records each
saved state change for statistics. ``MemoryCallStore`` is the in-process fake for
unit tests.
"""

from __future__ import annotations

import json
import time
from typing import cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from infra.redis_url import CONNECT_TIMEOUT_S, parse_redis_url, redis_client
from ivr.errors import IvrError
from ivr.flow import Flow
from ivr.run import CallState

#: The step of a ``vaxel:calls`` entry that says a direct dial was answered.
DIAL_ANSWERED = "dial-answered"
#: Longest the ``vaxel:calls`` stream grows (approximate trimming).
CALL_STREAM_MAXLEN = 100_000
#: How long a flow version's text is kept after a call last started on it.
FLOW_TTL_S = 7 * 24 * 3600
#: Seconds a controller lets pass before it writes a flow version it already wrote again
#: (the text is about 10 KB: once per call was a tenth of Redis's traffic under load; a
#: Redis that lost its data gets it back within this time).
FLOW_RESAVE_S = 60.0


def pooled_client(url: str, max_connections: int = 64,
                  pool_timeout_s: float = 2.0) -> aioredis.Redis:
    """A Redis client (str replies) on a sized blocking connection pool. Through Sentinel
    (``redis+sentinel://``) the pool is the Sentinel's, sized the same (not blocking)."""
    if parse_redis_url(url).via_sentinel:
        return cast(aioredis.Redis, redis_client(url, max_connections=max_connections))
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=pool_timeout_s, decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_S)
    return aioredis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


class CallStoreUnavailable(IvrError):
    """Redis could not be reached or refused the command."""


class RedisCallStore:
    def __init__(self, client: aioredis.Redis, ttl_s: int = 4 * 3600,
                 flow_resave_s: float = FLOW_RESAVE_S) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.flow_resave_s = flow_resave_s
        self._flows_saved: dict[str, float] = {}

    @classmethod
    def from_url(cls, url: str, ttl_s: int = 4 * 3600, max_connections: int = 64,
                 pool_timeout_s: float = 2.0) -> RedisCallStore:
        """A store on a blocking pool: at most ``max_connections`` connections; a command
        that finds them all busy waits up to ``pool_timeout_s`` for one. (redis-py's default
        pool raises MaxConnectionsError at once beyond 100, which dropped calls to the
        fallback under load.)"""
        return cls(pooled_client(url, max_connections, pool_timeout_s), ttl_s)

    async def save(self, state: CallState) -> None:
        data = json.dumps(state.to_dict(), ensure_ascii=False)
        step = state.path[-1] if state.path else ""
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.set(f"vaxel:call:{state.call_id}", data, ex=self.ttl_s)
                pipe.xadd("vaxel:calls", {"call_id": state.call_id, "flow": state.flow,
                                          "node": state.node, "step": step,
                                          "done": int(state.done)},
                          maxlen=CALL_STREAM_MAXLEN, approximate=True)
                await pipe.execute()
        except RedisError as exc:
            raise CallStoreUnavailable(f"saving call {state.call_id}: {exc}") from exc

    async def load(self, call_id: str) -> CallState | None:
        try:
            raw = await self.client.get(f"vaxel:call:{call_id}")
        except RedisError as exc:
            raise CallStoreUnavailable(f"loading call {call_id}: {exc}") from exc
        return CallState.from_dict(json.loads(raw)) if raw else None

    async def dial_answered(self, call_id: str) -> None:
        """Note in ``vaxel:calls`` that the person the IVR dialled answered
        (`ivr.dial_answers`): the IVR's part of the call is over (``done``); the call's
        saved state is left as it is (it still says it waits for the dial)."""
        try:
            await self.client.xadd("vaxel:calls", {"call_id": call_id, "flow": "", "node": "",
                                                    "step": DIAL_ANSWERED, "done": 1},
                                   maxlen=CALL_STREAM_MAXLEN, approximate=True)
        except RedisError as exc:
            raise CallStoreUnavailable(f"noting the answer of call {call_id}: {exc}") from exc

    async def save_flow(self, flow: Flow) -> None:
        """Store a flow version's text (calls refer to it by version), once per
        ``flow_resave_s`` per version and controller, not once per call."""
        now = time.monotonic()
        if now - self._flows_saved.get(flow.version, -1e18) < self.flow_resave_s:
            return
        try:
            await self.client.set(f"vaxel:flow:{flow.version}", flow.source_text, ex=FLOW_TTL_S)
        except RedisError as exc:
            raise CallStoreUnavailable(f"saving flow {flow.name}: {exc}") from exc
        self._flows_saved[flow.version] = now

    async def load_flow_source(self, version: str) -> str | None:
        try:
            raw = await self.client.get(f"vaxel:flow:{version}")
        except RedisError as exc:
            raise CallStoreUnavailable(f"loading flow version {version[:8]}: {exc}") from exc
        return str(raw) if raw is not None else None

    async def close(self) -> None:
        await self.client.aclose()


class MemoryCallStore:
    """The same interface in a dict, for unit tests."""

    def __init__(self) -> None:
        self.calls: dict[str, CallState] = {}
        self.flows: dict[str, str] = {}
        self.history: list[CallState] = []

    async def save(self, state: CallState) -> None:
        self.calls[state.call_id] = state
        self.history.append(state)

    async def load(self, call_id: str) -> CallState | None:
        return self.calls.get(call_id)

    async def save_flow(self, flow: Flow) -> None:
        self.flows[flow.version] = flow.source_text

    async def load_flow_source(self, version: str) -> str | None:
        return self.flows.get(version)

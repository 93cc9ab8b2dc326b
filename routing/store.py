"""`RoutingStore`: the routing state in Redis (redis-py asyncio), shared by controllers.

Layout under a prefix (default ``vaxel``): ``agent:<id>`` and ``acd-call:<id>`` hashes
(not ``call:<id>``: the IVR keeps its run state there),
the ``agents`` set, one sorted set ``queue:<name>`` of waiting call ids per queue, and
the ``events`` stream (``vaxel:events``). A waiting call's score orders the queue by
priority then enqueue time (`queue_score`); it is kept in the call hash so that a
call put back after a missed offer returns to exactly its place. Every change is one
Lua script (`routing.store_scripts`): atomic, and appended to the stream in the same
step. Redis failures become `StoreUnavailable` (the cause kept); refusals become
`ClaimConflict`, `IllegalTransition`, `UnknownAgent` or `UnknownCall`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from infra.redis_url import redacted, redis_client
from routing import store_scripts as lua
from routing.errors import (
    ClaimConflict,
    IllegalTransition,
    StoreUnavailable,
    UnknownAgent,
    UnknownCall,
)
from routing.messages import ClaimFailed, RecordEvent
from routing.model import MAX_PRIORITY, MISSED_CALLS_REASON, Agent, AgentState, Call, CallState
from routing.states import AGENT_TRANSITIONS

#: Default key prefix; the event stream is ``<prefix>:events``.
DEFAULT_PREFIX = "vaxel"
#: The event stream is trimmed to about this many entries.
STREAM_MAXLEN = 1_000_000
#: Priority weighs more than any enqueue time in milliseconds (< 1e13 until year 2286).
_PRIORITY_WEIGHT = 10**13


def queue_score(call: Call) -> int:
    """Sorted-set score: lower is served first (higher priority, then earlier)."""
    return (MAX_PRIORITY - call.priority) * _PRIORITY_WEIGHT + int(call.enqueued_at * 1000)


def _allowed_from(event: str) -> list[str]:
    return [s.value for (s, e) in AGENT_TRANSITIONS if e == event]


@asynccontextmanager
async def _translated(action: str) -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"redis {action} failed: {exc}") from exc


class RoutingStore:
    """Agents, queues and calls in Redis; see the module docstring."""

    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._r = client
        self._p = prefix
        self.stream = f"{prefix}:events"
        self._scripts = {name: client.register_script(getattr(lua, name))
                         for name in ("LOGIN", "AGENT_MOVE", "ENQUEUE", "CALLBACK", "CLAIM",
                                      "RELEASE", "ANSWER", "FINISH")}

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX) -> RoutingStore:
        try:
            client = redis_client(url)
        except ValueError as exc:
            raise StoreUnavailable(f"bad redis URL {redacted(url)!r}: {exc}") from exc
        return cls(client, prefix)

    @property
    def client(self) -> aioredis.Redis:
        """The Redis connection (shared with the call contexts in the same Redis)."""
        return self._r

    async def close(self) -> None:
        await self._r.aclose()

    def _agent_key(self, agent_id: str) -> str:
        return f"{self._p}:agent:{agent_id}"

    def call_key(self, call_id: str) -> str:
        return f"{self._p}:acd-call:{call_id}"

    def _queue_key(self, queue: str) -> str:
        return f"{self._p}:queue:{queue}"

    async def _run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> list[Any]:
        async with _translated(name.lower()):
            result: list[Any] = await self._scripts[name](keys=keys, args=[STREAM_MAXLEN, *args])
        return result

    # ------------------------------------------------------------ agents

    async def login(self, agent: Agent, now: float) -> None:
        """Log an agent in (available, idle since `now`), with skills and queues."""
        res = await self._run("LOGIN", [self._agent_key(agent.id), f"{self._p}:agents",
                                        self.stream],
                              [now, agent.id, agent.employee_id, agent.device,
                               json.dumps(dict(agent.skills), sort_keys=True),
                               json.dumps(sorted(agent.queues))])
        if not res[0]:
            raise IllegalTransition(f"agent {agent.id!r}", res[2], "AgentLoggedIn")

    async def logout(self, agent_id: str, now: float) -> None:
        await self._move_agent(agent_id, "AgentLoggedOut", AgentState.LOGGED_OUT, "", now)

    async def pause(self, agent_id: str, reason: str, now: float) -> None:
        await self._move_agent(agent_id, "AgentPaused", AgentState.PAUSED, reason, now)

    async def unpause(self, agent_id: str, now: float) -> None:
        await self._move_agent(agent_id, "AgentUnpaused", AgentState.AVAILABLE, "", now)

    async def end_wrap_up(self, agent_id: str, now: float, *, by_timer: bool = False) -> None:
        """End wrap-up; `by_timer`: the engine's wrap-up timer (stream cause
        ``WrapUpTimer``, which followers skip), else the agent (``WrapUpEnded``)."""
        event = "WrapUpTimer" if by_timer else "WrapUpEnded"
        await self._move_agent(agent_id, event, AgentState.AVAILABLE, "", now)

    async def _move_agent(self, agent_id: str, event: str, target: AgentState, reason: str,
                          now: float) -> None:
        """One transition of `routing.states.AGENT_TRANSITIONS`, checked inside Redis."""
        reset = "1" if target is AgentState.AVAILABLE else "0"
        res = await self._run("AGENT_MOVE", [self._agent_key(agent_id), self.stream],
                              [now, agent_id, event, target.value, reason, reset,
                               f"{self._p}:acd-call:", f"{self._p}:queue:", *_allowed_from(event)])
        if not res[0]:
            if res[1] == "unknown":
                raise UnknownAgent(agent_id)
            raise IllegalTransition(f"agent {agent_id!r}", res[2], event)

    async def agent(self, agent_id: str) -> Agent:
        async with _translated("read agent"):
            fields = cast(dict[str, str], await self._r.hgetall(self._agent_key(agent_id)))
        if not fields:
            raise UnknownAgent(agent_id)
        return _agent_from(fields)

    async def agents(self) -> list[Agent]:
        """Every agent ever logged in, sorted by id."""
        async with _translated("read agents"):
            ids = sorted(cast(set[str], await self._r.smembers(f"{self._p}:agents")))
            async with self._r.pipeline(transaction=False) as pipe:
                for agent_id in ids:
                    pipe.hgetall(self._agent_key(agent_id))
                rows = await pipe.execute()
        return [_agent_from(row) for row in rows if row]

    # ------------------------------------------------------------ calls

    async def enqueue(self, call: Call) -> None:
        """Add a waiting call at its place (priority, then `enqueued_at`)."""
        fields = {"id": call.id, "queue": call.queue, "priority": call.priority,
                  "enqueued_at": repr(call.enqueued_at), "caller": call.caller,
                  "requirements": json.dumps(list(call.requirements)),
                  "last_agent": call.last_agent or "", "seq": call.seq,
                  "callback": int(call.callback_requested)}
        flat = [x for pair in fields.items() for x in pair]
        res = await self._run("ENQUEUE", [self.call_key(call.id), self._queue_key(call.queue),
                                          self.stream],
                              [call.enqueued_at, call.id, queue_score(call), *flat])
        if not res[0]:
            raise IllegalTransition(f"call {call.id!r}", res[2], "CallEnqueued")

    async def call(self, call_id: str) -> Call:
        async with _translated("read call"):
            fields = cast(dict[str, str], await self._r.hgetall(self.call_key(call_id)))
        if not fields:
            raise UnknownCall(call_id)
        return _call_from(fields)

    async def waiting(self, queue: str, limit: int = -1) -> list[str]:
        """Ids of the waiting calls of `queue`, first served first."""
        async with _translated("read queue"):
            ids = await self._r.zrange(self._queue_key(queue), 0, limit)
        return cast(list[str], ids)

    async def request_callback(self, call_id: str, now: float) -> None:
        """Mark a waiting call "call me back"; it keeps its place."""
        res = await self._run("CALLBACK", [self.call_key(call_id), self.stream], [now, call_id])
        if not res[0]:
            raise IllegalTransition(f"call {call_id!r}", res[2], "CallbackRequested")

    async def claim(self, call_id: str, agent_id: str, now: float) -> None:
        """Atomically offer `call_id` to `agent_id`, or raise `ClaimConflict`."""
        res = await self._run("CLAIM", self._claim_keys(call_id, agent_id),
                              self._claim_args(call_id, agent_id, now))
        if not res[0]:
            raise ClaimConflict(call_id, agent_id, res[1], res[2])

    async def claim_many(self, pairs: Iterable[tuple[str, str]], now: float
                         ) -> list[ClaimConflict | None]:
        """Many claims in one round trip (pipelined scripts, each atomic on its own)."""
        pairs = list(pairs)
        script = self._scripts["CLAIM"]
        async with _translated("claim"):
            async with self._r.pipeline(transaction=False) as pipe:
                for call_id, agent_id in pairs:
                    await script(keys=self._claim_keys(call_id, agent_id),
                                 args=[STREAM_MAXLEN, *self._claim_args(call_id, agent_id, now)],
                                 client=pipe)
                results = await pipe.execute()
        return [None if res[0] else ClaimConflict(c, a, res[1], res[2])
                for (c, a), res in zip(pairs, results, strict=True)]

    def _claim_keys(self, call_id: str, agent_id: str) -> list[str]:
        return [self._agent_key(agent_id), self.call_key(call_id), self.stream]

    def _claim_args(self, call_id: str, agent_id: str, now: float) -> list[Any]:
        return [now, call_id, agent_id, f"{self._p}:queue:"]

    async def release(self, call_id: str, agent_id: str, now: float, *, event: str,
                      missed: bool, max_misses: int) -> AgentState:
        """Put an offered call back at its place; the agent is available again, or
        paused with reason "missed calls" once `missed` makes `max_misses`."""
        res = await self._run("RELEASE", self._claim_keys(call_id, agent_id)[:3],
                              [now, call_id, agent_id, event, int(missed), max_misses,
                               MISSED_CALLS_REASON, f"{self._p}:queue:"])
        if not res[0]:
            raise IllegalTransition(f"call {call_id!r}", res[2], event)
        return AgentState(res[1])

    async def answer(self, call_id: str, agent_id: str, now: float) -> None:
        res = await self._run("ANSWER", self._claim_keys(call_id, agent_id), [now, call_id,
                                                                              agent_id])
        if not res[0]:
            raise IllegalTransition(f"call {call_id!r}", res[2], "OfferAnswered")

    async def finish(self, call_id: str, now: float, cause: str) -> CallState:
        """Remove a call in any state (ended, abandoned, left); free its agent.
        Returns the state the call was in."""
        res = await self._run("FINISH", [self.call_key(call_id), self.stream],
                              [now, call_id, cause, f"{self._p}:agent:", f"{self._p}:queue:"])
        if not res[0]:
            raise UnknownCall(call_id)
        return CallState(res[1])

    # ------------------------------------------------------------ events

    async def record(self, event: RecordEvent) -> str:
        """Append an engine `RecordEvent` to the stream; returns the stream id."""
        fields = {k: v for k, v in (("kind", event.kind), ("at", repr(event.at)),
                                    ("call_id", event.call_id), ("agent_id", event.agent_id),
                                    ("state", event.state), ("cause", event.cause)) if v}
        async with _translated("xadd"):
            entry_id = await self._r.xadd(self.stream, cast(Any, fields),
                                          maxlen=STREAM_MAXLEN, approximate=True)
        return cast(str, entry_id)

    async def last_event_id(self) -> str:
        """Id of the newest stream entry ("0-0" if none): where a follower starts."""
        async with _translated("xrevrange"):
            rows: Any = await self._r.xrevrange(self.stream, count=1)
        return str(rows[0][0]) if rows else "0-0"

    async def events(self, after: str = "0-0", count: int = 1000,
                     block_ms: int | None = None) -> list[tuple[str, dict[str, str]]]:
        """Stream entries after id `after` (exclusive), oldest first; with `block_ms`,
        wait that long for the first new entry if there is none yet."""
        async with _translated("xread"):
            reply: Any = await self._r.xread({self.stream: after}, count=count, block=block_ms)
        if not reply:
            return []
        # RESP2 reply: [[stream, [(id, fields), ...]]] (one stream asked for).
        rows = cast(list[tuple[str, dict[str, str]]], reply[0][1])
        return [(entry_id, dict(fields)) for entry_id, fields in rows]


def claim_failed(conflict: ClaimConflict) -> ClaimFailed:
    """The event to feed the engine after a refused claim: the side found busy was
    taken by another controller (an unknown or logged-out agent counts as taken)."""
    return ClaimFailed(conflict.call_id, conflict.agent_id,
                       call_taken=conflict.side == "call",
                       agent_taken=conflict.side == "agent")


def _agent_from(f: dict[str, str]) -> Agent:
    return Agent(id=f["id"], employee_id=f["employee_id"], device=f["device"],
                 skills=json.loads(f["skills"]), queues=frozenset(json.loads(f["queues"])),
                 state=AgentState(f["state"]), pause_reason=f.get("pause_reason") or None,
                 idle_since=float(f.get("idle_since") or 0), missed=int(f.get("missed") or 0),
                 call_id=f.get("call_id") or None)


def _call_from(f: dict[str, str]) -> Call:
    return Call(id=f["id"], queue=f["queue"], requirements=tuple(json.loads(f["requirements"])),
                priority=int(f["priority"]), enqueued_at=float(f["enqueued_at"]),
                caller=f.get("caller", ""), callback_requested=f.get("callback") == "1",
                last_agent=f.get("last_agent") or None, seq=int(f.get("seq") or 0),
                state=CallState(f["state"]), agent_id=f.get("agent_id") or None,
                answered_at=float(f["answered_at"]) if f.get("answered_at") else None)


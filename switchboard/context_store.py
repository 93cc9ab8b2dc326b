"""Call contexts in Redis, joined on read with the IVR's call state and the directory.

Keys: ``vaxel:ctx:<call_id>`` holds a ``CallContext``'s stored part as JSON (expires
``ttl_s`` after its last change); ``vaxel:contacts:<caller>:<YYYY-MM-DD>`` is a sorted
set of the call ids from that caller on that city day (score: start time, epoch
seconds), kept two days. The IVR path comes from the IVR's own ``vaxel:call:<id>``
(``ivr.callstore``), never copied. Attempts are a list under
``vaxel:ctx:<call_id>:attempts`` (RPUSH), so two recorders (an operator action and a
dial outcome) never lose each other's attempt. Redis errors become ``StoreUnavailable``
naming the call.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from infra.redis_url import redis_client
from switchboard.context import (
    Attempt,
    CallContext,
    Contact,
    city_day,
    contact_key,
    outcome_of_status,
)
from switchboard.errors import StoreUnavailable

#: Seconds a call's context is kept after its last change.
CONTEXT_TTL_S = 4 * 3600
#: Seconds a day's contact list is kept (two days: "today" is all that is asked).
CONTACTS_TTL_S = 2 * 24 * 3600
#: The most contacts of one number and day that are read (the latest): a number that calls
#: thousands of times a day (a company's exchange, a robot) must not make every read long.
CONTACTS_READ = 50


class CallerLookup(Protocol):
    """Reverse lookup: who owns a phone number (blocking; run in a thread)."""

    def names_for_number(self, number: str) -> Sequence[str]: ...


class NoLookup:
    """A lookup that knows nobody (no directory configured)."""

    def names_for_number(self, number: str) -> Sequence[str]:
        return ()


class DirectoryLookup:
    """Reverse lookup through ``Directory.search`` (phone numbers of devices)."""

    def __init__(self, directory: object) -> None:
        self.directory = directory

    def names_for_number(self, number: str) -> Sequence[str]:
        from directory.ranking import MatchRank

        hits = self.directory.search(number, audience="operator")  # type: ignore[attr-defined]
        names = []
        for hit in hits:
            if hit.rank is not MatchRank.PHONE_NUMBER:
                continue
            if hit.protected:
                names.append("skyddad uppgift (protected)")
            elif hit.employee is not None:
                names.append(f"{hit.employee.given_name} {hit.employee.family_name}")
        return names


def _context(raw: Any, attempts: Any) -> CallContext | None:
    if not raw:
        return None
    return CallContext.from_dict({**json.loads(raw), "attempts": [json.loads(a) for a in attempts]})


def _ctx_key(call_id: str) -> str:
    return f"vaxel:ctx:{call_id}"


def _attempts_key(call_id: str) -> str:
    return f"vaxel:ctx:{call_id}:attempts"


def _contacts_key(number: str, now: datetime) -> str:
    return f"vaxel:contacts:{contact_key(number)}:{city_day(now).isoformat()}"


class CallContextStore:
    """Read and extend call contexts; see the module docstring for the keys."""

    def __init__(self, client: aioredis.Redis, lookup: CallerLookup | None = None,
                 ttl_s: int = CONTEXT_TTL_S) -> None:
        self.client = client
        self.lookup: CallerLookup = lookup or NoLookup()
        self.ttl_s = ttl_s

    def __repr__(self) -> str:
        return f"<CallContextStore ttl {self.ttl_s} s, lookup {type(self.lookup).__name__}>"

    @classmethod
    def from_url(cls, url: str, lookup: CallerLookup | None = None) -> CallContextStore:
        return cls(redis_client(url), lookup)

    async def close(self) -> None:
        await self.client.aclose()

    async def open_call(self, call_id: str, caller_number: str, now: datetime) -> CallContext:
        """Start a call's context (idempotent: an existing one is returned unchanged)."""
        context = CallContext(call_id, caller_number.strip(), now)
        data = json.dumps(context.to_dict(), ensure_ascii=False)
        score = now.timestamp()
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.set(_ctx_key(call_id), data, ex=self.ttl_s, nx=True)
                if context.caller_number:
                    key = _contacts_key(context.caller_number, now)
                    pipe.zadd(key, {call_id: score}, nx=True)
                    pipe.expire(key, CONTACTS_TTL_S)
                created, *_ = await pipe.execute()
        except RedisError as exc:
            raise StoreUnavailable(f"opening the context of call {call_id}: {exc}") from exc
        return context if created else (await self._load(call_id) or context)

    async def record_attempt(self, call_id: str, attempt: Attempt,
                             caller_number: str = "") -> None:
        """Append ``attempt`` to the call's context (opening it first if needed).

        Attempts live in their own list (RPUSH is atomic), so concurrent recorders
        never overwrite each other's attempts.
        """
        await self.open_call(call_id, caller_number, attempt.at)
        data = json.dumps(attempt.to_dict(), ensure_ascii=False)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.rpush(_attempts_key(call_id), data)
                pipe.expire(_attempts_key(call_id), self.ttl_s)
                pipe.expire(_ctx_key(call_id), self.ttl_s)
                await pipe.execute()
        except RedisError as exc:
            raise StoreUnavailable(f"recording an attempt on call {call_id}: {exc}") from exc

    async def note_attempt(self, call_id: str, target: str, target_name: str, status: str,
                           detail: str, at: datetime) -> None:
        """An attempt the IVR made (``ivr.session_ports.ContextPort``): ``status`` is a DIALSTATUS
        or ``ABSENT``."""
        attempt = Attempt(target, at, outcome_of_status(status), target_name=target_name,
                          detail=detail, by="ivr")
        await self.record_attempt(call_id, attempt)

    async def contacts_today(self, number: str, now: datetime) -> list[Contact]:
        """Calls from ``number`` on the city day of ``now``, oldest first (the latest
        ``CONTACTS_READ`` of them)."""
        if not number.strip():
            return []
        try:
            found: Any = await self.client.zrange(
                _contacts_key(number, now), -CONTACTS_READ, -1, withscores=True)
        except RedisError as exc:
            raise StoreUnavailable(f"reading the contacts of {number}: {exc}") from exc
        return [Contact(str(cid), datetime.fromtimestamp(float(score), UTC))
                for cid, score in found]

    async def get(self, call_id: str) -> CallContext | None:
        """The call's full context (None when unknown): stored part, IVR path,
        reverse lookup and the caller's other contacts on the day the call started."""
        context = await self._load(call_id)
        if context is None:
            return None
        contacts = await self.contacts_today(context.caller_number, context.started_at)
        names = await asyncio.to_thread(self.lookup.names_for_number, context.caller_number) \
            if context.caller_number else ()
        return CallContext(
            context.call_id, context.caller_number, context.started_at,
            caller_names=tuple(names), ivr_path=await self._ivr_path(call_id),
            attempts=context.attempts,
            earlier_contacts=tuple(c for c in contacts if c.call_id != call_id),
        )

    async def stored_many(self, call_ids: Sequence[str]) -> dict[str, CallContext]:
        """Only the calls' stored parts (caller, start, attempts), in one round trip: no
        reverse lookup, no other contacts, no IVR path. Unknown calls are left out."""
        if not call_ids:
            return {}
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for call_id in call_ids:
                    pipe.get(_ctx_key(call_id))
                    pipe.lrange(_attempts_key(call_id), 0, -1)
                replies = await pipe.execute()
        except RedisError as exc:
            raise StoreUnavailable(f"loading the contexts of {len(call_ids)} calls: {exc}") \
                from exc
        found = {}
        for i, call_id in enumerate(call_ids):
            context = _context(replies[2 * i], replies[2 * i + 1])
            if context is not None:
                found[call_id] = context
        return found

    async def _load(self, call_id: str) -> CallContext | None:
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.get(_ctx_key(call_id))
                pipe.lrange(_attempts_key(call_id), 0, -1)
                raw, attempts = await pipe.execute()
        except RedisError as exc:
            raise StoreUnavailable(f"loading the context of call {call_id}: {exc}") from exc
        return _context(raw, attempts)

    async def _ivr_path(self, call_id: str) -> tuple[str, ...]:
        try:
            raw = await self.client.get(f"vaxel:call:{call_id}")
        except RedisError as exc:
            raise StoreUnavailable(f"loading the IVR state of call {call_id}: {exc}") from exc
        return tuple(json.loads(raw).get("path", ())) if raw else ()

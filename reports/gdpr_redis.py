"""What Redis and the message spool keep about one caller: found for an export, removed
past retention.

Where a caller's number (or their calls) is kept outside the call records, and how long:

- `contacts`: ``vaxel:contacts:<number>:<day>``, the day's call ids; 2 days (TTL).
- `call_contexts`: ``vaxel:ctx:<call>`` (+ ``:attempts``), number and transfers; 4 h after
  the last change (TTL).
- `ivr_calls`: ``vaxel:call:<call>``, the IVR's state (path, variables); ``[redis]
  call_ttl_s`` (TTL).
- `queued_calls`: ``vaxel:acd-call:<call>``, a call in the ACD with its number and a
  callback request; until the call ends, **no TTL**.
- `messages`: ``vaxel:msg:<id>`` in ``vaxel:msg:pending`` / ``sent``, number, text and the
  recording's file; **no TTL**.
- `message_spool`: ``<id>.json`` files while Redis was down; until Redis takes them.
- `case_outcomes`: stream ``vaxel:outcomes`` (+ hash ``:by-call``), the agent's outcome of a
  call (no number, the call id); **never trimmed**.

`export` gathers each source for one number (its normal form, `contact_key`) and the call ids
the records know; a source it cannot read is named in ``unreachable`` with the reason, never
left out silently. `purge` applies the records' retention to what does not expire: messages
(and their recording files, and spooled copies) created before the pseudonymisation limit
are deleted (they were mailed; the number must not outlive the records' own), the number of
a call still in the ACD past that limit is blanked (the call itself is the router's), and
case outcomes before the deletion limit are trimmed with their ``by-call`` entries.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from switchboard.context import contact_key

MESSAGE_SETS = ("vaxel:msg:pending", "vaxel:msg:sent")
OUTCOMES = "vaxel:outcomes"
OUTCOMES_BY_CALL = "vaxel:outcomes:by-call"
DAY_S = 86400
SCAN_COUNT = 1000


@dataclass
class Export:
    """One section per source; ``unreachable`` names the sources that could not be read."""

    sections: dict[str, Any]
    unreachable: dict[str, str]


async def export_redis(client: Any, number: str, call_ids: Iterable[str],
                       spool: Path | None) -> Export:
    """Everything Redis (and the spool folder) keeps about ``number``'s calls."""
    key = contact_key(number)
    calls = set(call_ids)
    out = Export({}, {})

    async def section(name: str, read: Callable[[], Awaitable[Any]]) -> None:
        try:
            out.sections[name] = await read()
        except (RedisError, OSError) as exc:
            out.unreachable[name] = f"{type(exc).__name__}: {exc}"[:300]

    await section("contacts", lambda: _contacts(client, key, calls))
    await section("queued_calls", lambda: _queued(client, key, calls))
    await section("messages", lambda: _messages(client, key, calls))
    if spool is not None:
        await section("message_spool", lambda: _spooled(spool, key))
    await section("call_contexts", lambda: _contexts(client, key, calls))
    await section("ivr_calls", lambda: _ivr_calls(client, calls))
    await section("case_outcomes", lambda: _outcomes(client, calls))
    return out


async def _scan(client: Any, match: str) -> list[str]:
    return [str(k) async for k in client.scan_iter(match=match, count=SCAN_COUNT)]


async def _contacts(client: Any, key: str, calls: set[str]) -> dict[str, list[str]]:
    days = {}
    for name in await _scan(client, f"vaxel:contacts:{key}:*"):
        ids = [str(i) for i in await client.zrange(name, 0, -1)]
        days[name.rsplit(":", 1)[1]] = ids
        calls.update(ids)
    return days


async def _queued(client: Any, key: str, calls: set[str]) -> list[dict[str, str]]:
    found = []
    for name in await _scan(client, "vaxel:acd-call:*"):
        fields = await client.hgetall(name)
        if fields.get("caller") and contact_key(fields["caller"]) == key:
            calls.add(name.removeprefix("vaxel:acd-call:"))
            found.append({"call_id": name.removeprefix("vaxel:acd-call:"), **fields})
    return found


async def _all_messages(client: Any) -> list[dict[str, Any]]:
    ids = {str(i) for name in MESSAGE_SETS for i in await client.zrange(name, 0, -1)}
    raw = await client.mget([f"vaxel:msg:{i}" for i in sorted(ids)]) if ids else []
    return [json.loads(r) for r in raw if r]


async def _messages(client: Any, key: str, calls: set[str]) -> list[dict[str, Any]]:
    found = [m for m in await _all_messages(client)
             if m.get("caller_number") and contact_key(m["caller_number"]) == key]
    calls.update(m["call_id"] for m in found if m.get("call_id"))
    return [{**m, "recording_present": bool(m.get("recording"))
             and Path(m["recording"]).is_file()} for m in found]


async def _spooled(spool: Path, key: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(spool.glob("*.json*")) if spool.is_dir() else []:
        try:
            message = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            message = {"unreadable": path.name}
        if contact_key(str(message.get("caller_number", ""))) == key or "unreadable" in message:
            found.append({"file": path.name, **message})
    return found


async def _contexts(client: Any, key: str, calls: set[str]) -> list[dict[str, Any]]:
    found = []
    for name in await _scan(client, "vaxel:ctx:*"):
        if name.endswith(":attempts"):
            continue
        raw = await client.get(name)
        data = json.loads(raw) if raw else {}
        call_id = name.removeprefix("vaxel:ctx:")
        if call_id in calls or contact_key(str(data.get("caller_number", ""))) == key:
            calls.add(call_id)
            attempts = await client.lrange(f"{name}:attempts", 0, -1)
            found.append({**data, "attempts": [json.loads(a) for a in attempts]})
    return found


async def _ivr_calls(client: Any, calls: set[str]) -> list[dict[str, Any]]:
    ordered = sorted(calls)
    raw = await client.mget([f"vaxel:call:{c}" for c in ordered]) if ordered else []
    return [json.loads(r) for r in raw if r]


async def _outcomes(client: Any, calls: set[str]) -> list[dict[str, str]]:
    ordered = sorted(calls)
    entries = await client.hmget(OUTCOMES_BY_CALL, ordered) if ordered else []
    found = []
    for entry in entries:
        if entry and entry != "pending":
            for entry_id, fields in await client.xrange(OUTCOMES, min=entry, max=entry):
                found.append({"id": str(entry_id), **fields})
    return found


@dataclass(frozen=True)
class RedisPurge:
    messages_deleted: int
    spooled_deleted: int
    queued_blanked: int
    outcomes_deleted: int

    def __str__(self) -> str:
        return (f"{self.messages_deleted} messages deleted ({self.spooled_deleted} spooled), "
                f"{self.queued_blanked} queued callers blanked, {self.outcomes_deleted} case "
                f"outcomes deleted")


async def purge_redis(client: Any, now: float, *, pseudonymise_after_days: int,
                      delete_after_days: int, spool: Path | None) -> RedisPurge:
    """Apply the retention to what Redis keeps without a TTL (see the module docstring)."""
    number_before = now - pseudonymise_after_days * DAY_S
    messages = 0
    for message in await _all_messages(client):
        try:
            created = _created(message)
        except (KeyError, TypeError, ValueError):
            continue  # the desk cannot read it either (it logs it); a person must look
        if created < number_before:
            _remove_recording(message)
            async with client.pipeline(transaction=True) as pipe:
                pipe.delete(f"vaxel:msg:{message['id']}")
                for name in MESSAGE_SETS:
                    pipe.zrem(name, message["id"])
                await pipe.execute()
            messages += 1
    spooled = _purge_spool(spool, number_before) if spool is not None else 0
    blanked = 0
    for name in await _scan(client, "vaxel:acd-call:*"):
        enqueued, caller = await client.hmget(name, ["enqueued_at", "caller"])
        if caller and float(enqueued or 0) < number_before:
            await client.hset(name, "caller", "")
            blanked += 1
    return RedisPurge(messages, spooled, blanked,
                      await _trim_outcomes(client, now - delete_after_days * DAY_S))


def _created(message: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(message["created_at"])).timestamp()


def _remove_recording(message: dict[str, Any]) -> None:
    """The caller's recorded voice goes with the message (when this host has the file)."""
    recording = str(message.get("recording") or "")
    if recording.endswith(".wav"):
        Path(recording).unlink(missing_ok=True)


def _purge_spool(spool: Path, before: float) -> int:
    gone = 0
    for path in spool.glob("*.json*") if spool.is_dir() else []:
        try:
            created = _created(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError):
            created = path.stat().st_mtime  # unreadable: its file's age decides
        if created < before:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


async def _trim_outcomes(client: Any, before: float) -> int:
    """Outcome entries older than ``before`` go, with their by-call entries."""
    limit = f"{max(int(before * 1000), 0)}-0"
    old = await client.xrange(OUTCOMES, max=f"({limit}") if before > 0 else []
    if not old:
        return 0
    calls = [fields.get("call_id", "") for _id, fields in old]
    async with client.pipeline(transaction=True) as pipe:
        pipe.xtrim(OUTCOMES, minid=limit)
        pipe.hdel(OUTCOMES_BY_CALL, *[c for c in calls if c] or ["-"])
        await pipe.execute()
    return len(old)

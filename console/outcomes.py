"""Case outcomes an agent records at wrap-up, and first-contact resolution (FCR).

An outcome says how the citizen's case ended on this call: resolved at first contact,
forwarded to a unit, or a case opened; each with a topic. ``OutcomeStore`` is the port
(the reports work reads outcomes through it); ``RedisOutcomeStore`` keeps them in Redis:

- stream ``vaxel:outcomes``: one entry per outcome with ``at`` (epoch s), ``call_id``,
  ``agent_id``, ``queue``, ``outcome`` (``resolved`` | ``forwarded`` | ``case_opened``),
  ``unit`` (forwarded only), ``topic``;
- hash ``vaxel:outcomes:by-call``: call id -> stream id, so one call has one outcome
  (a second answers 409).

FCR for a period = outcomes ``resolved`` / all outcomes recorded in it (``fcr``, pure).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis.asyncio as aioredis

from console.errors import Conflict, Invalid
from console.users import redis_errors

STREAM = "vaxel:outcomes"
BY_CALL = "vaxel:outcomes:by-call"


class OutcomeKind(enum.Enum):
    RESOLVED = "resolved"
    """Resolved at first contact."""
    FORWARDED = "forwarded"
    """Forwarded to a unit (``unit`` says which)."""
    CASE_OPENED = "case_opened"
    """A case was opened for later handling."""


@dataclass(frozen=True)
class CaseOutcome:
    call_id: str
    agent_id: str
    queue: str
    kind: OutcomeKind
    topic: str
    at: float
    unit: str = ""

    def __post_init__(self) -> None:
        if not self.call_id:
            raise Invalid("call_id", "is empty")
        if not self.topic.strip():
            raise Invalid("topic", "choose a topic (välj ett ämne)")
        if self.kind is OutcomeKind.FORWARDED and not self.unit.strip():
            raise Invalid("unit", "name the unit the case was forwarded to")

    def fields(self) -> dict[str, str]:
        return {"at": repr(self.at), "call_id": self.call_id, "agent_id": self.agent_id,
                "queue": self.queue, "outcome": self.kind.value, "unit": self.unit,
                "topic": self.topic}

    @classmethod
    def from_fields(cls, f: Mapping[str, str]) -> CaseOutcome:
        return cls(f["call_id"], f.get("agent_id", ""), f.get("queue", ""),
                   OutcomeKind(f["outcome"]), f.get("topic", ""), float(f["at"]),
                   f.get("unit", ""))


def parse_kind(text: str) -> OutcomeKind:
    try:
        return OutcomeKind(text)
    except ValueError:
        known = ", ".join(k.value for k in OutcomeKind)
        raise Invalid("outcome", f"{text!r} is not one of {known}") from None


def fcr(outcomes: Iterable[CaseOutcome], queue: str | None = None) -> float | None:
    """Share (0..1) resolved at first contact; None without outcomes."""
    chosen = [o for o in outcomes if queue is None or o.queue == queue]
    if not chosen:
        return None
    return sum(o.kind is OutcomeKind.RESOLVED for o in chosen) / len(chosen)


class OutcomeStore(Protocol):
    async def record(self, outcome: CaseOutcome) -> str: ...
    async def since(self, at: float) -> list[CaseOutcome]: ...
    async def for_call(self, call_id: str) -> CaseOutcome | None: ...


class RedisOutcomeStore:
    """See the module docstring."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client

    def __repr__(self) -> str:
        return f"<RedisOutcomeStore {STREAM}>"

    async def record(self, outcome: CaseOutcome) -> str:
        async with redis_errors("record outcome"):
            if not await self.r.hsetnx(BY_CALL, outcome.call_id, "pending"):
                raise Conflict(f"samtalet {outcome.call_id} har redan ett utfall "
                               f"(call already has an outcome)", call_id=outcome.call_id)
            entry = await self.r.xadd(STREAM, cast(Any, outcome.fields()))
            await self.r.hset(BY_CALL, outcome.call_id, entry)
        return str(entry)

    async def since(self, at: float) -> list[CaseOutcome]:
        async with redis_errors("read outcomes"):
            rows: Any = await self.r.xrange(STREAM, min=f"{max(int(at * 1000), 0)}-0")
        return [CaseOutcome.from_fields(f) for _id, f in rows]

    async def for_call(self, call_id: str) -> CaseOutcome | None:
        async with redis_errors("read outcome"):
            entry = await self.r.hget(BY_CALL, call_id)
            if not entry or entry == "pending":
                return None
            rows: Any = await self.r.xrange(STREAM, min=entry, max=entry)
        return CaseOutcome.from_fields(rows[0][1]) if rows else None

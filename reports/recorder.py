"""`CallRecorder`: follows the controllers' streams in Redis and writes call records.

Any controller can run it; one records at a time (a Redis lease, ``<prefix>:recorder:lease``,
renewed each round; another controller takes over when it expires). A round reads up to
``batch`` entries of each stream after the positions stored in the database (the IVR's
``vaxel:calls``, the ACD's ``<prefix>:events``, the console's ``vaxel:outcomes``), loads the
records of the calls they name, applies them (`reports.records`, which skips an entry at or
before a record's own position), reads the IVR state and call context of those calls, and
saves records and positions in one transaction. A controller that dies mid-round leaves
the positions where they were: the next recorder repeats the round and applies nothing
twice. A call that began before a restart is completed by whichever controller records
its later entries.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from ivr.callstore import DIAL_ANSWERED
from reports.record_store import RecordsError, RecordStore
from reports.records import (
    CallRecord,
    Outcome,
    apply_acd,
    apply_case,
    with_administration,
    with_context,
    with_ivr,
)
from switchboard.context import CallContext, contact_key
from switchboard.context_store import CallContextStore
from switchboard.errors import SwitchboardError

log = structlog.get_logger(__name__)

#: The IVR's stream of saved call states (`ivr.callstore`).
IVR_STREAM = "vaxel:calls"
#: The console's stream of case outcomes (`console/outcomes.py`).
CASE_STREAM = "vaxel:outcomes"
#: Milliseconds a recorder's lease lasts without renewal.
LEASE_MS = 5000

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""


class AdministrationLookup(Protocol):
    """The administration (förvaltning) a unit belongs to (blocking; run in a thread)."""

    def administration_of(self, unit_id: str) -> str | None: ...


class CallRecorder:
    """See the module docstring."""

    def __init__(self, client: aioredis.Redis, store: RecordStore, *, prefix: str = "vaxel",
                 administrations: AdministrationLookup | None = None, batch: int = 1000,
                 owner: str = "", lease_ms: int = LEASE_MS,
                 on_fallback: Callable[[], None] | None = None) -> None:
        self.r = client
        self.store = store
        self.streams = {"acd": f"{prefix}:events", "ivr": IVR_STREAM, "case": CASE_STREAM}
        self.lease_key = f"{prefix}:recorder:lease"
        self.administrations = administrations
        self.batch = batch
        self.owner = owner or uuid.uuid4().hex
        self.lease_ms = lease_ms
        self.on_fallback = on_fallback
        self.written = 0
        self._renew = client.register_script(_RENEW)

    def __repr__(self) -> str:
        return f"<CallRecorder {self.owner[:8]}: {self.written} records written>"

    async def lease(self) -> bool:
        """Take or renew the recording lease; False when another controller holds it."""
        try:
            return bool(await self._renew(keys=[self.lease_key], args=[self.owner, self.lease_ms]))
        except RedisError as exc:
            log.warning("records.lease_failed", error=str(exc))
            return False

    async def run(self, every_s: float = 1.0) -> None:
        """Record until cancelled; a failing round is logged and retried."""
        while True:
            written = 0
            if await self.lease():
                try:
                    written = await self.step()
                except (RecordsError, RedisError, SwitchboardError, ValueError) as exc:
                    log.warning("records.round_failed", error=str(exc))
            if written < self.batch:
                await asyncio.sleep(every_s)

    async def step(self) -> int:
        """One round (see the module docstring); returns the entries read."""
        cursors = await asyncio.to_thread(self.store.cursors)
        read = {kind: await self._read(stream, cursors.get(stream, "0-0"))
                for kind, stream in self.streams.items()}
        call_ids = {f.get("call_id", "") for rows in read.values() for _i, f in rows} - {""}
        if not call_ids:
            return 0
        found = await asyncio.to_thread(self.store.load, call_ids)
        records = {cid: found.get(cid) or CallRecord(cid) for cid in call_ids}
        await self._apply_ivr(records, read["ivr"])
        for kind, fold in (("acd", apply_acd), ("case", apply_case)):
            for entry_id, f in read[kind]:
                cid = f.get("call_id", "")
                if cid:
                    records[cid] = fold(records[cid], entry_id, f)
        contexts = await CallContextStore(self.r).stored_many(sorted(call_ids))
        for cid in call_ids:
            records[cid] = await self._complete(records[cid], contexts.get(cid))
        new_cursors = {self.streams[k]: rows[-1][0] for k, rows in read.items() if rows}
        await asyncio.to_thread(self.store.save, list(records.values()), new_cursors)
        if self.on_fallback is not None:
            for cid, r in records.items():
                old = found.get(cid)
                if r.outcome is Outcome.FALLBACK and (old is None or old.outcome
                                                      is not Outcome.FALLBACK):
                    self.on_fallback()
        self.written += len(records)
        return sum(len(rows) for rows in read.values())

    async def _read(self, stream: str, after: str) -> list[tuple[str, dict[str, str]]]:
        reply: Any = await self.r.xread({stream: after}, count=self.batch)
        if not reply:
            return []
        rows = cast(list[tuple[str, dict[str, str]]], reply[0][1])
        return [(str(i), dict(f)) for i, f in rows]

    async def _apply_ivr(self, records: dict[str, CallRecord],
                         rows: list[tuple[str, dict[str, str]]]) -> None:
        """One state read per call: the newest entry carries it, ``done`` from any."""
        last: dict[str, str] = {}
        dialed: dict[str, str] = {}
        answered: dict[str, str] = {}
        done: dict[str, bool] = defaultdict(bool)
        for entry_id, f in rows:
            cid = f.get("call_id", "")
            last[cid] = entry_id
            done[cid] = done[cid] or f.get("done") == "1"
            step = f.get("step", "")
            if step.startswith("dial:"):
                dialed[cid] = entry_id
                answered.pop(cid, None)
            elif step == DIAL_ANSWERED and cid not in answered:
                answered[cid] = entry_id  # the first: every controller notes the answer
        ids = list(last)
        raws: list[Any] = await self.r.mget([f"vaxel:call:{cid}" for cid in ids]) if ids else []
        for cid, raw in zip(ids, raws, strict=True):
            state = json.loads(raw) if raw else None
            records[cid] = with_ivr(records[cid], last[cid], state, done[cid],
                                    dialed.get(cid, ""), answered.get(cid, ""))

    async def _complete(self, record: CallRecord, context: CallContext | None) -> CallRecord:
        stored = context.to_dict() if context else None
        if stored is not None:  # one caller, one form ("08-123 45" = "+46812345"): GDPR
            stored["caller_number"] = contact_key(stored["caller_number"] or "")
        record = with_context(record, stored)
        if record.unit and not record.administration and self.administrations is not None:
            found = await asyncio.to_thread(self.administrations.administration_of, record.unit)
            record = with_administration(record, found)
        return record


class DirectoryAdministrations:
    """`AdministrationLookup` through the directory: the first organisation node of kind
    administration above the unit (units may sit below departments or other units)."""

    def __init__(self, directory: Any) -> None:
        self.directory = directory
        self._cache: dict[str, str | None] = {}

    def administration_of(self, unit_id: str) -> str | None:
        if unit_id not in self._cache:
            self._cache[unit_id] = self._find(unit_id)
        return self._cache[unit_id]

    def _find(self, unit_id: str) -> str | None:
        unit = self.directory.unit(unit_id)
        node_id = unit.parent_id if unit is not None else None
        seen: set[str] = set()
        while node_id and node_id not in seen:
            seen.add(node_id)
            node = self.directory.org_node(node_id)
            if node is None:
                parent = self.directory.unit(node_id)
                node_id = parent.parent_id if parent is not None else None
                continue
            if getattr(node.kind, "value", node.kind) == "administration":  # OrgKind
                return str(node.id)
            node_id = node.parent_id
        return None

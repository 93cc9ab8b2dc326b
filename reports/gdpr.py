"""GDPR retention of call records: callers' numbers replaced by a keyed hash after
``pseudonymise_after_days``, records deleted after ``delete_after_days``, and everything kept
about one caller for a subject-access request.

The hash is an HMAC-SHA-256 of the number's normal form (`switchboard.context.contact_key`:
"08-123 45" and "+46812345" are one caller) under ``[reports] hmac_key`` (set it with
``VAXEL_REPORTS_HMAC_KEY``; never in the repository). The same caller keeps the same
pseudonym, so repeat calls still count, and `export` still finds a pseudonymised caller's
records when given the number. Without a key, numbers are blanked instead (nothing to link).
`purge` is idempotent: a pseudonymised number is never hashed twice, a deleted row is gone.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import sqlalchemy as sa

from reports.record_store import RecordStore, translated
from reports.record_table import call_records, from_row
from reports.records import CallRecord
from switchboard.context import contact_key

#: Prefix of a pseudonymised number in ``call_records.caller``.
PSEUDONYM = "hmac:"
DAY_S = 86400
BATCH = 2000


def pseudonym(number: str, key: str) -> str:
    """The caller's pseudonym: ``hmac:`` + 32 hex digits of HMAC-SHA-256(key, normal form)."""
    digest = hmac.new(key.encode(), contact_key(number).encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM + digest[:32]


@dataclass(frozen=True)
class PurgeResult:
    pseudonymised: int
    deleted: int

    def __str__(self) -> str:
        return (f"{self.pseudonymised} numbers pseudonymised, {self.deleted} records "
                f"deleted")


def purge(store: RecordStore, now: float, *, pseudonymise_after_days: int,
          delete_after_days: int, key: str) -> PurgeResult:
    """Apply the retention rules to records that arrived before the limits."""
    delete_before = now - delete_after_days * DAY_S
    hash_before = now - pseudonymise_after_days * DAY_S
    t = call_records
    with translated("purge"), store.engine.begin() as c:
        deleted = c.execute(sa.delete(t).where(t.c.arrived_at < delete_before)).rowcount
        done = 0
        while True:
            rows = c.execute(sa.select(t.c.call_id, t.c.caller)
                             .where(t.c.arrived_at < hash_before, t.c.caller_hashed.is_(False))
                             .limit(BATCH)).all()
            if not rows:
                break
            for call_id, caller in rows:
                value = pseudonym(caller, key) if key and caller else ""
                c.execute(sa.update(t).where(t.c.call_id == call_id)
                          .values(caller=value, caller_hashed=True))
            done += len(rows)
    return PurgeResult(done, deleted or 0)


def export(store: RecordStore, number: str, key: str) -> list[CallRecord]:
    """Every record of calls from ``number`` (by its normal form, and by its pseudonym when
    a key is configured), oldest first."""
    wanted = [contact_key(number)]
    if key:
        wanted.append(pseudonym(number, key))
    t = call_records
    with translated("export"), store.engine.connect() as c:
        rows = c.execute(sa.select(t).where(t.c.caller.in_(wanted)).order_by(t.c.arrived_at))
        return [from_row(r._mapping) for r in rows]

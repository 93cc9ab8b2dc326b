"""Planning and applying an import of people from any source (CSV file, LDAP).

Invariant: nothing is written until every record has been checked against the
batch and against the directory; then the whole plan is applied in one
transaction, or only returned (dry-run). Errors name the source and the record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from directory import records
from directory.changes import SyncPlan, plan_sync
from directory.errors import DirectoryError, ImportRejected
from directory.records import Record
from directory.store import Directory


def plan_import(d: Directory, batch: Sequence[Record], source: str, *, full: bool,
                bad_rows: Sequence[tuple[int, str]] = ()) -> SyncPlan:
    """What importing ``batch`` would change; with ``full``, people not in it leave.

    ``bad_rows`` are the records the reader could not build; the good ones are still
    checked against the directory, so one run reports every bad record. Raises
    ImportRejected naming the first bad record (all errors attached)."""
    current = d.active_employees()
    incoming = [r.employee for r in batch]
    plan = plan_sync(current, incoming, deactivate_missing=full)
    in_batch = {e.id for e in incoming}
    staying = set(current) - in_batch - {e.id for e in plan.deactivated}
    holders = {e.extension: e.id for e in current.values() if e.extension}
    errors = list(set(bad_rows) | set(records.duplicate_errors(batch)))
    errors += records.unit_errors(batch, d.unit_ids())
    errors += records.extension_errors(batch, holders, staying)
    numbers = {e.direct_number: e.id for e in current.values() if e.direct_number}
    errors += records.direct_number_errors(batch, numbers, staying)
    if errors:
        raise records.rejected(source, sorted(errors))
    return plan


def run_import(
    d: Directory, batch: Sequence[Record], source: str, *, full: bool, dry_run: bool, actor: str,
    bad_rows: Sequence[tuple[int, str]] = (),
    progress: Callable[[str], None] | None = None,
) -> SyncPlan:
    """Plan ``batch`` and, unless ``dry_run``, apply it in one transaction; nothing at all
    when any record (in ``bad_rows`` or found now) is bad. ``progress`` hears each phase."""
    say = progress or (lambda _text: None)
    say(f"{source}: checking {len(batch) + len(bad_rows)} records against the directory")
    plan = plan_import(d, batch, source, full=full, bad_rows=bad_rows)
    if not dry_run and not plan.is_empty:
        say(f"{source}: applying {plan.summary()} in one transaction")
        try:
            d.apply_plan(plan, actor=actor)
        except DirectoryError as exc:
            raise ImportRejected(source, None, f"rejected by the database: {exc}") from exc
    return plan

"""Import of the HR system's CSV export: read, check against the directory, plan, apply.

The file is read and every row checked (``csv_rows``) before anything is
written; units and extensions are then checked against the directory, and
the resulting plan is applied in one transaction, or only shown (dry-run).
Every bad row is reported in one run, each with file, line, column and reason (the
rows the reader could not build and those the directory refuses alike), and then
nothing is imported; nothing is half-imported.
With ``full=True`` the file is the whole staff list and people missing from it
are deactivated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from directory import csv_rows
from directory.changes import SyncPlan
from directory.errors import ImportRejected
from directory.importer import run_import
from directory.store import Directory

#: Encodings tried in order: UTF-8 (with or without BOM), then Windows Latin-1 from old exports.
ENCODINGS = ("utf-8-sig", "cp1252")


def read_lines(path: Path) -> list[str]:
    """The file's lines, decoded with the first encoding that fits."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRejected(str(path), None, f"cannot read: {exc.strerror}") from exc
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding).splitlines(keepends=True)
        except UnicodeDecodeError:
            continue
    raise ImportRejected(str(path), None, "not UTF-8 or Windows-1252 text")


def import_csv(
    d: Directory,
    path: Path,
    *,
    full: bool = False,
    dry_run: bool = False,
    actor: str = "csv-import",
    progress: Callable[[str], None] | None = None,
) -> SyncPlan:
    """Import ``path`` in one transaction (or, with ``dry_run``, only plan it); ``progress``
    hears each phase (read, check, apply)."""
    if progress:
        progress(f"{path}: reading")
    batch, bad_rows = csv_rows.read_employees(read_lines(path), str(path))
    return run_import(d, batch, str(path), full=full, dry_run=dry_run, actor=actor,
                      bad_rows=bad_rows, progress=progress)

"""How commands print what they read: a JSON document for scripts, an aligned table for people.

Every read command takes ``--json`` (`add_json_option`); the field names of each
command's document are a stable interface, listed in docs/cli-json.md and checked by
tests. `table` lays rows out in columns with a header line. Pure apart from printing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

JSON_HELP = "print a JSON document instead of a table (fields: docs/cli-json.md)"


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def json_text(document: Any) -> str:
    """The document as indented JSON (UTF-8 text as it is; datetimes as ISO strings)."""
    return json.dumps(document, ensure_ascii=False, indent=2, default=_default)


def print_json(document: Any, out: TextIO | None = None) -> None:
    print(json_text(document), file=out or sys.stdout)


def _default(value: object) -> str:
    iso = getattr(value, "isoformat", None)
    return str(iso()) if callable(iso) else str(value)


def table(rows: Sequence[Mapping[str, object]], columns: Sequence[tuple[str, str]]) -> str:
    """Rows as text columns; ``columns`` are (field, heading). Empty values show as '-'."""
    cells = [[heading for _, heading in columns]]
    cells += [["-" if row.get(field) in (None, "") else _cell(row.get(field))
               for field, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
             .rstrip() for line in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)

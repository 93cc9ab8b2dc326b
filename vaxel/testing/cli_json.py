"""docs/cli-json.md as data: each command's documented fields, and a check of a document.

The test suite runs every read command with ``--json`` and compares what it printed
with the tables of docs/cli-json.md (`documented`, `check_document`), so the page and
the commands cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_HEADING = re.compile(r"^### `(vaxel [a-z]+ ?[a-z]*)")
_ROW = re.compile(r"^\| `([^`]+)` \| (.+) \|$")


def documented(doc: Path) -> dict[str, dict[str, set[str]]]:
    """Heading text (``vaxel directory show``, with a second word kept) -> object -> fields."""
    out: dict[str, dict[str, set[str]]] = {}
    current: dict[str, set[str]] | None = None
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            current = out.setdefault(line[4:].strip(), {})
        elif current is not None and (row := _ROW.match(line)):
            current[row.group(1)] = set(re.findall(r"`([a-z_]+)`", row.group(2)))
    return out


def check_document(document: Mapping[str, Any], tables: Mapping[str, set[str]]) -> list[str]:
    """Where the document's keys differ from the documented fields (empty when they agree)."""
    problems: list[str] = []
    for path, fields in tables.items():
        for obj in _objects(document, path):
            if set(obj) != fields:
                problems.append(f"{path}: printed {sorted(obj)}, documented {sorted(fields)}")
    return problems


def _objects(document: Mapping[str, Any], path: str) -> list[Mapping[str, Any]]:
    if path == ".":
        return [document]
    name, many = path.removesuffix("[]"), path.endswith("[]")
    value = document.get(name)
    if many:
        return [v for v in value or [] if isinstance(v, Mapping)]
    return [value] if isinstance(value, Mapping) else []

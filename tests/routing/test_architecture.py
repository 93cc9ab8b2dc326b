"""The routing core stays pure: no I/O, clock or asyncio imports."""

from __future__ import annotations

import ast
from pathlib import Path

import routing

CORE = ["model", "matcher", "index", "estimate", "timers", "states", "engine", "engine_state",
        "messages", "errors"]
FORBIDDEN = {"asyncio", "redis", "socket", "time", "datetime", "sqlalchemy", "structlog",
             "os", "panoramisk", "random"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_import_nothing_from_the_io_world():
    base = Path(routing.__file__).parent
    for name in CORE:
        bad = _imports(base / f"{name}.py") & FORBIDDEN
        assert not bad, f"routing/{name}.py imports {sorted(bad)}"

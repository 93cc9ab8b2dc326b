"""The switchboard's cores decide and never do: they import nothing from the I/O world."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import switchboard

CORES = ("context.py", "operator.py", "messages.py", "returns.py")
IO_MODULES = {"asyncio", "socket", "redis", "sqlalchemy", "smtplib", "time", "os", "panoramisk",
              "subprocess", "structlog", "vaxel", "infra"}


#: Pure modules of the ground floor a core may use (tests/test_architecture.py keeps them pure).
PURE_INFRA = {"infra.dialplan_safe"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module not in PURE_INFRA:
                roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("name", CORES)
def test_core_module_imports_no_io(name):
    path = Path(switchboard.__file__).parent / name
    assert imported_roots(path) & IO_MODULES == set()

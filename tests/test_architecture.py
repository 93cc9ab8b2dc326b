"""Cores decide, adapters do: the pure modules import nothing from the I/O world."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vaxel.paths import repo_root

#: Modules that must stay pure (no sockets, clocks, stores, logging).
CORES = [
    "ivr/actions.py",
    "ivr/interpreter.py",
    "ivr/offers.py",
    "ivr/flow.py",
    "ivr/yamlsrc.py",
    "ivr/agi.py",
    "ivr/calendar.py",
    "ivr/timeconditions.py",
    "ivr/answering.py",
    "cluster/topology.py",
    "cluster/render.py",
]
FORBIDDEN = {"asyncio", "socket", "redis", "sqlalchemy", "time", "structlog", "subprocess",
             "panoramisk", "threading"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", CORES)
def test_core_module_imports_no_io(module):
    path = repo_root() / module
    if not path.exists():
        pytest.fail(f"{module} is listed as a core but does not exist")
    assert imported_roots(path) & FORBIDDEN == set()


def test_checker_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import asyncio\nfrom redis.asyncio import Redis\n")
    assert imported_roots(bad) & FORBIDDEN == {"asyncio", "redis"}

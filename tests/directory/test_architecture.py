"""The directory's pure core imports nothing from the I/O world."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import directory

PURE = [
    "entities",
    "errors",
    "text",
    "ranking",
    "changes",
    "records",
    "csv_rows",
    "ldap_map",
    "present",
    "demo_data",
]
IO_MODULES = {
    "sqlalchemy",
    "ldap3",
    "psycopg",
    "socket",
    "asyncio",
    "os",
    "time",
    "subprocess",
    "directory.store",
    "directory.store_base",
    "directory.rows",
    "directory.models",
}


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_io(module: str) -> None:
    path = Path(directory.__file__).parent / f"{module}.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    bad = {
        name for name in imported for io in IO_MODULES if name == io or name.startswith(io + ".")
    }
    assert not bad, f"{module} imports {sorted(bad)}"

"""The dialplan language's cores import nothing from the I/O world (see STYLE.md)."""

from __future__ import annotations

import pytest

from infra.paths import repo_root
from tests.test_architecture import FORBIDDEN, imported_roots

CORES = ["nodes", "steps", "phrases", "announcements", "targets", "flowset", "lint", "simulate",
         "diff", "schema"]


@pytest.mark.parametrize("module", CORES)
def test_dialplan_core_imports_no_io(module):
    roots = imported_roots(repo_root() / "ivr" / f"{module}.py")
    assert roots & FORBIDDEN == set(), f"ivr/{module}.py imports {sorted(roots & FORBIDDEN)}"

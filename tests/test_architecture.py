"""The shape of the house: floors that import only downward, pure cores, no circles, small modules.

- **Floors.** `infra` is the ground (AMI client, Asterisk, config, paths, tasks, the user's
  error); the feature packages stand on it and on each other only downward; `vaxel` (the
  command line, the controller service, the demo, the test harness) is the roof that nothing
  imports. `FLOORS` is the table; an import that runs back up fails naming file, line and
  import. Every import counts: at module level, inside functions, and under TYPE_CHECKING.
- **Cores decide, adapters do**: the pure modules import nothing from the I/O world.
- **No circles** between the modules of a package (a circle in types is one too).
- **Size**: no module over 400 lines (STYLE.md: split along responsibilities).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.paths import repo_root

#: Each package, bottom floor first, and the packages it may import (besides itself).
FLOORS: dict[str, set[str]] = {
    "infra": set(),
    "directory": {"infra"},
    "ivr": {"infra", "directory"},
    "routing": {"infra", "directory"},
    "switchboard": {"infra", "directory", "ivr", "routing"},
    "reports": {"infra", "directory", "ivr", "routing", "switchboard"},
    "console": {"infra", "directory", "ivr", "routing", "switchboard", "reports"},
    "cluster": {"infra", "directory", "ivr", "routing", "switchboard", "reports"},
    "vaxel": {"infra", "directory", "ivr", "routing", "switchboard", "reports", "console",
              "cluster"},
}
#: Top-level folders that are not Python packages of the product.
NOT_PACKAGES = {"tests", "bench", "bin", "docs", "dialplans", "asterisk-config", "build"}
#: Modules that must stay pure (no sockets, clocks, stores, logging).
CORES = [
    "ivr/actions.py",
    "ivr/interpreter.py",
    "ivr/run.py",
    "ivr/steps.py",
    "ivr/offers.py",
    "ivr/flow.py",
    "ivr/node_loader.py",
    "ivr/yamlsrc.py",
    "ivr/agi.py",
    "ivr/agi_commands.py",
    "ivr/overload.py",
    "ivr/calendar.py",
    "ivr/timeconditions.py",
    "ivr/schedule_parser.py",
    "ivr/answering.py",
    "ivr/prompt_plan.py",
    "reports/stats.py",
    "reports/costs.py",
    "reports/records.py",
    "infra/cost_settings.py",
    "console/auth.py",
    "console/views.py",
    "console/strings.py",
    "infra/dialplan_safe.py",
    "cluster/topology.py",
    "cluster/render.py",
    "infra/report_settings.py",
    "reports/kpis.py",
    "reports/statement.py",
    "reports/erlang.py",
    "reports/staffing.py",
]
FORBIDDEN = {"asyncio", "socket", "redis", "sqlalchemy", "time", "structlog", "subprocess",
             "panoramisk", "threading"}
MAX_LINES = 400


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute import in a file (module level, functions, TYPE_CHECKING), with its
    line; ``from x import y`` yields ``x.y`` so that a submodule counts as itself."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: relative import; use absolute ones")


def package_files(package: str) -> list[Path]:
    return sorted((repo_root() / package).rglob("*.py"))


def upward_imports(package: str, files: list[Path], floors: dict[str, set[str]]) -> list[str]:
    """``file:line imports X`` for each import of a package ``package`` may not import."""
    allowed = floors[package] | {package}
    bad = []
    for path in files:
        for line, name in imports(path):
            root = name.split(".")[0]
            if root in floors and root not in allowed:
                where = path.relative_to(repo_root()) if path.is_relative_to(repo_root()) else path
                may = ", ".join(sorted(floors[package])) or "nothing"
                bad.append(f"{where}:{line} imports {name.rsplit('.', 1)[0]} "
                           f"({package} may import only {may})")
    return bad


@pytest.mark.parametrize("package", list(FLOORS))
def test_given_the_floors_then_no_import_runs_back_up(package):
    bad = upward_imports(package, package_files(package), FLOORS)
    assert not bad, "imports that run back up:\n" + "\n".join(bad)


def test_the_floors_table_is_a_ladder_and_names_every_package():
    """Each floor may import only floors below it, and every package folder has a floor."""
    order = list(FLOORS)
    for i, package in enumerate(order):
        assert FLOORS[package] <= set(order[:i]), f"{package} imports a floor above it"
    found = {p.name for p in repo_root().iterdir()
             if (p / "__init__.py").exists() and p.name not in NOT_PACKAGES}
    assert found == set(FLOORS), f"packages without a floor: {sorted(found - set(FLOORS))}"


def test_nothing_imports_the_wiring():
    assert all("vaxel" not in allowed for allowed in FLOORS.values())


def test_checker_names_the_file_line_and_import_that_runs_up(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\ndef f():\n    from switchboard.operator import plan\n")
    found = upward_imports("routing", [bad], FLOORS)
    assert len(found) == 1 and ":4 imports switchboard.operator" in found[0]
    assert upward_imports("reports", [bad], FLOORS) == []


def module_graph(package: str) -> dict[str, set[str]]:
    """The package's modules and the modules of the same package each one imports."""
    files = {".".join(p.relative_to(repo_root()).with_suffix("").parts): p
             for p in package_files(package)}
    files = {name.removesuffix(".__init__"): p for name, p in files.items()}

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = {resolve(imported) for _, imported in imports(path)}
        graph[name] = {t for t in targets if t and t != name and t != package}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as a list of nodes (first repeated last), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


@pytest.mark.parametrize("package", list(FLOORS))
def test_given_a_package_then_its_modules_import_each_other_in_no_circle(package):
    cycle = find_cycle(module_graph(package))
    assert not cycle, "import circle: " + " -> ".join(cycle)


def test_cycle_finder_finds_a_circle_and_passes_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_module_is_over_400_lines():
    too_long = []
    for folder in [*FLOORS, "tests", "bench"]:
        for path in sorted((repo_root() / folder).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                too_long.append(f"{path.relative_to(repo_root())}: {lines} lines")
    assert not too_long, f"modules over {MAX_LINES} lines:\n" + "\n".join(too_long)


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


def package_edges() -> set[tuple[str, str]]:
    """(importer, imported) for every pair of packages with an import between them."""
    edges = set()
    for package in FLOORS:
        for path in package_files(package):
            for _, name in imports(path):
                root = name.split(".")[0]
                if root in FLOORS and root != package:
                    edges.add((package, root))
    return edges


def test_the_floors_picture_matches_the_imports():
    """docs/architecture/floors.dot draws exactly the imports there are (the doc stays true)."""
    dot = (repo_root() / "docs" / "architecture" / "floors.dot").read_text(encoding="utf-8")
    drawn = {(a, b) for a, b in
             (line.strip().rstrip(";").split(" -> ") for line in dot.splitlines()
              if " -> " in line)}
    assert drawn == package_edges()

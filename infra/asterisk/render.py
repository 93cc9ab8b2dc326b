"""Render Asterisk configuration templates (``*.conf.in``) into a folder.

Templates use ``{{name}}`` placeholders, because Asterisk's own syntax owns
``${...}``; a line ``{{if name}}`` ... ``{{end}}`` keeps a block only when the
boolean value ``name`` is true. The core, :func:`render_text`, is a pure
function of (text, values); it reports every problem in a template at once,
each with the template's name and line. :func:`render_tree` is the thin file
layer: it renders all templates into a temporary sibling folder and swaps it in
with renames, so the target folder is never half rendered, and it rejects values
that no template uses (a misspelt key would otherwise pass silently).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from infra.asterisk.errors import TemplateError

#: Template values: strings and numbers are substituted, booleans drive ``{{if}}``.
Value = str | int | bool

TEMPLATE_SUFFIX = ".conf.in"

_TOKEN = re.compile(r"\{\{(.*?)\}\}")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_IF = re.compile(r"\{\{if ([a-z][a-z0-9_]*)\}\}")
_END = "{{end}}"


def render_text(text: str, values: Mapping[str, Value], source: str = "<template>") -> str:
    """Substitute ``values`` into ``text``; raise TemplateError listing every problem."""
    out, problems, _used = _render(text, values, source)
    if problems:
        raise TemplateError(problems)
    return out


def placeholders(text: str) -> set[str]:
    """The value names a template refers to (placeholders and ``{{if}}`` flags)."""
    names = set()
    for match in _TOKEN.finditer(text):
        token = match.group(1).strip()
        names.add(token[3:].strip() if token.startswith("if ") else token)
    return names - {"end"}


def _render(text: str, values: Mapping[str, Value], source: str) -> tuple[str, list[str], set[str]]:
    out: list[str] = []
    problems: list[str] = []
    used: set[str] = set()
    stack: list[tuple[int, bool]] = []  # (line of the {{if}}, keep block)
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        where = f"{source}:{lineno}"
        stripped = line.strip()
        if stripped.startswith("{{if"):
            stack.append((lineno, _condition(stripped, values, where, problems, used)))
            continue
        if stripped == _END:
            if not stack:
                problems.append(f"{where}: {{{{end}}}} without {{{{if}}}}")
            else:
                stack.pop()
            continue
        rendered = _substitute(line, values, where, problems, used)
        if all(keep for _, keep in stack):
            out.append(rendered)
    problems.extend(f"{source}:{n}: {{{{if}}}} is never closed by {{{{end}}}}" for n, _ in stack)
    return "".join(out), problems, used


def _condition(
    stripped: str, values: Mapping[str, Value], where: str, problems: list[str], used: set[str]
) -> bool:
    match = _IF.fullmatch(stripped)
    if match is None:
        problems.append(f"{where}: malformed condition {stripped!r} (want {{{{if name}}}})")
        return False
    name = match.group(1)
    used.add(name)
    if name not in values:
        problems.append(f"{where}: no value for condition {name!r}")
        return False
    if not isinstance(values[name], bool):
        problems.append(f"{where}: condition {name!r} needs a boolean, got {values[name]!r}")
        return False
    return bool(values[name])


def _substitute(
    line: str, values: Mapping[str, Value], where: str, problems: list[str], used: set[str]
) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if not _NAME.fullmatch(name):
            problems.append(f"{where}: malformed placeholder {match.group(0)!r}")
            return match.group(0)
        used.add(name)
        if name not in values:
            problems.append(f"{where}: no value for placeholder {name!r}")
            return match.group(0)
        value = values[name]
        if isinstance(value, bool):
            problems.append(f"{where}: placeholder {name!r} is a boolean; use {{{{if {name}}}}}")
        return str(value)

    if "{{" in _TOKEN.sub("", line):
        problems.append(f"{where}: '{{{{' without a closing '}}}}'")
    return _TOKEN.sub(replace, line)


def render_all(
    templates: Mapping[str, str], values: Mapping[str, Value]
) -> dict[str, str]:
    """Render named templates (``name.conf.in`` -> text) to ``name.conf`` -> text.

    Every problem of every template is reported together; a value no template
    uses is a problem too.
    """
    rendered: dict[str, str] = {}
    problems: list[str] = []
    used: set[str] = set()
    for name in sorted(templates):
        text, found, names = _render(templates[name], values, name)
        problems.extend(found)
        used |= names
        rendered[name.removesuffix(".in")] = text
    unused = sorted(set(values) - used)
    if unused:
        problems.append(f"values used by no template: {', '.join(unused)}")
    if problems:
        raise TemplateError(problems)
    return rendered


def read_templates(template_dir: Path) -> dict[str, str]:
    """All ``*.conf.in`` files of a folder, by file name."""
    paths = template_dir.glob(f"*{TEMPLATE_SUFFIX}")
    found = {p.name: p.read_text(encoding="utf-8") for p in paths}
    if not found:
        raise TemplateError([f"{template_dir}: no *{TEMPLATE_SUFFIX} templates"])
    return found


def render_tree(
    template_dir: Path, values: Mapping[str, Value], dest: Path,
    check: Callable[[Path], list[str]] | None = None,
) -> list[Path]:
    """Render every template of ``template_dir`` into ``dest``, replacing it whole.

    ``check`` reads the rendered folder before it is swapped in; problems it
    returns abort the render with dest untouched.
    """
    rendered = render_all(read_templates(template_dir), values)
    write_tree(rendered, dest, check)
    return [dest / name for name in sorted(rendered)]


def write_tree(
    files: Mapping[str, str | bytes], dest: Path,
    check: Callable[[Path], list[str]] | None = None,
) -> None:
    """Write ``files`` into a fresh sibling of ``dest`` and swap it in by rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
    try:
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        found = check(staging) if check is not None else []
        problems = [problem.replace(str(staging), str(dest)) for problem in found]
        if problems:
            raise TemplateError(problems)
        os.chmod(staging, 0o755)
        swap_in(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def swap_in(staging: Path, dest: Path) -> None:
    """Replace ``dest`` by ``staging`` with renames; the old tree is removed after."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        dest.rename(old)
    staging.rename(dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

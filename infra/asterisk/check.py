"""Read rendered manager.conf back and enforce AMI least privilege.

The template is reviewed, but values (user names, a hand-edited template) can
still open AMI wider than intended; this check parses the *rendered* file with
pyst2's ``asterisk.config`` parser (an independent reading of Asterisk's
syntax) and reports: AMI not bound to loopback, a user without ``deny`` all and
``permit`` 127.0.0.1, or any user granted ``command`` or ``config`` (shell and
config-file access). Problems name the file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asterisk.config import Config, ParseError

#: AMI permission classes no Vaxel user may hold.
FORBIDDEN = frozenset({"command", "config", "all"})
LOOPBACK_PERMIT = "127.0.0.1/255.255.255.255"


def manager_problems(path: Path) -> list[str]:
    """What is wrong with a rendered manager.conf (empty when it is safe)."""
    try:
        config = Config(str(path))
    except ParseError as exc:
        return [f"{path}:{exc.args[0]}: {exc.args[1]}"]
    problems: list[str] = []
    for category in config.categories:
        items = _items(category)
        where = f"{path}:{category.number}: [{category.name}]"
        if category.name == "general":
            if items.get("bindaddr", (None, 0))[0] != "127.0.0.1":
                problems.append(f"{where}: bindaddr must be 127.0.0.1")
            continue
        problems += _user_problems(where, items)
    return problems


def _items(category: Any) -> dict[str, tuple[str, int]]:
    return {item.name.strip(): (item.value.strip(), item.number) for item in category.items}


def _user_problems(where: str, items: dict[str, tuple[str, int]]) -> list[str]:
    problems = []
    if items.get("deny", ("", 0))[0] != "0.0.0.0/0.0.0.0":
        problems.append(f"{where}: needs deny = 0.0.0.0/0.0.0.0")
    if items.get("permit", ("", 0))[0] != LOOPBACK_PERMIT:
        problems.append(f"{where}: needs permit = {LOOPBACK_PERMIT}")
    for key in ("read", "write"):
        value, line = items.get(key, ("", 0))
        granted = {part.strip() for part in value.split(",")}
        if granted & FORBIDDEN:
            bad = ", ".join(sorted(granted & FORBIDDEN))
            problems.append(f"{where}: line {line}: {key} grants {bad}")
    return problems

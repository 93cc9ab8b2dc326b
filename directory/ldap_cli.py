"""``vaxel directory sync``: placeholder until the LDAP adapter lands."""

from __future__ import annotations

from typing import Any


def register(sub: Any, command: Any) -> None:
    return None

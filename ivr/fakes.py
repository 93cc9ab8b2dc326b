"""In-package fakes of the IVR's ports, for unit tests without sockets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ivr import actions as a
from ivr.agi import AgiReply, format_command, parse_reply_line


class ScriptedChannel:
    """An AGI channel whose replies come from ``answer(command_line) -> reply line``.

    Records every command in ``sent`` as the line the real channel would send.
    """

    def __init__(self, answer: Callable[[str], str]) -> None:
        self.answer = answer
        self.sent: list[str] = []

    async def command(self, name: str, *args: str, sensitive: bool = False) -> AgiReply:
        line = format_command(name, *args).decode().rstrip("\n")
        self.sent.append(line)
        return parse_reply_line(self.answer(line))


def set_lines(sent: list[str]) -> list[str]:
    """``sent`` with each ``EXEC MSet a=1,b=2`` written as the SET VARIABLE lines it stands
    for (tests state the variables a call leaves the IVR with, whichever way they went)."""
    lines: list[str] = []
    for line in sent:
        if line.startswith("EXEC MSet "):
            data = line.removeprefix("EXEC MSet ").strip('"')
            lines += [f"SET VARIABLE {pair.replace('=', ' ', 1)}" for pair in data.split(",")]
        else:
            lines.append(line)
    return lines


class DictDirectory:
    """Extensions -> callees (and optional absences)."""

    def __init__(self, callees: dict[str, a.Callee], absences: dict[str, a.Absence] | None = None):
        self.callees = callees
        self.absences = absences or {}

    def lookup_extension_sync(self, extension: str, now: datetime) -> a.LookupCompleted:
        callee = self.callees.get(extension)
        return a.LookupCompleted(callee, self.absences.get(extension) if callee else None)

    async def lookup_extension(self, extension: str, now: datetime) -> a.LookupCompleted:
        return self.lookup_extension_sync(extension, now)

    async def lookup_by_name_keys(self, keys: str, now: datetime, limit: int = 6) -> a.NamesFound:
        return self.lookup_by_name_keys_sync(keys, now, limit)

    def lookup_by_name_keys_sync(self, keys: str, now: datetime, limit: int = 6) -> a.NamesFound:
        """Callees whose family name (last word of ``name``) starts with the keypad keys."""
        from directory.text import keypad_digits

        found = [(ext, c) for ext, c in sorted(self.callees.items(), key=lambda i: i[1].name)
                 if keypad_digits(c.name.split()[-1]).startswith(keys)][:limit]
        return a.NamesFound(tuple(c for _, c in found),
                            tuple(self.absences.get(ext) for ext, _ in found))

"""AGI commands as Asterisk's res_agi parses them: names, quoted arguments, one line each.

`AgiCommand` is one command line; the builders (`stream_file`, `get_data`, ...) make the
commands the controller sends. Arguments are quoted for res_agi's parse_args(); a line
break in an argument is refused (`AgiArgumentError`), since it would end the command.
Re-exported by `ivr.agi`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.agi_errors import AgiArgumentError


@dataclass(frozen=True)
class AgiCommand:
    """One AGI command line; `encode()` gives the bytes to send."""

    name: str
    args: tuple[str, ...] = ()

    def encode(self) -> bytes:
        return format_command(self.name, *self.args)


def quote_argument(arg: str) -> str:
    """Quote for res_agi's parse_args(): quotes group words, a backslash escapes one char."""
    if "\n" in arg or "\r" in arg:
        raise AgiArgumentError(f"AGI argument contains a line break: {arg!r}")
    if arg and not any(c in arg for c in ' \t"\\'):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def format_command(name: str, *args: str) -> bytes:
    """``STREAM FILE`` + args -> ``b'STREAM FILE "welcome" ""\\n'``; empty args become ``""``."""
    if not name or "\n" in name or "\r" in name:
        raise AgiArgumentError(f"bad AGI command name: {name!r}")
    parts = [name, *(quote_argument(a) for a in args)]
    try:
        return (" ".join(parts) + "\n").encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AgiArgumentError(f"AGI command {name!r} has text UTF-8 cannot encode") from exc


def stream_file(path: str, escape: str = "") -> AgiCommand:
    """Play `path`; the reply's `key` is the escape digit pressed, if any."""
    return AgiCommand("STREAM FILE", (path, escape))


def get_data(path: str, timeout_ms: int, max_digits: int) -> AgiCommand:
    """Play `path` and collect up to `max_digits`; the reply's `digits` has them."""
    return AgiCommand("GET DATA", (path, str(timeout_ms), str(max_digits)))


def wait_for_digit(timeout_ms: int) -> AgiCommand:
    return AgiCommand("WAIT FOR DIGIT", (str(timeout_ms),))


def set_variable(name: str, value: str) -> AgiCommand:
    return AgiCommand("SET VARIABLE", (name, value))


def get_variable(name: str) -> AgiCommand:
    """The reply is ``result=1 (value)`` when set, ``result=0`` when not."""
    return AgiCommand("GET VARIABLE", (name,))


def exec_(app: str, options: str = "") -> AgiCommand:
    """Run a dialplan application (``EXEC Dial PJSIP/4711,30``)."""
    return AgiCommand("EXEC", (app, options))


def verbose(message: str, level: int = 1) -> AgiCommand:
    return AgiCommand("VERBOSE", (message, str(level)))


def answer() -> AgiCommand:
    return AgiCommand("ANSWER")


def hangup() -> AgiCommand:
    return AgiCommand("HANGUP")

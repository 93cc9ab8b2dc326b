"""The AGI commands the IVR sends, as `AgiCommand` values ready for `AgiConnection.send`.

One builder per command (``STREAM FILE``, ``GET DATA``, ``EXEC`` ...), each naming its
arguments in the order res_agi.c expects them; the reply property that carries the
answer (`AgiReply.key`, `AgiReply.digits`, ``data``) is named in the builder's docstring.
Builders only build: quoting and the line format are `ivr.agi.format_command`'s, so an
argument that cannot be sent raises `ivr.agi.AgiArgumentError` when it is encoded.
"""

from __future__ import annotations

from ivr.agi import AgiCommand


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

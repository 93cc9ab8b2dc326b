"""Values that end up inside a dialplan application's arguments, made harmless.

Asterisk substitutes ``${VAXEL_DIAL}`` into ``Dial(${VAXEL_DIAL},${VAXEL_DIAL_TIMEOUT})``
and *then* splits the arguments: a comma in the value adds an argument (``U()``, ``G()``
options), a pipe or quote changes the splitting of some applications, a line break forges
AMI event headers (``UserEvent``) or AGI commands, ``${...}`` is evaluated by applications
that substitute again. So a value from the directory, a caller or a config file that goes
into a channel variable used as arguments passes through here first:

- :func:`check_dial` accepts only dial strings made of ``tech/resource[@context]`` parts
  joined by ``&``, and raises :class:`UnsafeValue` naming the place otherwise;
- :func:`is_safe_dial` is the same test as a boolean;
- :func:`argument_text` turns free text (a name, a label) into text with none of the
  dangerous characters (each replaced by a space);
- :func:`dial_number` keeps the digits (and a leading ``+``) of a telephone number.

Pure: no I/O.
"""

from __future__ import annotations

import re

#: One dial string part: technology/resource, optionally @context and /options of Local.
_DIAL_PART = r"[A-Za-z0-9_.+*#:=-]+/[A-Za-z0-9_.+*#:@=/-]+"
_DIAL = re.compile(rf"{_DIAL_PART}(?:&{_DIAL_PART})*")
#: Characters that change how Asterisk splits or evaluates arguments, or end a line.
UNSAFE_CHARACTERS = frozenset(',|;"\'`\\$(){}[]\r\n\t\0')


class UnsafeValue(ValueError):
    """A value that could change a dialplan application's arguments."""


def is_safe_dial(value: str) -> bool:
    return bool(_DIAL.fullmatch(value))


def check_dial(value: str, where: str) -> str:
    """``value`` if it is a plain dial string; raises naming ``where`` otherwise."""
    if not is_safe_dial(value):
        raise UnsafeValue(f"{where}: {value!r} is not a plain dial string "
                          "(tech/resource[@context] joined by &, no , | ; quotes $ { } or "
                          "line breaks)")
    return value


def argument_text(value: str) -> str:
    """Free text with every character that could split or evaluate arguments replaced by a
    space (and other control characters dropped)."""
    out = [" " if c in UNSAFE_CHARACTERS else c for c in value if c >= " " or c in "\t\r\n"]
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def dial_number(value: str) -> str:
    """The digits of a telephone number (a leading ``+`` kept); empty when there are none."""
    digits = re.sub(r"[^0-9]", "", value)
    return f"+{digits}" if digits and value.strip().startswith("+") else digits

"""A blocking, one-shot AMI login check used when an instance starts.

Asterisk being "fully booted" does not prove the rendered manager.conf lets the
controller in; this logs in once with the controller's user and logs off. The
async AMI client (panoramisk) belongs to the controller and the test harness.
"""

from __future__ import annotations

import socket
from typing import BinaryIO

#: AMI sends this on connect: "Asterisk Call Manager/<version>".
BANNER = b"Asterisk Call Manager"


def login(host: str, port: int, user: str, secret: str, timeout: float) -> str | None:
    """Log in and off once; None on success, else what went wrong."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            reader = sock.makefile("rb")
            banner = reader.readline()
            if not banner.startswith(BANNER):
                return f"unexpected banner {banner!r}"
            sock.sendall(_action("Login", Username=user, Secret=secret, ActionID="probe"))
            reply = _read_message(reader)
            if reply.get("Response") != "Success":
                return reply.get("Message", "no success response")
            sock.sendall(_action("Logoff", ActionID="bye"))
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def _action(name: str, **headers: str) -> bytes:
    lines = [f"Action: {name}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_message(reader: BinaryIO) -> dict[str, str]:
    message: dict[str, str] = {}
    while True:
        line = reader.readline().decode(errors="replace").strip()
        if not line:
            return message
        key, _, value = line.partition(":")
        message.setdefault(key.strip(), value.strip())

"""Which loopback ports are free: checked by binding, the only reliable test.

Binding uses SO_REUSEADDR like Asterisk does, so a TCP port in TIME_WAIT from
a previous run does not count as taken.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Literal

Proto = Literal["tcp", "udp"]


def is_free(proto: Proto, port: int, host: str = "127.0.0.1") -> bool:
    """True when ``port`` can be bound on ``host`` right now."""
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def first_taken(wanted: Iterable[tuple[str, Proto, int]]) -> tuple[str, Proto, int] | None:
    """The first (role, proto, port) that is taken, or None when all are free."""
    for role, proto, port in wanted:
        if not is_free(proto, port):
            return role, proto, port
    return None

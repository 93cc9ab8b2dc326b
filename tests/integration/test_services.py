"""The test services start on free loopback ports and leave nothing behind."""

from __future__ import annotations

import socket

import pytest

from vaxel.testing.services import RedisServer, free_port, free_udp_range

pytestmark = pytest.mark.integration


def _ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16)


def test_given_a_redis_server_when_running_then_it_answers_and_when_stopped_it_is_gone():
    server = RedisServer()
    with server:
        assert _ping(server.port) == b"+PONG\r\n"
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        folder = server._dir
    assert folder is not None and not folder.exists()
    with pytest.raises(OSError):
        _ping(server.port)


def test_redis_server_fixture_has_no_persistence(redis_server):
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=2) as sock:
        sock.sendall(b"CONFIG GET save\r\n")
        assert b"save\r\n$0\r\n" in sock.recv(64)


def test_free_ports_can_be_bound():
    port = free_port()
    first, last = free_udp_range(10)
    assert last - first == 9 and first % 2 == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))

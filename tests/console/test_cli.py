"""`vaxel user add|list` and `vaxel token create` against a real Redis."""

from __future__ import annotations

import asyncio

import pytest

from console.auth import Role
from console.deps import redis_client
from console.users import UserStore
from vaxel.cli import main


def test_user_add_stores_an_argon2_hash_and_token_create_prints_a_working_token(
        redis_server, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VAXEL_USER_PASSWORD", "ett-bra-lösen")
    assert main(["user", "add", "eva", "--role", "operator", "--device", "PJSIP/1000",
                 "--redis", redis_server.url]) == 0
    assert "user eva: operator, phone PJSIP/1000" in capsys.readouterr().out
    assert main(["user", "add", "eva", "--role", "admin", "--redis", redis_server.url]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["token", "create", "--role", "agent", "--name", "robot",
                 "--redis", redis_server.url]) == 0
    token = capsys.readouterr().out.strip()
    assert main(["user", "list", "--redis", redis_server.url]) == 0
    assert "eva" in capsys.readouterr().out

    async def check() -> None:
        client = redis_client(redis_server.url)
        users = UserStore(client)
        _session, who = await users.log_in("eva", "ett-bra-lösen", "127.0.0.1")
        assert who.role is Role.OPERATOR
        robot = await users.by_token(token)
        assert (robot.name, robot.role, robot.via) == ("robot", Role.AGENT, "token")
        raw = await client.hget("vaxel:console:user:eva", "hash")
        assert raw.startswith("$argon2id$")
        assert [e["action"] for e in await users.audit_log()] == ["token.create", "user.add"]
        await client.aclose()

    asyncio.run(check())


def test_user_add_with_a_short_password_is_a_clear_error(redis_server, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VAXEL_USER_PASSWORD", "kort")
    assert main(["user", "add", "eva", "--role", "operator", "--redis", redis_server.url]) == 2
    assert "password: must be at least 8 characters" in capsys.readouterr().err


@pytest.mark.parametrize("role", ["boss", ""])
def test_user_add_refuses_an_unknown_role(role: str, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        main(["user", "add", "eva", "--role", role])

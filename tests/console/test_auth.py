"""Log-in, roles and CSRF rules (pure)."""

from __future__ import annotations

import pytest

from console import auth
from console.auth import LoginThrottle, Permission, Principal, Role
from console.errors import CsrfFailed, Forbidden, Invalid


def test_given_a_password_when_hashed_then_argon2id_and_only_the_right_one_verifies() -> None:
    digest = auth.hash_password("rätt-lösenord")
    assert digest.startswith("$argon2id$")
    assert auth.verify_password(digest, "rätt-lösenord")
    assert not auth.verify_password(digest, "fel-lösenord")
    assert not auth.verify_password("not a hash", "rätt-lösenord")


def test_given_a_short_password_then_refused_naming_the_field() -> None:
    with pytest.raises(Invalid) as err:
        auth.hash_password("kort")
    assert err.value.details["field"] == "password"


def test_roles_table_an_agent_may_not_deploy_and_an_admin_may_do_everything() -> None:
    agent = Principal("anna", Role.AGENT)
    with pytest.raises(Forbidden):
        auth.require(agent, Permission.ADMIN)
    auth.require(agent, Permission.AGENT)
    assert all(Principal("root", Role.ADMIN).may(p) for p in Permission)
    assert not Principal("eva", Role.OPERATOR).may(Permission.SUPERVISE)
    assert Principal("sam", Role.SUPERVISOR).may(Permission.SUPERVISE)
    assert not Principal("sam", Role.SUPERVISOR).may(Permission.OPERATE)


def test_given_a_session_then_a_change_needs_its_csrf_token() -> None:
    who = Principal("eva", Role.OPERATOR, "session", "token-1")
    for sent in (None, "", "token-2"):
        with pytest.raises(CsrfFailed):
            auth.check_csrf(who, sent)
    auth.check_csrf(who, "token-1")


def test_given_an_api_token_then_no_csrf_is_asked() -> None:
    auth.check_csrf(Principal("script", Role.ADMIN, "token"), None)


def test_tokens_are_random_and_stored_as_digests() -> None:
    a, b = auth.new_token(), auth.new_token()
    assert a != b and len(a) >= 40
    assert auth.token_digest(a) != a and len(auth.token_digest(a)) == 64


def test_same_origin_accepts_our_host_only() -> None:
    assert auth.same_origin("http://127.0.0.1:8080", "127.0.0.1:8080")
    assert auth.same_origin("https://vaxel.stad.example", "vaxel.stad.example")
    assert not auth.same_origin("https://evil.example", "127.0.0.1:8080")
    assert not auth.same_origin(None, "127.0.0.1:8080")


def test_throttle_blocks_at_the_limit_by_name_or_by_address() -> None:
    rule = LoginThrottle(max_failures=5)
    assert not rule.blocked(4, 4)
    assert rule.blocked(5, 0)
    assert rule.blocked(0, 5)


def test_parse_role_and_names_name_the_field() -> None:
    assert auth.parse_role(" Admin ") is Role.ADMIN
    with pytest.raises(Invalid) as err:
        auth.parse_role("boss")
    assert err.value.details["field"] == "role"
    with pytest.raises(Invalid):
        auth.check_name("Eva Svensson")
    assert auth.check_name("eva.s") == "eva.s"

"""Log-in, roles and CSRF, decided in pure code (no Redis, no clock of its own).

- Passwords are argon2id hashes (argon2-cffi's defaults); API tokens are random
  URL-safe strings of which only the SHA-256 is stored, so a stolen store gives no token.
- ``ROLE_PERMISSIONS`` is the one table of what each role may do; every endpoint names
  the permission it needs and ``require`` checks it (an agent may not deploy: 403).
- A session carries its own CSRF token; every state change with a session cookie must
  send it back in the ``X-CSRF-Token`` header (compared in constant time). Bearer tokens
  are not sent by a browser on its own, so they need none.
- ``LoginThrottle`` is the rule for failed log-ins: ``MAX_FAILURES`` within
  ``FAILURE_WINDOW_S`` per user name or per client address blocks further tries until
  the window has passed (the counts live in Redis, see ``console.users``).
- ``IdentityProvider`` is the port an OIDC log-in would implement (not built).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from console.errors import CsrfFailed, Forbidden, Invalid

#: Failed log-ins (per user name, and per client address) before further tries are refused.
MAX_FAILURES = 5
#: Seconds a failed log-in counts against the limit.
FAILURE_WINDOW_S = 300
#: Seconds a console session lasts without use.
SESSION_TTL_S = 12 * 3600
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_hasher = PasswordHasher()


class Role(enum.Enum):
    OPERATOR = "operator"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Permission(enum.Enum):
    OPERATE = "operate"
    """Operator view: answer, transfer, consult, park, messages, directory search."""
    AGENT = "agent"
    """Agent desktop: own state, next call, case outcomes."""
    SUPERVISE = "supervise"
    """Wallboard, skills and levels, end an agent's pause."""
    ADMIN = "admin"
    """Dialplan deploy and rollback, directory edits and absence notes, audit log."""
    VIEW = "view"
    """Read-only live state (events, queues)."""


#: What each role may do (the only place this is decided).
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset({Permission.OPERATE, Permission.VIEW}),
    Role.AGENT: frozenset({Permission.AGENT, Permission.VIEW}),
    Role.SUPERVISOR: frozenset({Permission.SUPERVISE, Permission.AGENT, Permission.VIEW}),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user by session, or a script by API token."""

    name: str
    role: Role
    via: str = "session"
    """``session`` (a browser; CSRF applies) or ``token``."""
    csrf: str = ""

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def parse_role(text: str, field: str = "role") -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        known = "|".join(r.value for r in Role)
        raise Invalid(field, f"unknown role {text!r}; expected {known}") from None


def check_name(name: str, field: str = "name") -> str:
    """User names: lower-case letters, digits, ``._-``, at most 32 (they are agent ids too)."""
    if not _NAME.fullmatch(name):
        raise Invalid(field, f"{name!r}: use 1-32 lower-case letters, digits, '.', '_' or '-'")
    return name


def check_password(password: str) -> str:
    if len(password) < 8:
        raise Invalid("password", "must be at least 8 characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: A hash to verify against when the user does not exist, so both cases take as long.
DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


def new_token() -> str:
    """A fresh secret (API token, session id, CSRF token): 256 random bits."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require(principal: Principal, permission: Permission) -> None:
    if not principal.may(permission):
        raise Forbidden(f"Rollen {principal.role.value} får inte göra detta "
                        f"(role {principal.role.value} lacks {permission.value})",
                        permission=permission.value)


def check_csrf(principal: Principal, sent: str | None) -> None:
    """A state change from a browser session must carry the session's CSRF token."""
    if principal.via != "session":
        return
    if not sent or not hmac.compare_digest(sent, principal.csrf):
        raise CsrfFailed("CSRF-token saknas eller är fel; ladda om sidan "
                         "(CSRF token missing or wrong; reload the page)")


def same_origin(origin: str | None, host: str | None) -> bool:
    """A browser WebSocket must come from our own pages (no cross-site hijacking)."""
    if not origin or not host:
        return False
    return re.sub(r"^[a-z]+://", "", origin.lower()).rstrip("/") == host.lower()


@dataclass(frozen=True)
class LoginThrottle:
    """The failed log-in rule (pure): given the counts, may this attempt proceed?"""

    max_failures: int = MAX_FAILURES
    window_s: int = FAILURE_WINDOW_S

    def blocked(self, failures_for_name: int, failures_for_address: int) -> bool:
        return max(failures_for_name, failures_for_address) >= self.max_failures


class IdentityProvider(Protocol):
    """An external log-in (OIDC): left unbuilt. A provider would send the browser to
    ``authorize_url``, then turn the returned code into a user name and role; the console
    would then open a session exactly as a password log-in does."""

    def authorize_url(self, state: str, redirect_uri: str) -> str: ...

    async def complete(self, code: str, redirect_uri: str) -> tuple[str, Role]: ...

"""Console users, API tokens, sessions, failed log-ins and the audit log, in Redis.

Redis (not the directory database) because sessions and counters need expiry and every
console process must see them at once; users are few. Keys, under ``vaxel:console:``:

- ``user:<name>`` hash: ``role``, ``hash`` (argon2id), ``device`` (an operator's or
  agent's phone, e.g. ``PJSIP/1000``), ``created_at``; ``users`` set of names.
- ``token:<sha256 of token>`` hash: ``name``, ``role``, ``created_at`` (the token itself
  is shown once, by ``vaxel token create``, and never stored).
- ``session:<id>`` hash: ``name``, ``role``, ``csrf``; expires ``SESSION_TTL_S`` after use.
- ``fail:name:<name>`` and ``fail:addr:<address>``: failed log-in counters that expire
  ``FAILURE_WINDOW_S`` after the first failure.
- ``audit`` stream: ``at``, ``user``, ``action``, ``detail`` (JSON) for every admin and
  supervisor change.
Redis errors become ``Unavailable`` (503).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from console import auth
from console.auth import LoginThrottle, Principal, Role
from console.errors import Conflict, NotLoggedIn, TooManyAttempts, Unavailable

PREFIX = "vaxel:console:"
#: Audit entries kept (the stream is trimmed to about this many).
AUDIT_MAXLEN = 100_000


@asynccontextmanager
async def redis_errors(what: str) -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise Unavailable(f"Redis svarar inte (Redis is not answering): {what}") from exc


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    device: str = ""


class UserStore:
    """See the module docstring."""

    def __init__(self, client: aioredis.Redis, throttle: LoginThrottle | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.r = client
        self.throttle = throttle or LoginThrottle()
        self.clock = clock

    def __repr__(self) -> str:
        return f"<UserStore {PREFIX}*>"

    # --- users and tokens -------------------------------------------------------------

    async def add_user(self, name: str, role: Role, password: str, device: str = "",
                       *, replace: bool = False) -> User:
        auth.check_name(name)
        digest = auth.hash_password(password)
        key = f"{PREFIX}user:{name}"
        async with redis_errors("add user"):
            if not replace and await self.r.exists(key):
                raise Conflict(f"användaren {name} finns redan (user {name} exists)", name=name)
            await self.r.hset(key, mapping={"role": role.value, "hash": digest,
                                            "device": device, "created_at": repr(self.clock())})
            await self.r.sadd(f"{PREFIX}users", name)
        return User(name, role, device)

    async def user(self, name: str) -> User | None:
        async with redis_errors("read user"):
            row = cast(dict[str, str], await self.r.hgetall(f"{PREFIX}user:{name}"))
        return User(name, Role(row["role"]), row.get("device", "")) if row else None

    async def users(self) -> list[User]:
        async with redis_errors("read users"):
            names = sorted(cast(set[str], await self.r.smembers(f"{PREFIX}users")))
        found = [await self.user(n) for n in names]
        return [u for u in found if u is not None]

    async def set_device(self, name: str, device: str) -> None:
        async with redis_errors("set device"):
            await self.r.hset(f"{PREFIX}user:{name}", "device", device)

    async def create_token(self, name: str, role: Role) -> str:
        auth.check_name(name)
        token = auth.new_token()
        async with redis_errors("create token"):
            await self.r.hset(f"{PREFIX}token:{auth.token_digest(token)}",
                              mapping={"name": name, "role": role.value,
                                       "created_at": repr(self.clock())})
        return token

    async def by_token(self, token: str) -> Principal:
        async with redis_errors("check token"):
            row = cast(dict[str, str],
                       await self.r.hgetall(f"{PREFIX}token:{auth.token_digest(token)}"))
        if not row:
            raise NotLoggedIn("okänd API-token (unknown API token)")
        return Principal(row["name"], Role(row["role"]), via="token")

    # --- log-in and sessions ----------------------------------------------------------

    async def log_in(self, name: str, password: str, address: str) -> tuple[str, Principal]:
        """Check the password; returns (session id, principal). Refused attempts count
        towards the limit; a blocked name or address is refused before any check."""
        keys = (f"{PREFIX}fail:name:{name}", f"{PREFIX}fail:addr:{address}")
        async with redis_errors("log in"):
            counts = [int(c or 0) for c in await self.r.mget(keys)]
            if self.throttle.blocked(*counts):
                raise TooManyAttempts(
                    "För många misslyckade inloggningar; försök igen om en stund "
                    "(too many failed log-ins; try again later)",
                    retry_after_s=self.throttle.window_s)
            row = cast(dict[str, str], await self.r.hgetall(f"{PREFIX}user:{name}"))
        ok = auth.verify_password(row.get("hash", auth.DUMMY_HASH), password) and bool(row)
        if not ok:
            async with redis_errors("count failure"):
                async with self.r.pipeline(transaction=True) as pipe:
                    for key in keys:
                        pipe.incr(key)
                        pipe.expire(key, self.throttle.window_s, nx=True)
                    await pipe.execute()
            raise NotLoggedIn("fel namn eller lösenord (wrong name or password)")
        session, csrf = auth.new_token(), auth.new_token()
        skey = f"{PREFIX}session:{session}"
        async with redis_errors("open session"):
            await self.r.delete(keys[0])
            await self.r.hset(skey, mapping={"name": name, "role": row["role"], "csrf": csrf})
            await self.r.expire(skey, auth.SESSION_TTL_S)
        return session, Principal(name, Role(row["role"]), "session", csrf)

    async def by_session(self, session: str) -> Principal:
        skey = f"{PREFIX}session:{session}"
        async with redis_errors("check session"):
            row = cast(dict[str, str], await self.r.hgetall(skey))
            if row:
                await self.r.expire(skey, auth.SESSION_TTL_S)
        if not row:
            raise NotLoggedIn("inte inloggad (not logged in)")
        return Principal(row["name"], Role(row["role"]), "session", row["csrf"])

    async def log_out(self, session: str) -> None:
        async with redis_errors("log out"):
            await self.r.delete(f"{PREFIX}session:{session}")

    # --- audit ------------------------------------------------------------------------

    async def audit(self, user: str, action: str, **detail: Any) -> None:
        fields = {"at": repr(self.clock()), "user": user, "action": action,
                  "detail": json.dumps(detail, ensure_ascii=False, default=str)}
        async with redis_errors("audit"):
            await self.r.xadd(f"{PREFIX}audit", cast(Any, fields), maxlen=AUDIT_MAXLEN,
                              approximate=True)

    async def audit_log(self, count: int = 100) -> list[dict[str, str]]:
        async with redis_errors("read audit"):
            rows: Any = await self.r.xrevrange(f"{PREFIX}audit", count=count)
        return [{"id": entry_id, **fields} for entry_id, fields in rows]

"""Redis URLs, plain or through Sentinel, and the client for each.

Two forms are accepted:

- ``redis://[:password@]host:port/db`` (and ``rediss://``, ``unix://``): one Redis, as
  redis-py's ``from_url`` takes it;
- ``redis+sentinel://[:password@]host:port,host:port,.../<master name>/<db>``: ask the
  Sentinels for the current master of ``<master name>``; the password is that of the
  Sentinels and of Redis (one password for both). The client finds the new master by
  itself after a fail-over (redis-py's ``SentinelConnectionPool``).

:func:`parse_redis_url` is pure and reports a bad URL naming the part at fault;
:func:`redacted` is what logs and errors print (never a password).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

SENTINEL_SCHEME = "redis+sentinel"
PLAIN_SCHEMES = ("redis", "rediss", "unix")
#: Seconds the Sentinel client waits for a Sentinel or the master to answer.
SENTINEL_SOCKET_TIMEOUT_S = 2.0
#: Bound on connecting to Redis and on closing a connection (redis-py waits for a close
#: without bound otherwise; a task waiting on the pool behind it cannot be cancelled).
CONNECT_TIMEOUT_S = 5.0

_SENTINEL = re.compile(
    r"redis\+sentinel://(?:(?P<user>[^:@/]*)(?::(?P<password>[^@/]*))?@)?"
    r"(?P<hosts>[^/@]+)/(?P<master>[^/]+)(?:/(?P<db>[^/]*))?/?")


class RedisUrlError(ValueError):
    """A Redis URL that cannot be used; the message names the part at fault."""


@dataclass(frozen=True)
class RedisTarget:
    """Where a Redis URL points."""

    url: str = field(repr=False)
    sentinels: tuple[tuple[str, int], ...] = ()
    """(host, port) of each Sentinel; empty for a plain URL."""
    master: str = ""
    """The master's name at the Sentinels."""
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def via_sentinel(self) -> bool:
        return bool(self.sentinels)


def parse_redis_url(url: str) -> RedisTarget:
    """Check a Redis URL; a plain one is passed on to redis-py as it is."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme in PLAIN_SCHEMES:
        return RedisTarget(url)
    if scheme != SENTINEL_SCHEME:
        raise RedisUrlError(f"{redacted(url)}: expected redis://, rediss://, unix:// or "
                            "redis+sentinel://host:port,host:port/mastername/db")
    match = _SENTINEL.fullmatch(url)
    if match is None:
        raise RedisUrlError(f"{redacted(url)}: expected "
                            "redis+sentinel://[:password@]host:port,.../mastername/db")
    sentinels = tuple(_host_port(part, url) for part in match["hosts"].split(","))
    db_text = match["db"] or "0"
    if not db_text.isdigit():
        raise RedisUrlError(f"{redacted(url)}: database {db_text!r} is not a number")
    password = unquote(match["password"]) if match["password"] else None
    return RedisTarget(url, sentinels, unquote(match["master"]), int(db_text),
                       username=unquote(match["user"]) or None if match["user"] else None,
                       password=password)


def _host_port(part: str, url: str) -> tuple[str, int]:
    host, _, port = part.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RedisUrlError(f"{redacted(url)}: sentinel {part!r} is not host:port")
    return host, int(port)


def redacted(url: str) -> str:
    """The URL with any password replaced by ``***`` (for logs and error messages)."""
    return re.sub(r"(://[^:@/]*:)[^@/]*@", r"\1***@", url)


def storage_name(url: str) -> str:
    """A stable name of the Redis a URL means (host-port-db, or master-db at Sentinels),
    without secrets: names a folder of things meant for that Redis."""
    target = parse_redis_url(url)
    if target.via_sentinel:
        return f"sentinel-{target.master}-{target.db}"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    database = parts.path.strip("/") or "0"
    return f"{parts.hostname or 'localhost'}-{parts.port or 6379}-{database}"


def redis_client(url: str, **kwargs: Any) -> Any:
    """An asyncio Redis client for ``url`` (``decode_responses=True`` unless given).

    Through Sentinel, the client asks the Sentinels for the master on each new
    connection and again after a connection error, so a fail-over needs no restart."""
    import redis.asyncio as aioredis
    from redis.asyncio.sentinel import Sentinel

    kwargs.setdefault("decode_responses", True)
    target = parse_redis_url(url)
    if not target.via_sentinel:
        kwargs.setdefault("socket_connect_timeout", CONNECT_TIMEOUT_S)
        return aioredis.Redis.from_url(url, **kwargs)
    auth: dict[str, Any] = {}
    if target.username is not None:
        auth["username"] = target.username
    if target.password is not None:
        auth["password"] = target.password
    kwargs.setdefault("socket_timeout", SENTINEL_SOCKET_TIMEOUT_S)
    kwargs.setdefault("socket_connect_timeout", SENTINEL_SOCKET_TIMEOUT_S)
    sentinel = Sentinel(list(target.sentinels),
                        sentinel_kwargs={**auth, "socket_timeout": SENTINEL_SOCKET_TIMEOUT_S,
                                         "socket_connect_timeout": SENTINEL_SOCKET_TIMEOUT_S},
                        **auth)
    return sentinel.master_for(target.master, db=target.db, **kwargs)

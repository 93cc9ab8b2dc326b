"""What the console works with, built by the wiring (``vaxel console``) and handed to
``console.app.create_app``: the Redis stores the controllers keep, the directory, the AMI
link, and the settings the pages need. Nothing here holds state of its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import redis.asyncio as aioredis

from console.outcomes import OutcomeStore
from console.users import UserStore
from routing.desk import AgentDesk
from routing.model import QueueConfig
from routing.store import RoutingStore
from switchboard.context_store import CallContextStore
from switchboard.operator import Settings

#: The ACD queue whose agents the operators are.
OPERATORS_QUEUE = "operators"
#: Redis connections one console process opens at most; more requests at once wait (up
#: to ``REDIS_WAIT_S``) instead of failing: redis-py 8's default pool refuses the 101st.
REDIS_CONNECTIONS = 64
REDIS_WAIT_S = 5.0


def redis_client(url: str) -> aioredis.Redis:
    """The console's Redis client: a blocking pool, so 200 log-ins at once queue up.
    Through Sentinel (``redis+sentinel://``, the cluster) the Sentinels' master pool."""
    from infra.redis_url import parse_redis_url
    from infra.redis_url import redis_client as sentinel_client

    if parse_redis_url(url).via_sentinel:
        return cast(aioredis.Redis, sentinel_client(url))
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_S, decode_responses=True)
    return aioredis.Redis(connection_pool=pool)


@dataclass
class ConsoleSettings:
    """Console options (``[console]`` in the configuration)."""

    secure_cookies: bool = False
    """Mark cookies Secure: set when the console is reached over HTTPS (a TLS proxy)."""
    operators_queue: str = OPERATORS_QUEUE
    return_priority: int = 8
    """Priority of a supervised transfer that came back (``[queues.operators]``)."""
    targets: Mapping[str, float] = field(default_factory=dict)
    """Service-level target seconds per queue."""
    dialplans_dir: Path | None = None
    """The flow files the admin page checks and deploys."""
    snapshot_every_s: float = 0.25
    """How often, at most, the live state is recomputed and sent when something changed."""
    tick_s: float = 1.0
    """The live state is sent at least this often (waiting times move)."""


@dataclass
class ConsoleDeps:
    redis: aioredis.Redis
    routing: RoutingStore
    desk: AgentDesk
    contexts: CallContextStore
    users: UserStore
    outcomes: OutcomeStore
    queues: Mapping[str, QueueConfig]
    settings: ConsoleSettings = field(default_factory=ConsoleSettings)
    directory: Any = None
    """``directory.api.Directory`` (blocking; called in a thread), or None."""
    ami: Any = None
    """``AmiClient`` (connected by the wiring), or None: call control then answers 503."""
    messages: Any = None
    """``switchboard.message_store.MessageDesk``, or None."""
    mail_domain: str = "localhost"
    operator_settings: Settings = field(default_factory=Settings)

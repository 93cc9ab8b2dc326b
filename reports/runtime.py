"""What the reports run inside a controller: the call recorder, the daily GDPR purge, and
the metrics poller with ``/metrics`` and ``/healthz`` (``[reports] metrics_port``).

`start_reporting` is the whole hook the controller service needs (one call after start,
`Reporting.close` on stop); the loops survive a failing round (logged, retried) and any
number of controllers may run them: the recorder records under a lease, the purge is
idempotent, the metrics are each controller's own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from redis.exceptions import RedisError

from infra.config import Config
from infra.tasks import cancel_bounded
from reports.gdpr import purge
from reports.gdpr_redis import purge_redis
from reports.metrics import Check, ControllerMetrics, MetricsServer
from reports.record_store import RecordsError, RecordStore
from reports.recorder import CallRecorder, DirectoryAdministrations

log = structlog.get_logger(__name__)

#: Seconds between two purges of the records.
PURGE_EVERY_S = 24 * 3600
#: Seconds a stop waits for the loops.
STOP_S = 5.0


@dataclass
class Reporting:
    store: RecordStore
    metrics: ControllerMetrics
    recorder: CallRecorder | None = None
    server: MetricsServer | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
        await cancel_bounded(list(self.tasks), STOP_S)
        self.store.close()


async def start_reporting(config: Config, client: Any, directory: Any,
                          metrics: ControllerMetrics,
                          ami_connected: Callable[[], bool]) -> Reporting:
    """Start the recorder and purge (``[reports] recorder``) and the metrics endpoint
    (``[reports] metrics_port``, 0: none); the poller runs when either is wanted."""
    from routing.store import RoutingStore

    store = await asyncio.to_thread(RecordStore.open, config.directory_url)
    reporting = Reporting(store, metrics)
    if config.reports.recorder:
        reporting.recorder = CallRecorder(client, store,
                                          administrations=DirectoryAdministrations(directory),
                                          on_fallback=metrics.fallbacks.inc)
        reporting.tasks.append(asyncio.create_task(reporting.recorder.run(),
                                                   name="call-recorder"))
        reporting.tasks.append(asyncio.create_task(_purge_daily(config, store, client),
                                                   name="gdpr-purge"))
    if config.reports.metrics_port:
        reporting.server = MetricsServer(metrics, _checks(client, store, ami_connected),
                                         config.reports.metrics_host,
                                         config.reports.metrics_port)
        await reporting.server.start()
        reporting.tasks.append(asyncio.create_task(
            metrics.poll(RoutingStore(client), sorted(config.queues)), name="metrics-poll"))
    return reporting


def _checks(client: Any, store: RecordStore, ami_connected: Callable[[], bool]
            ) -> dict[str, Check]:
    async def ami() -> None:
        if not ami_connected():
            raise ConnectionError("not logged in to the Asterisk manager")

    async def redis() -> None:
        await client.ping()

    async def database() -> None:
        await asyncio.to_thread(store.ping)

    return {"ami": ami, "redis": redis, "database": database}


async def _purge_daily(config: Config, store: RecordStore, client: Any) -> None:
    """The records' retention, then Redis's and the spool's (`reports.gdpr_redis`)."""
    from switchboard.message_store import message_spool

    r = config.reports
    spool = message_spool(config).folder
    while True:
        try:
            result = await asyncio.to_thread(
                purge, store, time.time(), pseudonymise_after_days=r.pseudonymise_after_days,
                delete_after_days=r.delete_after_days, key=r.hmac_key)
            log.info("gdpr.purged", pseudonymised=result.pseudonymised, deleted=result.deleted)
        except RecordsError as exc:
            log.warning("gdpr.purge_failed", error=str(exc))
        try:
            done = await purge_redis(client, time.time(),
                                     pseudonymise_after_days=r.pseudonymise_after_days,
                                     delete_after_days=r.delete_after_days, spool=spool)
            log.info("gdpr.redis_purged", messages=done.messages_deleted,
                     spooled=done.spooled_deleted, queued=done.queued_blanked,
                     outcomes=done.outcomes_deleted)
        except (RedisError, OSError) as exc:
            log.warning("gdpr.redis_purge_failed", error=str(exc))
        await asyncio.sleep(PURGE_EVERY_S)


async def run_recorder(config: Config, stop: asyncio.Event,
                       on_ready: Callable[[], None] | None = None) -> None:
    """`vaxel report record`: the call recorder and the daily purge in a process of their
    own, until ``stop`` is set. The controllers then run with ``[reports] recorder = false``
    and their event loops answer callers only (a recorder round in a controller, every
    second, was its longest pause under load). Any number may run: one records at a time
    (the lease). ``[reports] metrics_port`` serves its metrics (``vaxel_fallbacks_total``
    is counted by the recorder) and a ``/healthz`` of Redis and the database."""
    from directory.api import Directory
    from directory.read_cache import ReadCache
    from infra.redis_url import redis_client

    client = redis_client(config.redis.url)
    directory = ReadCache(await asyncio.to_thread(Directory.open, config.directory_url))
    store = await asyncio.to_thread(RecordStore.open, config.directory_url)
    metrics = ControllerMetrics()
    recorder = CallRecorder(client, store, administrations=DirectoryAdministrations(directory),
                            on_fallback=metrics.fallbacks.inc)
    tasks = [asyncio.create_task(recorder.run(), name="call-recorder"),
             asyncio.create_task(_purge_daily(config, store, client), name="gdpr-purge")]
    server = None
    if config.reports.metrics_port:
        checks = {k: v for k, v in _checks(client, store, lambda: True).items() if k != "ami"}
        server = MetricsServer(metrics, checks, config.reports.metrics_host,
                               config.reports.metrics_port)
        await server.start()
    log.info("records.recorder_started", owner=recorder.owner[:8],
             metrics_port=server.port if server else None)
    if on_ready is not None:
        on_ready()
    try:
        await stop.wait()
    finally:
        if server is not None:
            await server.close()
        await cancel_bounded(tasks, STOP_S)
        store.close()
        directory.close()
        await client.aclose()
        log.info("records.recorder_stopped", written=recorder.written)

"""What the reports run inside a controller: the call recorder and the daily GDPR purge.

`start_reporting` is the whole hook the controller service needs (one call after start,
`Reporting.close` on stop); both loops survive a failing round (logged, retried) and any
number of controllers may run them: the recorder records under a lease, the purge is
idempotent.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import structlog

from infra.config import Config
from infra.tasks import cancel_bounded
from reports.gdpr import purge
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
    recorder: CallRecorder
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def close(self) -> None:
        await cancel_bounded(list(self.tasks), STOP_S)
        self.store.close()


async def start_reporting(config: Config, client: Any, directory: Any) -> Reporting | None:
    """Start recording calls into the directory's database (None when switched off)."""
    if not config.reports.recorder:
        return None
    store = await asyncio.to_thread(RecordStore.open, config.directory_url)
    recorder = CallRecorder(client, store, administrations=DirectoryAdministrations(directory))
    reporting = Reporting(store, recorder)
    reporting.tasks.append(asyncio.create_task(recorder.run(), name="call-recorder"))
    reporting.tasks.append(asyncio.create_task(_purge_daily(config, store), name="gdpr-purge"))
    return reporting


async def _purge_daily(config: Config, store: RecordStore) -> None:
    r = config.reports
    while True:
        try:
            result = await asyncio.to_thread(
                purge, store, time.time(), pseudonymise_after_days=r.pseudonymise_after_days,
                delete_after_days=r.delete_after_days, key=r.hmac_key)
            log.info("gdpr.purged", pseudonymised=result.pseudonymised, deleted=result.deleted)
        except RecordsError as exc:
            log.warning("gdpr.purge_failed", error=str(exc))
        await asyncio.sleep(PURGE_EVERY_S)

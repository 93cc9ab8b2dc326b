"""`vaxel report record`: the call recorder in a process of its own records a call the IVR
saved, serves its health, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from ivr.callstore import RedisCallStore
from ivr.run import CallState
from reports.record_store import RecordStore, UnknownCall
from switchboard.context_store import CallContextStore
from vaxel.testing.services import RedisServer, free_port


def test_given_recorder_process_then_a_call_the_ivr_saved_is_recorded(tmp_path: Path) -> None:
    with RedisServer() as redis:
        db = f"sqlite:///{tmp_path / 'records.db'}"
        metrics_port = free_port()
        config = tmp_path / "recorder.toml"
        config.write_text(f'log_format = "json"\n[redis]\nurl = "{redis.url}"\n'
                          f'[directory]\nurl = "{db}"\n[reports]\nmetrics_port = {metrics_port}\n',
                          encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "vaxel", "report", "record", "--config",
                                 str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"

            async def feed() -> None:
                client = RedisCallStore.from_url(redis.url)
                now = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
                await CallContextStore(client.client).open_call("p-1", "0701234567", now)
                await client.save(CallState("p-1", "city-main", "v1", "ring_person",
                                            path=("welcome", "key:1", "dial:PJSIP/4711"),
                                            done=True))
                await client.close()

            asyncio.run(feed())
            store = RecordStore.open(db)
            deadline = time.monotonic() + 15
            record = None
            while record is None and time.monotonic() < deadline:
                try:
                    record = store.get("p-1")
                except UnknownCall:
                    time.sleep(0.2)
            assert record is not None, "the recorder process wrote no record"
            assert record.caller == "46701234567" and record.ivr_path[-1] == "dial:PJSIP/4711"
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/healthz",
                                        timeout=5) as reply:
                assert reply.status == 200
            store.close()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.stderr is not None
        log = proc.stderr.read().decode()
        assert '"records.recorder_started"' in log and '"records.recorder_stopped"' in log

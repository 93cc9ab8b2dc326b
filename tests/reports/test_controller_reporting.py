"""The controller runs the reports: with ``[reports] metrics_port`` set, a started controller
serves /metrics and /healthz on loopback; without AMI the health check names it (503) while
Redis and the database answer; the call recorder holds the recording lease."""

from __future__ import annotations

import asyncio
import json

from infra.config import parse_config
from infra.paths import repo_root
from tests.reports.test_metrics import get
from vaxel.service import start_controller
from vaxel.testing.services import free_port

GROUPS = {"operators": {"members": ["Local/1000@sim-phones"]},
          "contact_center": {"members": ["Local/2000@sim-phones"]}}


async def test_controller_serves_metrics_and_health_and_records(tmp_path, redis_url) -> None:
    port = free_port()
    config = parse_config({"fastagi": {"port": free_port()}, "redis": {"url": redis_url},
                           "directory": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
                           "dialplans": str(repo_root() / "dialplans"), "groups": GROUPS,
                           "ami": {"enabled": False},
                           "reports": {"metrics_port": port}}, "test", env={})
    controller = await start_controller(config)
    try:
        status, body = await get(port, "/healthz")
        assert status == 503
        assert json.loads(body)["checks"] == {
            "ami": "failed: ConnectionError: not logged in to the Asterisk manager",
            "redis": "ok", "database": "ok"}
        status, body = await get(port, "/metrics")
        assert status == 200 and b"vaxel_calls_in_ivr 0.0" in body
        assert controller.reporting is not None and controller.reporting.recorder is not None
        recorder = controller.reporting.recorder
        for _ in range(50):
            if await controller.store.client.get(recorder.lease_key) == recorder.owner:
                break
            await asyncio.sleep(0.1)
        assert await controller.store.client.get(recorder.lease_key) == recorder.owner
    finally:
        await controller.close()

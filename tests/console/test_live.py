"""The hub's link health: when the AMI link drops the feed says so at once, and when it
returns the hub rebuilds its channel map and says so again (real Redis; the AMI side is a
stand-in with the ``AmiClient`` surface the hub uses)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from console.live import Hub
from tests.console.support import make_deps


class StandInAmi:
    """``connected``, ``subscribe`` and ``core_show_channels`` as ``infra.ami.AmiClient``."""

    def __init__(self) -> None:
        self.connected = True
        self.rebuilds = 0

    def subscribe(self, predicate: Any) -> StandInAmi:
        return self

    async def get(self, timeout: float | None = None) -> Any:
        await asyncio.sleep(timeout or 0)
        raise TimeoutError

    def close(self) -> None:
        pass

    async def core_show_channels(self) -> list[dict[str, str]]:
        self.rebuilds += 1
        return [{"Uniqueid": "c1", "Channel": "PJSIP/4711-00000001"}]


async def health_with(feed: Any, ami: bool, timeout: float = 5) -> dict[str, Any]:
    """The first ``health`` message that says the AMI link is ``ami``."""
    async with asyncio.timeout(timeout):
        while True:
            for text in await feed.take():
                msg = json.loads(text)
                if msg["type"] == "health" and msg["ami"] is ami:
                    return msg


async def test_given_the_ami_link_drops_and_returns_then_health_follows_and_state_rebuilds(
        redis_server):  # type: ignore[no-untyped-def]
    ami = StandInAmi()
    deps = make_deps(redis_server.url, ami=ami)
    hub = Hub(deps)
    feed = hub.add_client()
    await hub.start()
    try:
        if not hub.health["ami"]:
            await health_with(feed, True)
        assert hub.devices.busy("PJSIP/4711") and ami.rebuilds == 1
        feed.pending.clear()
        ami.connected = False
        await health_with(feed, False, timeout=2)
        ami.connected = True
        await health_with(feed, True, timeout=3)
        assert ami.rebuilds == 2
    finally:
        await hub.stop()
        await deps.redis.aclose()

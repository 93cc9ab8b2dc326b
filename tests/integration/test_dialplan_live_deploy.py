"""A deploy on a running switchboard: the call in progress finishes on its version, new calls
get the new one (real Asterisk 22, controller, Redis)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from ivr.deploy import deploy, watch_deployments
from ivr.flow import read_folder
from tests.integration.controller import OPEN_HOURS

# The city-number calls' fixture (controller on real Asterisk, Redis, SQLite directory).
from tests.integration.test_ivr_calls import controller, to_main_menu  # noqa: F401

pytestmark = pytest.mark.integration
CITY = "4000"


async def test_call_started_on_version_1_finishes_on_it_while_new_call_gets_version_2(
        controller, harness, redis_server, tmp_path):  # noqa: F811
    registry = controller.controller.deps.flows
    v1 = registry.for_entry(CITY).version
    files = read_folder(tmp_path / "dialplans")
    # Version 2: key 2 rings the operators instead of the contact center.
    files["city-main.yaml"] = files["city-main.yaml"].replace(
        "group: contact_center\n    prompt: to_contact_center",
        "group: operators\n    prompt: to_contact_center")
    assert files["city-main.yaml"] != read_folder(tmp_path / "dialplans")["city-main.yaml"]
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    watcher = asyncio.create_task(watch_deployments(registry, client, poll_s=0.1))
    try:
        first = await to_main_menu(harness)           # waiting in v1's main menu
        await deploy(client, files, "dialplans", "test", OPEN_HOURS)
        for _ in range(50):
            if registry.for_entry(CITY).version != v1:
                break
            await asyncio.sleep(0.1)
        v2 = registry.for_entry(CITY).version
        assert v2 != v1

        second = await to_main_menu(harness)          # a new call: v2
        await second.send_digits("2")
        await harness.wait_answered("1000")
        await first.send_digits("2")                  # the old call: still v1
        await harness.wait_answered("2000")

        first_state = await controller.saved_call(f"{first.id}-2")
        second_state = await controller.saved_call(f"{second.id}-2")
        assert first_state.version == v1 and first_state.path[-1] == "group:contact_center"
        assert second_state.version == v2 and second_state.path[-1] == "group:operators"
    finally:
        watcher.cancel()
        await client.aclose()

"""Deploy, rollback and live reload of dialplans against a real redis-server."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis

from infra.paths import repo_root
from ivr.deploy import (
    ACTIVE,
    DeployError,
    DeployRejected,
    activate_current,
    deploy,
    rollback,
    status,
    watch_deployments,
)
from ivr.flow import read_folder
from ivr.registry import FlowRegistry
from vaxel.cli import main

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
V1 = read_folder(repo_root() / "dialplans")
V2 = {**V1, "city-main.yaml": V1["city-main.yaml"].replace(
    "Välkommen till Stockholms stad.", "Hej och välkommen till Stockholms stad.")}
BROKEN = {**V1, "city-main.yaml": V1["city-main.yaml"].replace("next: language", "next: langauge")}


@pytest.fixture
async def client(redis_server):
    c = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    yield c
    await c.aclose()


async def test_deploy_then_second_deploy_then_rollback_switch_active_and_previous(client):
    v1, _ = await deploy(client, V1, "dialplans", "alice", NOW)
    v2, _ = await deploy(client, V2, "dialplans", "bob", NOW)
    state = await status(client)
    assert (state["active"].id, state["active"].by) == (v2.id, "bob")
    assert state["previous"].id == v1.id
    back = await rollback(client, "carol", NOW)
    assert back.id == v1.id
    state = await status(client)
    assert (state["active"].id, state["previous"].id) == (v1.id, v2.id)
    assert [(e["action"], e["by"]) for e in state["log"]] == [
        ("rollback", "carol"), ("deploy", "bob"), ("deploy", "alice")]


async def test_given_broken_file_then_deploy_refused_and_working_version_stays(client):
    v1, _ = await deploy(client, V1, "dialplans", "alice", NOW)
    with pytest.raises(DeployRejected) as info:
        await deploy(client, BROKEN, "dialplans", "bob", NOW)
    assert any("city-main.yaml:" in str(f) and "langauge" in str(f) for f in info.value.findings)
    assert await client.get(ACTIVE) == v1.id
    assert len(await client.keys("vaxel:dialplan:version:*")) == 1


async def test_given_same_files_again_then_refused_as_already_active(client):
    await deploy(client, V1, "dialplans", "alice", NOW)
    with pytest.raises(DeployError, match="already active"):
        await deploy(client, V1, "dialplans", "alice", NOW)


async def test_given_nothing_deployed_before_then_rollback_is_refused(client):
    with pytest.raises(DeployError, match="no previous version"):
        await rollback(client, "alice", NOW)


async def test_watcher_activates_new_version_and_keeps_old_one_for_calls_in_progress(client):
    registry = FlowRegistry.from_folder(repo_root() / "dialplans")
    old = registry.for_entry("4000")
    await deploy(client, V2, "dialplans", "bob", NOW)
    task = asyncio.create_task(watch_deployments(registry, client, poll_s=0.05))
    try:
        for _ in range(100):
            if registry.deployed is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
    new = registry.for_entry("4000")
    assert new.version != old.version
    assert new.prompts["welcome"]["sv"].startswith("Hej och välkommen")
    assert registry.by_version(old.version) is old


async def test_given_version_in_redis_that_no_longer_loads_then_registry_keeps_running_set(client):
    registry = FlowRegistry.from_folder(repo_root() / "dialplans")
    before = registry.for_entry("4000")
    await client.hset("vaxel:dialplan:version:bad", mapping={
        "id": "bad", "by": "mallory", "at": "now", "files": '{"x.yaml": "flow: ["}'})
    await client.set(ACTIVE, "bad")
    assert await activate_current(registry, client) is None
    assert registry.for_entry("4000") is before


def test_cli_deploy_status_rollback(redis_server, tmp_path, capsys):
    folder = tmp_path / "dialplans"
    shutil.copytree(repo_root() / "dialplans", folder)
    url = redis_server.url
    assert main(["dialplan", "deploy", str(folder), "--redis", url, "--by", "alice"]) == 0
    (folder / "city-main.yaml").write_text(BROKEN["city-main.yaml"], encoding="utf-8")
    assert main(["dialplan", "deploy", str(folder), "--redis", url, "--by", "bob"]) == 1
    assert "langauge" in capsys.readouterr().out
    (folder / "city-main.yaml").write_text(V2["city-main.yaml"], encoding="utf-8")
    assert main(["dialplan", "deploy", str(folder), "--redis", url, "--by", "bob"]) == 0
    assert main(["dialplan", "rollback", "--redis", url, "--by", "carol"]) == 0
    capsys.readouterr()
    assert main(["dialplan", "status", "--redis", url]) == 0
    out = capsys.readouterr().out
    assert "by alice" in out.splitlines()[0] and "rollback" in out

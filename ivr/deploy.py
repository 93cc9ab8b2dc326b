"""Deploying dialplans through Redis: checked versions, an atomic switch, rollback, live reload.

Keys (all under ``vaxel:dialplan:``):

- ``version:<id>``: a hash with ``files`` (JSON name -> text of the whole folder),
  ``by``, ``at`` (ISO time) and ``id``; ``id`` is a content hash, so deploying the
  same files twice is one version;
- ``active`` and ``previous``: version ids, switched together in one MULTI/EXEC
  under WATCH (a concurrent deploy makes one of the two retry or fail cleanly);
- ``log``: a list of JSON entries ``{action, id, by, at}``, newest first.

``deploy`` runs the same checks as ``vaxel dialplan check`` first and refuses a
set with errors, so a broken file never replaces a working version.
``watch_deployments`` runs in each controller: when ``active`` changes it
loads that version, checks it again and activates it in the ``FlowRegistry``;
calls in progress keep the flow object (and version) they started on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from redis.exceptions import RedisError, WatchError

from ivr.errors import FlowFileError, IvrError
from ivr.flowset import FlowSet, parse_set
from ivr.lint import Finding, check_files, has_errors
from ivr.registry import FlowRegistry

log = structlog.get_logger("vaxel.dialplan")
PREFIX = "vaxel:dialplan:"
ACTIVE, PREVIOUS, LOG = PREFIX + "active", PREFIX + "previous", PREFIX + "log"
#: Entries kept in the deploy log.
LOG_LENGTH = 200
#: Attempts at the active/previous switch when another deploy races this one.
SWITCH_ATTEMPTS = 5


class DeployError(IvrError):
    """A deploy or rollback was refused; nothing changed in Redis."""


class DeployRejected(DeployError):
    """The files have errors; ``findings`` lists them (with file and line)."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        super().__init__(f"{len(errors)} error(s); nothing deployed\n"
                         + "\n".join(f"  {f}" for f in errors))


@dataclass(frozen=True)
class VersionInfo:
    """A stored version: its id, who deployed it and when, and its files."""

    id: str
    by: str
    at: str
    files: Mapping[str, str]

    def __str__(self) -> str:
        flows = sorted(n for n in self.files if n.endswith(".yaml"))
        return f"{self.id} by {self.by} at {self.at} ({', '.join(flows)})"


def _key(version: str) -> str:
    return f"{PREFIX}version:{version}"


async def load_version(client: Any, version: str) -> VersionInfo | None:
    raw = await client.hgetall(_key(version))
    if not raw:
        return None
    d = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
         for k, v in raw.items()}
    return VersionInfo(d["id"], d.get("by", "?"), d.get("at", "?"), json.loads(d["files"]))


async def _get(client: Any, key: str) -> str | None:
    value = await client.get(key)
    return value.decode() if isinstance(value, bytes) else value


async def _switch(client: Any, new_active: str | None, expect_active: str | None,
                  action: str, by: str, at: datetime) -> None:
    """Set active=new, previous=old in one transaction, if active is still ``expect_active``."""
    entry = json.dumps({"action": action, "id": new_active, "by": by, "at": at.isoformat()})
    async with client.pipeline(transaction=True) as pipe:
        await pipe.watch(ACTIVE)
        current = await pipe.get(ACTIVE)
        current = current.decode() if isinstance(current, bytes) else current
        if current != expect_active:
            raise WatchError("active changed")
        pipe.multi()
        if current is not None:
            pipe.set(PREVIOUS, current)
        pipe.set(ACTIVE, new_active)
        pipe.lpush(LOG, entry)
        pipe.ltrim(LOG, 0, LOG_LENGTH - 1)
        await pipe.execute()


async def deploy(client: Any, files: Mapping[str, str], where: str, by: str,
                 now: datetime) -> tuple[VersionInfo, list[Finding]]:
    """Check ``files``; store them as a version and make it active. Returns the version and the
    warnings. Raises ``DeployRejected`` (errors in the files) or ``DeployError``."""
    findings = check_files(files, where, now.date())
    if has_errors(findings):
        raise DeployRejected(findings)
    flow_set = parse_set(files, where)
    version = flow_set.digest[:16]
    info = VersionInfo(version, by, now.isoformat(timespec="seconds"), dict(files))
    try:
        if not await client.exists(_key(version)):
            await client.hset(_key(version), mapping={
                "id": version, "by": by, "at": info.at,
                "files": json.dumps(dict(files), ensure_ascii=False)})
        for _ in range(SWITCH_ATTEMPTS):
            current = await _get(client, ACTIVE)
            if current == version:
                raise DeployError(f"version {version} is already active")
            try:
                await _switch(client, version, current, "deploy", by, now)
                return info, findings
            except WatchError:
                continue
    except RedisError as exc:
        raise DeployError(f"Redis: {exc}") from exc
    raise DeployError("another deploy kept changing the active version; try again")


async def rollback(client: Any, by: str, now: datetime) -> VersionInfo:
    """Make the previous version active again (and the current one previous)."""
    try:
        current, previous = await _get(client, ACTIVE), await _get(client, PREVIOUS)
        if previous is None:
            raise DeployError("no previous version to roll back to")
        info = await load_version(client, previous)
        if info is None:
            raise DeployError(f"previous version {previous} is not stored any more")
        try:
            await _switch(client, previous, current, "rollback", by, now)
        except WatchError as exc:
            raise DeployError("a deploy happened meanwhile; check the status and retry") from exc
        return info
    except RedisError as exc:
        raise DeployError(f"Redis: {exc}") from exc


async def status(client: Any) -> dict[str, Any]:
    """The active and previous versions and the latest log entries."""
    try:
        active, previous = await _get(client, ACTIVE), await _get(client, PREVIOUS)
        entries = [json.loads(e) for e in await client.lrange(LOG, 0, 9)]
        return {"active": await load_version(client, active) if active else None,
                "previous": await load_version(client, previous) if previous else None,
                "log": entries}
    except RedisError as exc:
        raise DeployError(f"Redis: {exc}") from exc


async def activate_current(registry: FlowRegistry, client: Any) -> str | None:
    """Activate the deployed version in ``registry`` if it is not active there yet.
    Returns the id activated (None: nothing to do). A version that fails its checks here is
    logged and skipped, the registry keeps what it runs."""
    version = await _get(client, ACTIVE)
    if version is None or version == registry.deployed:
        return None
    info = await load_version(client, version)
    if info is None:
        log.error("dialplan.version_missing", version=version)
        return None
    try:
        flow_set: FlowSet = parse_set(info.files, f"deployed:{version}")
    except FlowFileError as exc:
        log.error("dialplan.version_rejected", version=version, problems=len(exc.problems))
        registry.deployed = version  # do not retry the same broken version every poll
        return None
    registry.activate_set(flow_set, deployed=version)
    log.info("dialplan.activated", version=version, by=info.by, flows=sorted(flow_set.flows))
    return version


async def watch_deployments(registry: FlowRegistry, redis_client: Any,
                            poll_s: float = 1.0) -> None:
    """Run until cancelled: activate each newly deployed version without a restart."""
    while True:
        try:
            await activate_current(registry, redis_client)
        except RedisError as exc:
            log.warning("dialplan.watch_failed", error=str(exc))
        await asyncio.sleep(poll_s)

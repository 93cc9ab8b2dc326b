"""Fixtures that start real services on free loopback ports and stop them after.

- ``asterisk_root`` (session): the provisioned Asterisk (built once, then cached).
- ``redis_server``: a private redis-server.
- ``fastagi_port``: where the test Asterisk sends inbound calls. By default a
  free port nobody listens on (calls then take the fallback); a controller
  fixture overrides it with the port it has already bound.
- ``asterisk_overrides``: extra InstanceParams fields; override it in a module.
- ``asterisk``: an Asterisk instance in test mode (unique name, own ports).
- ``harness``: an AMI harness logged in as the instance's harness user.
- ``agi_stub``: a scripted FastAGI peer; a module overrides ``fastagi_port`` to
  return ``agi_stub.port`` to play the controller's part.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from infra.asterisk.provision import AsteriskRuntime, provision
from tests.integration.agi_stub import AgiStub
from vaxel.testing.calls import Harness
from vaxel.testing.services import (
    TEST_FALLBACK,
    AsteriskServer,
    RedisServer,
    free_port,
    remove_stale_test_instances,
)


@pytest.fixture(scope="session")
def asterisk_root() -> AsteriskRuntime:
    runtime = provision()
    remove_stale_test_instances(runtime)
    return runtime


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def fastagi_port() -> int:
    return free_port()


@pytest.fixture
def asterisk_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def asterisk(
    asterisk_root: AsteriskRuntime, fastagi_port: int, asterisk_overrides: dict[str, Any]
) -> Iterator[AsteriskServer]:
    with AsteriskServer(asterisk_root, fastagi_port,
                        **{**TEST_FALLBACK, **asterisk_overrides}) as server:
        yield server


@pytest.fixture
async def harness(asterisk: AsteriskServer) -> AsyncIterator[Harness]:
    params = asterisk.params
    async with Harness(params.ami_port, params.harness_user, params.harness_secret) as h:
        yield h


@pytest.fixture
async def agi_stub() -> AsyncIterator[AgiStub]:
    stub = AgiStub({})
    await stub.start()
    yield stub
    await stub.stop()

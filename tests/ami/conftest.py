"""Fixtures of the AMI client tests: a fake AMI server, and a client logged in to it.

`fake` is a `tests.ami.fake.FakeAmi` on a free loopback port, stopped after the test;
`client` is an `infra.ami.AmiClient` logged in to it with a fast watchdog (pings every
0.1 s, 0.2 s to answer, 50 ms between reconnect attempts), closed after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from infra.ami import AmiClient
from tests.ami.fake import FakeAmi


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeAmi) -> AsyncIterator[AmiClient]:
    ami = AmiClient(
        "127.0.0.1",
        fake.port,
        "vaxel",
        "s3cret",
        ping_interval=0.1,
        ping_timeout=0.2,
        reconnect_delays=(0.05,),
    )
    await ami.connect()
    yield ami
    await ami.close()

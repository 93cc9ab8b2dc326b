"""A controller under load, through the real Asterisk 22, Redis and the city flow.

An overloaded controller (here: a limit of one IVR call at a time) says so and sends new
calls to the dialplan's fallback at once, so every caller still reaches a human; and the
controller's AMI user receives only the events the controller consumes (manager.conf
eventfilter), not every dialplan step of every call.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from structlog.testing import capture_logs

from tests.integration.controller import ControllerUnderTest, seed_directory

pytestmark = pytest.mark.integration
CITY = "4000"
#: The events the controller's AMI user is configured to receive (manager.conf.in).
#: What the controller consumes: call ends (idle times, contexts), its own UserEvents, originate
#: results, parked calls, boot, and DialEnd (the ring time of direct calls, reports/).
CONTROLLER_EVENTS = {"Hangup", "UserEvent", "OriginateResponse", "ParkedCall", "FullyBooted",
                     "DialEnd"}


@pytest.fixture
async def controller(tmp_path, fastagi_port, redis_server, asterisk, request):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed_directory(url)
    c = ControllerUnderTest.on(tmp_path, fastagi_port, redis_server, asterisk, url)
    fastagi = dataclasses.replace(c.config.fastagi, max_calls=getattr(request, "param", 0))
    c.config = dataclasses.replace(c.config, fastagi=fastagi)
    await c.start()
    yield c
    await c.stop()


async def reach_4711(call, steps=("#", "1", "4711#")) -> None:
    for keys in steps:
        await call.wait_listening()
        await call.send_digits(keys)


@pytest.mark.parametrize("controller", [1], indirect=True)
async def test_given_a_controller_at_its_limit_then_a_new_call_reaches_the_operators_at_once(
        controller, harness):
    loop = asyncio.get_running_loop()
    with capture_logs() as logs:
        first = await harness.call(CITY)
        await first.wait_listening()                      # in the IVR: the controller is full
        await first.send_digits("#")
        started = loop.time()
        second = await harness.call(CITY)
        await second.wait_event("VaxelFallback", timeout=5)
        to_fallback = loop.time() - started
        # A human answers the refused call (the fallback rings operators 1000 and 1001).
        await second.wait_for(lambda e: e.get("UserEvent") == "SimPhoneAnswered"
                              and e.get("Phone") in ("1000", "1001"), 10, "an operator")
        assert controller.controller.load.metrics()["overloaded"]
        # The call in the IVR goes on: at the main menu (its language menu may have timed
        # out meanwhile, and the menu may have been played again), the next time it listens.
        first.listen_at_latest()
        await reach_4711(first, ("1", "4711#"))
        await harness.wait_answered("4711")
        await first.hangup()                              # its IVR session ended at the dial
        third = await harness.call(CITY)                  # a free controller takes calls again
        await third.wait_listening()
    # At once: no prompt, no AGI command, no timeout (a busy test machine may take seconds).
    assert to_fallback < 5, f"the refused call waited {to_fallback:.1f} s for the fallback"
    assert not [e for e in second.events if e.get("Event") == "AGIExecStart"]
    overloaded = [e for e in logs if e["event"] == "controller.overloaded"]
    assert [e["reason"] for e in overloaded] == ["calls", "calls"]   # full again with the third
    assert [e["refused"] for e in logs if e["event"] == "controller.recovered"] == [1]
    metrics = controller.controller.load.metrics()
    assert (metrics["calls_admitted_total"], metrics["calls_refused_overload_total"]) == (2, 1)


async def test_given_a_call_then_the_controllers_ami_user_gets_only_the_events_it_consumes(
        controller, harness):
    ami = controller.controller.ami
    for _ in range(50):
        if ami is not None and ami.connected:
            break
        await asyncio.sleep(0.1)
    assert ami is not None and ami.connected
    with ami.subscribe() as events:
        call = await harness.call(CITY)
        await reach_4711(call)
        await harness.wait_answered("4711")
        await call.hangup()
        await call.wait_hangup()
        await asyncio.sleep(0.5)
        names = set()
        while not events.queue.empty():
            names.add(events.queue.get_nowait().get("Event"))
    assert "Hangup" in names
    assert names <= CONTROLLER_EVENTS, f"unfiltered events: {names - CONTROLLER_EVENTS}"
    assert len([e for e in call.events if e.get("Event") == "AGIExecStart"]) > 3  # harness: all

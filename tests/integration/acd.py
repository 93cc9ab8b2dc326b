"""Support for the ACD integration tests: controllers with ACD queues, agents, queued calls.

The city flow's "contact center" choice (2) dials the ring group ``contact_center``;
here that group is configured as an ACD queue, so the caller is handed over, waits in
``vaxel-hold`` and is bridged with an agent's simulated phone (``Local/<ext>@sim-phones``).
"""

from __future__ import annotations

import asyncio
import collections
import time
from pathlib import Path
from typing import Any

from routing.control import parse_config
from routing.model import Agent
from routing.store import RoutingStore
from tests.integration.controller import GROUP_RING_S, OPEN_HOURS
from vaxel.service import Controller, start_controller
from vaxel.testing.calls import Call, Harness

CITY = "4000"


def acd_config(*, fastagi_port: int, redis_url: str, directory_url: str, dialplans: Path,
               sounds_path: str, ami_port: int, ami_secret: str,
               queue: dict[str, Any], more_queues: dict[str, Any] | None = None) -> Any:
    return parse_config({
        "fastagi": {"port": fastagi_port},
        "ami": {"port": ami_port, "secret": ami_secret},
        "redis": {"url": redis_url},
        "directory": {"url": directory_url},
        "prompts": {"asterisk_dir": sounds_path},
        "dialplans": str(dialplans),
        "groups": {
            "operators": {"members": ["Local/1000@sim-phones"], "timeout": GROUP_RING_S},
            "contact_center": {"members": ["Local/2000@sim-phones"], "timeout": GROUP_RING_S},
        },
        "queues": {"kontaktcenter": {"group": "contact_center", **queue}, **(more_queues or {})},
    }, "test", env={})


def acd_config_for(tmp_path: Path, fastagi_port: int, redis_server: Any, asterisk: Any,
                   directory_url: str, queue: dict[str, Any],
                   more_queues: dict[str, Any] | None = None) -> Any:
    """``acd_config`` for the test's Asterisk and Redis, with the shipped flows' test copies."""
    from tests.integration.controller import make_test_dialplans

    return acd_config(fastagi_port=fastagi_port, redis_url=redis_server.url,
                      directory_url=directory_url,
                      dialplans=make_test_dialplans(tmp_path / "dialplans"),
                      sounds_path=asterisk.instance.sounds_path,
                      ami_port=asterisk.params.ami_port, ami_secret=asterisk.params.ami_secret,
                      queue=queue, more_queues=more_queues)


class AcdController:
    """A controller (FastAGI + AMI + ACD) in the test's event loop; stop and start again."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.controller: Controller | None = None

    async def start(self) -> AcdController:
        self.controller = await start_controller(self.config, clock=lambda: OPEN_HOURS)
        return self

    async def stop(self) -> None:
        if self.controller is not None:
            await self.controller.close()
            self.controller = None

    @property
    def routing(self) -> Any:
        assert self.controller is not None and self.controller.routing is not None
        return self.controller.routing

    async def wait_router(self, timeout: float = 15) -> None:
        for _ in range(int(timeout * 10)):
            if self.routing.is_router and self.routing.engine is not None:
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the controller did not become the router")


async def login(store: RoutingStore, agent_id: str, ext: str, skills: dict[str, int],
                queue: str = "kontaktcenter") -> None:
    await store.login(Agent(agent_id, f"e-{agent_id}", f"Local/{ext}@sim-phones", skills,
                            frozenset({queue})), now=0.0)


async def queued_call(harness: Harness, caller_id: str = "0701234567") -> Call:
    """A citizen choosing the contact center (2) from the main menu; returns when queued."""
    call = await harness.call(CITY, caller_id=caller_id, timeout=120)
    await call.wait_listening()
    await call.send_digits("#")
    await call.wait_listening()
    await call.send_digits("2")
    # The hand-over enqueues before the AGI ends: a free agent may answer and bridge the
    # caller before it reaches the holding context, which is as good as arriving there.
    await call.wait_for(lambda e: (e.get("Event") == "Newexten"
                                   and e.get("Context") == "vaxel-hold")
                        or e.get("Event") == "BridgeEnter", 15, "the caller to reach the queue")
    return call


def ivr_call_id(call: Call) -> str:
    """The routing call id: the Uniqueid of the channel that ran the IVR (the ;2 half)."""
    return f"{call.id}-2"


async def direct_call(harness: Harness, *, priority: int = 0, requirements: str = "",
                      caller_id: str = "0709876543", queue: str = "kontaktcenter") -> Call:
    """A caller put straight into ``vaxel-route,queue`` with channel variables only (as a
    transfer would, or a call Redis lost): the hold AGI adopts it into the queue."""
    from vaxel.testing.calls import _call_ids

    call_id = f"{harness._prefix}-q{next(_call_ids)}"
    call = Call(harness, "queue", call_id)
    harness._calls.append(call)
    reply = await harness.action({
        "Action": "Originate", "ActionID": f"{call_id}-originate",
        "Channel": "Local/queue@vaxel-route/n", "Context": "sim-caller", "Exten": "s",
        "Priority": "1", "CallerID": f'"Test {caller_id}" <{caller_id}>',
        "ChannelId": call_id, "OtherChannelId": f"{call_id}-2", "Timeout": "120000",
        "Async": "true",
        "Variable": [f"__VAXEL_QUEUE={queue}", f"__VAXEL_PRIORITY={priority}",
                     f"__VAXEL_REQUIREMENTS={requirements}"],
    })
    assert reply.get("Response") == "Success", dict(reply)
    return call


async def set_talk(harness: Harness, ext: str, seconds: int) -> None:
    """The simulated phone hangs up `seconds` after answering (instead of echoing)."""
    reply = await harness.action({"Action": "DBPut", "Family": "simphone-talk", "Key": ext,
                                  "Val": str(seconds)})
    assert reply.get("Response") == "Success", dict(reply)


async def until(read: Any, expected: Any, what: str, timeout: float = 15) -> None:
    """Poll ``await read()`` every 0.1 s until it is `expected`; fail naming `what`."""
    seen = None
    for _ in range(int(timeout * 10)):
        seen = await read()
        if seen is expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} is {seen}, expected {expected}")


async def wait_for(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def check_no_double_assignment(
        entries: list[tuple[str, dict[str, str]]]) -> collections.Counter[str]:
    """Replay the event stream: an agent is offered a call only while holding none, and
    return how often each call was answered."""
    holding: dict[str, str] = {}
    answered: collections.Counter[str] = collections.Counter()
    for _id, e in entries:
        kind, agent = e.get("kind"), e.get("agent_id", "")
        if kind == "call_offered":
            assert agent not in holding, f"{agent} offered {e['call_id']} holding {holding[agent]}"
            holding[agent] = e["call_id"]
        elif kind == "agent_state" and e.get("state") != "on_call" and agent:
            holding.pop(agent, None)
        elif kind == "call_answered":
            answered[e["call_id"]] += 1
    return answered


async def all_events(store: RoutingStore) -> list[tuple[str, dict[str, str]]]:
    out: list[tuple[str, dict[str, str]]] = []
    after = "0-0"
    while batch := await store.events(after, count=10_000):
        out += batch
        after = batch[-1][0]
    return out

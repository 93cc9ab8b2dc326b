"""Several Asterisk instances: the router offers, moves and hangs up each queued call on
the instance the call is on (its holding record's ``node``), and settles a take-over
against every instance. Real Redis, fake AMI connections that record what was asked."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from infra.config import QueueSettings
from routing.model import Agent
from routing.reception import queue_setups
from routing.service import RoutingService
from routing.store import RoutingStore


class _Events:
    """A subscription: an async iterator of events, closed by the router on demotion."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Mapping[str, Any]] = asyncio.Queue()

    def __aiter__(self) -> _Events:
        return self

    async def __anext__(self) -> Mapping[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        pass


class FakeAmi:
    """One Asterisk's AMI: originates are answered at once; everything is recorded."""

    def __init__(self, channels: list[dict[str, Any]] | None = None) -> None:
        self.originated: list[str] = []
        self.actions: list[dict[str, Any]] = []
        self.channels = channels or []
        self.shown = 0
        self.subscriptions: list[_Events] = []

    async def originate(self, channel: str, **options: Any) -> Mapping[str, Any]:
        self.originated.append(str(options["variables"]["VAXEL_CALL"]))
        return {"Response": "Success"}

    async def action(self, fields: Mapping[str, Any], timeout: float = 5.0,
                     as_list: bool | None = False) -> Any:
        self.actions.append(dict(fields))
        return {"Response": "Success", "Value": ""}

    async def core_show_channels(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        self.shown += 1
        return self.channels

    def subscribe(self, predicate: Any) -> _Events:
        events = _Events()
        self.subscriptions.append(events)
        return events


async def _until(check: Any, what: str, timeout: float = 10) -> None:
    for _ in range(int(timeout * 20)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _service(redis_url: str, prefix: str, own: FakeAmi,
                   peer: FakeAmi) -> RoutingService:
    queues = queue_setups({"kc": QueueSettings(wrap_up_s=0, announce_every_s=600)})
    service = RoutingService(redis_url, queues, own, prefix=prefix,  # type: ignore[arg-type]
                             nodes={"asterisk-2": peer})  # type: ignore[dict-item]
    await service.start()
    await _until(lambda: service.engine is not None, "the router lease")
    return service


async def _login(store: RoutingStore, agent_id: str) -> None:
    await store.login(Agent(agent_id, f"e-{agent_id}", f"Local/{agent_id}@sim-phones", {},
                            frozenset({"kc"})), now=0.0)


async def test_given_calls_on_two_instances_then_each_is_offered_on_its_own(
        redis_url: str, prefix: str, store: RoutingStore) -> None:
    own, peer = FakeAmi(), FakeAmi()
    service = await _service(redis_url, prefix, own, peer)
    try:
        await _login(store, "anna")
        await _login(store, "bo")
        await service.enqueue("b-1", "PJSIP/trunk-1", "kc", "", 0, "0701", node="asterisk-2")
        await service.enqueue("a-1", "PJSIP/trunk-1", "kc", "", 0, "0702", node="asterisk-1")
        await service.enqueue("x-1", "Local/q@vaxel-route-1;2", "kc", "", 0, "0703")
        await _until(lambda: len(own.originated) + len(peer.originated) >= 2, "two offers")
        # b-1 is on the peer; a-1 names this controller's own Asterisk (no connection of
        # its own: the default); x-1 (one Asterisk, no node) waits for a free agent.
        assert peer.originated == ["b-1"]
        assert own.originated == ["a-1"]
        # Hang-ups are followed on both instances.
        assert len(own.subscriptions) == 1 and len(peer.subscriptions) == 1
        await peer.subscriptions[0].queue.put({"Event": "Hangup", "Uniqueid": "b-1"})
        await _until(lambda: own.originated == ["a-1", "x-1"], "x-1 offered to the freed agent")
        assert peer.originated == ["b-1"]
    finally:
        await service.close()


async def test_given_a_take_over_then_every_instance_is_settled_and_an_unreachable_one_left_alone(
        redis_url: str, prefix: str, store: RoutingStore) -> None:
    class Unreachable(FakeAmi):
        async def core_show_channels(self, timeout: float = 10.0) -> list[dict[str, Any]]:
            from infra.ami import AmiUnavailable

            raise AmiUnavailable("AMI down")

    setup = RoutingService(redis_url, queue_setups({"kc": QueueSettings()}), FakeAmi(),
                           prefix=prefix)  # type: ignore[arg-type]
    # Two calls waiting from before the take-over: one on each instance; neither
    # instance's channel list has them (the peer's cannot be read at all).
    await setup.enqueue("b-1", "PJSIP/trunk-1", "kc", "", 0, "0701", node="asterisk-2")
    await setup.enqueue("a-1", "PJSIP/trunk-2", "kc", "", 0, "0702", node="asterisk-1")
    await setup.close()
    own, peer = FakeAmi(), Unreachable()
    service = await _service(redis_url, prefix, own, peer)
    try:
        assert own.shown == 1
        # a-1's caller is gone from its (readable) instance: finished. b-1 is on the
        # instance that did not answer: kept waiting in its place.
        finished = [e["call_id"] for _i, e in await store.events()
                    if e.get("kind") == "call_abandoned"]
        assert finished == ["a-1"]
        assert await store.waiting("kc") == ["b-1"]
    finally:
        await service.close()


class Flaky(FakeAmi):
    """An instance whose AMI connection is gone until `down` is cleared."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def originate(self, channel: str, **options: Any) -> Mapping[str, Any]:
        from infra.ami import AmiUnavailable

        if self.down:
            raise AmiUnavailable("not connected")
        return await super().originate(channel, **options)


class HoldChannel:
    """The holding context's AGI channel: every command succeeds with empty data."""

    async def command(self, name: str, *args: str, sensitive: bool = False) -> Any:
        from types import SimpleNamespace

        return SimpleNamespace(data="", digits="")


async def _parked(store: RoutingStore, call_id: str) -> bool:
    return await store._r.hget(f"{store._p}:acd:hold:{call_id}", "parked") == "1"


async def _until_parked(store: RoutingStore, *call_ids: str) -> None:
    for _ in range(200):
        if all([await _parked(store, c) for c in call_ids]):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{call_ids} not parked")


async def _parked_calls(redis_url: str, prefix: str, store: RoutingStore,
                        *call_ids: str) -> tuple[RoutingService, FakeAmi, Flaky]:
    """A router whose peer instance is unreachable, Anna logged in, and ``call_ids``
    queued on the peer: each offered to Anna in turn and parked."""
    own, peer = FakeAmi(), Flaky()
    service = await _service(redis_url, prefix, own, peer)
    await _login(store, "anna")
    for n, call_id in enumerate(call_ids):
        await service.enqueue(call_id, f"PJSIP/trunk-{n}", "kc", "", 0, f"070{n}",
                              node="asterisk-2")
    await _until_parked(store, *call_ids)
    return service, own, peer


async def test_given_a_call_on_an_unreachable_instance_then_it_is_parked_without_a_miss_and_resumed(
        redis_url: str, prefix: str, store: RoutingStore) -> None:
    service, own, peer = await _parked_calls(redis_url, prefix, store, "b-1")
    try:
        anna = await store.agent("anna")
        assert anna.missed == 0 and anna.state.value == "available"
        assert await store.waiting("kc") == ["b-1"]
        assert service.engine is not None and not list(service.engine.calls())
        # The router goes on: a call on its own instance is offered to Anna at once.
        await service.enqueue("a-1", "PJSIP/trunk-2", "kc", "", 0, "0702", node="asterisk-1")
        await _until(lambda: own.originated == ["a-1"], "a-1 offered")
        await own.subscriptions[0].queue.put({"Event": "Hangup", "Uniqueid": "a-1"})
        # b-1's caller is alive (its hold AGI runs): it comes back and is offered there.
        peer.down = False
        await service.hold(HoldChannel(), "b-1", "kc")
        await _until(lambda: peer.originated == ["b-1"], "b-1 offered on its instance")
        assert not await _parked(store, "b-1")
    finally:
        await service.close()


async def test_given_an_instance_back_then_its_parked_calls_are_settled_by_their_channels(
        redis_url: str, prefix: str, store: RoutingStore) -> None:
    service, own, peer = await _parked_calls(redis_url, prefix, store, "b-1", "b-2")
    try:
        # The instance restarted: b-1's caller survived (an AMI cut), b-2's did not.
        peer.down, peer.channels = False, [{"Uniqueid": "b-1", "Channel": "PJSIP/trunk-1"}]
        await service.node_back("asterisk-2")
        await _until(lambda: peer.originated == ["b-1"], "b-1 offered")
        ended = [e["call_id"] for _i, e in await store.events()
                 if e.get("kind") == "call_abandoned"]
        assert ended == ["b-2"]
    finally:
        await service.close()


class DiesDuringOffer(FakeAmi):
    """An instance that dies while its phone is rung: a failed originate, link gone."""

    def __init__(self) -> None:
        super().__init__()
        self.connected = True

    async def originate(self, channel: str, **options: Any) -> Mapping[str, Any]:
        self.originated.append(str(options["variables"]["VAXEL_CALL"]))
        self.connected = False
        return {"Response": "Failure", "Reason": "0"}


async def test_given_an_instance_dying_during_an_offer_then_the_call_is_parked_not_a_miss(
        redis_url: str, prefix: str, store: RoutingStore) -> None:
    own, peer = FakeAmi(), DiesDuringOffer()
    service = await _service(redis_url, prefix, own, peer)  # type: ignore[arg-type]
    try:
        await _login(store, "anna")
        await service.enqueue("d-1", "PJSIP/trunk-0", "kc", "", 0, "0700", node="asterisk-2")
        await _until_parked(store, "d-1")
        anna = await store.agent("anna")
        assert peer.originated == ["d-1"]
        assert anna.missed == 0 and anna.state.value == "available"
        assert await store.waiting("kc") == ["d-1"]
    finally:
        await service.close()

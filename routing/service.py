"""The ACD service: runs the routing `Engine` against Redis and Asterisk (AMI, FastAGI).

Every controller runs one. Any of them takes IVR hand-overs (`enqueue`, the call is
in Redis before the caller reaches the holding context) and serves the holding
context's ``hold`` AGI. Exactly one of them routes: it holds a Redis lease (``SET NX
PX``, renewed); a standby that finds the lease expired takes over: it settles the
store against Asterisk's live channels (`routing.control.plan_takeover`), rebuilds the
engine from Redis (`routing.restore`) and carries on. The router's loop has one
input queue (AMI events, the Redis event stream, originate outcomes) consumed by one
task, and one timer armed from `Engine.next_deadline()`. Every (agent, call) pairing
goes through the store's atomic Lua claim, so even two routers at once (a lease lost
in a pause) cannot double-assign. This module holds the lease and the take-over; the
hand-over, hold AGI and feature codes are `routing.reception`, the router's loop and
commands `routing.router`. With several Asterisk instances (``nodes``) the take-over
settles against every instance's channels; an instance whose AMI does not answer is left
out, and so are the calls on it (they stay as the store has them).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

import structlog

from infra.redis_url import redis_client
from infra.tasks import cancel_bounded
from routing import control
from routing.ami_port import AmiPort
from routing.engine import Engine
from routing.errors import RoutingError
from routing.model import AgentState, Call
from routing.reception import QueueSetup
from routing.restore import replay, snapshot
from routing.router import Router
from routing.store import RoutingStore

log = structlog.get_logger("vaxel.routing")

#: How long a router's lease lasts unless renewed, and how often it is renewed (s).
LEASE_S = 5.0
RENEW_EVERY_S = 1.0
#: How long a demotion waits for the router's tasks to finish after cancelling them (s).
DEMOTE_TIMEOUT_S = 5.0
#: Seconds `close()` waits for the lease loop (and its router tasks) to end.
TASK_STOP_S = 5.0

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class RoutingService(Router):
    """See the module docstring. `start()`, then `close()`."""

    def __init__(self, redis_url: str, queues: Mapping[str, QueueSetup], ami: AmiPort,
                 prefix: str = "vaxel", clock: Callable[[], float] = time.time,
                 name: str | None = None, prompts_dir: str = "",
                 nodes: Mapping[str, AmiPort] | None = None) -> None:
        client = redis_client(redis_url)
        super().__init__(client, RoutingStore(client, prefix), prefix, queues, ami, clock,
                         prompts_dir, nodes)
        self.name = name or uuid.uuid4().hex[:12]
        self._lease_key = f"{prefix}:acd:router"
        self._renew = self._client.register_script(_RENEW)
        self._tasks: list[asyncio.Task[Any]] = []

    def __repr__(self) -> str:
        role = "router" if self.is_router else "standby"
        return f"<RoutingService {self.name} {role} {self.engine!r}>"

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._lease_loop(), name="acd-lease"))

    async def close(self) -> None:
        # Checked by every loop: a task whose cancellation was lost (cancel_bounded gives up
        # on it after TASK_STOP_S) must not take the lease again or route with a closed AMI.
        self._closed = True
        await self._demote()
        await cancel_bounded(self._tasks, TASK_STOP_S)
        self._tasks.clear()
        await self._release_lease()
        await self._client.aclose()

    async def _release_lease(self) -> None:
        """Give the lease up at once (a standby need not wait for it to expire)."""
        with contextlib.suppress(Exception):
            await self._client.eval(
                "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end",
                1, self._lease_key, self.name)

    async def _lease_loop(self) -> None:
        while not self._closed:
            try:
                if self.is_router:
                    if not await self._renew(keys=[self._lease_key],
                                             args=[self.name, int(LEASE_S * 1000)]):
                        log.warning("acd.lease_lost", controller=self.name)
                        await self._demote()
                elif await self._client.set(self._lease_key, self.name, nx=True,
                                            px=int(LEASE_S * 1000)):
                    if self._closed:
                        await self._release_lease()
                        return
                    try:
                        await self._promote()
                    except BaseException:
                        await self._demote()
                        await self._release_lease()
                        raise
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("acd.lease_error", controller=self.name)
                await self._demote()
            await asyncio.sleep(RENEW_EVERY_S)

    async def _promote(self) -> None:
        log.info("acd.takeover_started", controller=self.name)
        started = time.monotonic()
        subscriptions = [ami.subscribe(lambda e: e.get("Event") == "Hangup")
                         for _node, ami in self._amis()]
        last = cast(list[tuple[str, Any]],
                    await self._client.xrevrange(self.store.stream, count=1))
        after = last[0][0] if last else "0-0"
        await self._settle()
        engine = Engine(q.config for q in self.queues.values())
        snap = await snapshot(self.store, self.queues)
        self.engine = engine
        self._offers.clear()
        self._router = []
        for subscription in subscriptions:
            self._spawn(self._pump_ami(subscription))
        self._spawn(self._pump_stream(after))
        self._spawn(self._route())
        await self._execute(replay(engine, snap.events, self._clock()))
        log.info("acd.takeover_complete", controller=self.name, engine=repr(engine),
                 ms=round((time.monotonic() - started) * 1000, 1))

    async def _demote(self) -> None:
        tasks = list(self._router)
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: a task that ignores its cancellation must not keep this controller
            # (and its lease) alive forever; it is logged and left behind.
            _done, stuck = await asyncio.wait(tasks, timeout=DEMOTE_TIMEOUT_S)
            for task in stuck:
                log.error("acd.demote_stuck", task=task.get_name())
        self._router = []
        self.engine = None

    async def _settle(self) -> None:
        """Take-over: make the store agree with Asterisk's live channels."""
        channels, where, unreachable = await self._live_channels()
        calls = await self._store_calls()
        if unreachable:
            nodes = await asyncio.gather(*(self._client.hget(self._hold_key(c.id), "node")
                                           for c in calls))
            calls = [c for c, node in zip(calls, nodes, strict=True) if node not in unreachable]
        plan = control.plan_takeover(calls, channels)
        now = self._clock()
        for call in plan.answer:
            await self.store.answer(call.id, call.agent_id or "", now)
        for call, legs in plan.release:
            for leg in legs:
                await self._hangup(leg, where.get(leg, ""))
            await self.store.release(call.id, call.agent_id or "", now, event="Takeover",
                                     missed=False, max_misses=1)
        for call_id, cause in plan.finish:
            await self.store.finish(call_id, now, cause)
        for channel in plan.requeue:
            await self._requeue(channel, where.get(channel.uniqueid, ""))
        for agent in await self.store.agents():
            if agent.state is AgentState.WRAP_UP:  # its timer died with the old router
                await self.store.end_wrap_up(agent.id, now)
        log.info("acd.settled", answered=len(plan.answer), released=len(plan.release),
                 finished=len(plan.finish), requeued=len(plan.requeue))

    async def _live_channels(self) -> tuple[list[control.Channel], dict[str, str], set[str]]:
        """Every instance's channels, the node of each (by Uniqueid), and the other
        instances whose AMI did not answer (this controller's own must answer)."""
        from infra.ami import AmiError

        channels: list[control.Channel] = []
        where: dict[str, str] = {}
        unreachable: set[str] = set()
        for node, ami in self._amis():
            try:
                events = await ami.core_show_channels()
            except AmiError as exc:
                if not node:
                    raise
                log.warning("acd.node_unreachable", node=node, error=str(exc))
                unreachable.add(node)
                continue
            for event in events:
                channel = control.Channel.from_event(event)
                channels.append(channel)
                where[channel.uniqueid] = node
        return channels, where, unreachable

    async def node_back(self, node: str) -> None:
        """An instance's AMI connection is back (``on_reconnect``; ``""``: this controller's
        own): the router settles the calls it parked while it could not reach it."""
        if self.is_router:
            self._inbox.put_nowait(("task", partial(self._settle_parked, node)))

    async def _settle_parked(self, node: str, _engine: Engine) -> None:
        """Parked calls on ``node`` whose caller is still there come back (`_resume`);
        the others are over (the box died with them): finished as abandoned."""
        ami = self._ami_of(node)
        parked = []
        for queue in self.queues:
            for call_id in await self.store.waiting(queue):
                flag, on = cast(list[str | None], await self._client.hmget(
                    self._hold_key(call_id), ["parked", "node"]))
                if flag and self._ami_of(on or "") is ami:
                    parked.append(call_id)
        if not parked:
            return
        live = {str(e.get("Uniqueid", "")) for e in await ami.core_show_channels()}
        for call_id in parked:
            if call_id in live:
                await self._resume(call_id)
            else:
                await self.store.finish(call_id, self._clock(), "call_abandoned")
                await self._client.hset(self._hold_key(call_id), "ended", 1)
        log.info("acd.parked_settled", node=node, resumed=len(set(parked) & live),
                 finished=len(set(parked) - live))

    async def _store_calls(self) -> list[Call]:
        ids: set[str] = set()
        for queue in self.queues:
            ids.update(await self.store.waiting(queue))
        ids.update(a.call_id for a in await self.store.agents() if a.call_id)
        calls = []
        for call_id in sorted(ids):
            with contextlib.suppress(RoutingError):
                calls.append(await self.store.call(call_id))
        return calls

    async def _requeue(self, channel: control.Channel, node: str) -> None:
        values = {}
        for name in ("VAXEL_QUEUE", "VAXEL_REQUIREMENTS", "VAXEL_PRIORITY", "CALLERID(num)",
                     "SYSTEMNAME"):
            reply = await self._ami_of(node).action({"Action": "Getvar", "Channel": channel.name,
                                                     "Variable": name})
            values[name] = str(reply.get("Value") or "")
        if values["VAXEL_QUEUE"] not in self.queues:
            return
        await self.enqueue(channel.uniqueid, channel.name, values["VAXEL_QUEUE"],
                           values["VAXEL_REQUIREMENTS"], int(values["VAXEL_PRIORITY"] or 0),
                           values["CALLERID(num)"], node=values["SYSTEMNAME"] or node)

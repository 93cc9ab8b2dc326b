"""The ACD's reception at any controller: IVR hand-overs, the hold AGI, agent feature codes.

Every controller, router or standby, runs these through `Reception` (the base of
`routing.service.RoutingService`): `enqueue` writes the call to Redis (and its holding
record) before the caller reaches the holding context; `hold` is one look of the holding
context's AGI at that record (announcements, the callback offer, leaving, an ended call);
`agent_code` turns *41/*42/*43 into store transitions. None of it touches the engine:
the router learns every change from the store's event stream. Invariants: a call's
holding record (``<prefix>:acd:hold:<call>``) starts afresh on every `enqueue` and expires
`HOLD_TTL_S` after it; a caller of a known queue without a holding record is adopted from
its channel variables, never sent away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
import structlog

from routing import control
from routing.engine import Engine
from routing.model import AgentState, Call, QueueConfig
from routing.store import RoutingStore

log = structlog.get_logger("vaxel.routing")


#: Seconds a call's holding-context record outlives its last change.
HOLD_TTL_S = 4 * 3600


class HoldChannel(Protocol):
    """What the hold AGI needs of a FastAGI channel."""

    async def command(self, name: str, *args: str, sensitive: bool = False) -> Any: ...


@dataclass(frozen=True, slots=True)
class QueueSetup:
    """A queue as the service runs it: the engine's config plus call-control settings."""

    config: QueueConfig
    group: str
    requirements: str
    priority: int
    hold_s: int
    callback_dial: str
    return_priority: int = 8


class Reception:
    """Hand-over, hold AGI and feature codes (any controller); see the module docstring."""

    def __init__(self, client: aioredis.Redis, store: RoutingStore, prefix: str,
                 queues: Mapping[str, QueueSetup], clock: Callable[[], float],
                 prompts_dir: str) -> None:
        self._client = client
        self.store = store
        self._p = prefix
        self.queues = dict(queues)
        self._clock = clock
        self._prompts_dir = prompts_dir
        self.engine: Engine | None = None  # the router's (None on a standby)

    # ------------------------------------------------------------ hand-over (any controller)

    def queue_for_group(self, group: str) -> str | None:
        for name, queue in self.queues.items():
            if (queue.group or name) == group:
                return name
        return None

    async def enqueue(self, call_id: str, channel: str, queue: str, requirements: str,
                      priority: int, caller: str, last_agent: str | None = None,
                      node: str = "") -> None:
        """`ivr.session_ports.RoutingPort`: the call is waiting in Redis when this returns.

        The queue's own requirements apply too, except for a kind the call names itself.
        ``last_agent`` is offered the call first when free (a call coming back to its
        operator). The holding record starts afresh: a call queued again after it ended
        once (an operator's transfer nobody answered) must not be sent away as ended.
        ``node`` is the Asterisk instance the caller's channel is on (its ``SYSTEMNAME``;
        empty with one instance): the router controls the call through that AMI."""
        setup = self.queues[queue]
        skills = control.call_requirements(setup.requirements, requirements,
                                           f"call {call_id} requirements")
        call = Call(call_id, queue, skills, priority or setup.priority, self._clock(), caller,
                    last_agent=last_agent)
        key = self._hold_key(call_id)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"channel": channel, "queue": queue, "node": node})
            pipe.expire(key, HOLD_TTL_S)
            await pipe.execute()
        await self.store.enqueue(call)
        log.info("acd.enqueued", call_id=call_id, queue=queue, skills=list(skills),
                 priority=call.priority)

    async def queue_load(self, queue: str) -> control.QueueLoad | None:
        """`ivr.session_ports.RoutingPort`: the queue's load from Redis (any controller); the
        average handle time is the router's when this is the router, else the default."""
        setup = self.queues.get(queue)
        if setup is None:
            return None
        waiting = len(await self.store.waiting(queue))
        agents = await self.store.agents()
        aht = (self.engine.average_handle_s(queue) if self.engine is not None
               else setup.config.default_handle_s)
        return control.queue_load(queue, waiting, agents, aht)

    def _hold_key(self, call_id: str) -> str:
        return f"{self._p}:acd:hold:{call_id}"

    # ------------------------------------------------------------ hold AGI (any controller)

    async def hold(self, channel: HoldChannel, call_id: str, queue: str) -> None:
        """One look of the holding context at the controller (see extensions.conf.in)."""
        key = self._hold_key(call_id)
        info = cast(dict[str, str], await self._client.hgetall(key))
        setup = self.queues.get(queue)
        if setup is not None and not info:
            info = await self._adopt(channel, call_id, queue)
        if info.get("ended"):
            await channel.command("SET VARIABLE", "VAXEL_HOLD", "bye")
            return
        if setup is None or info.get("leave"):
            await channel.command("SET VARIABLE", "VAXEL_HOLD", "leave")
            return
        if info.get("parked"):  # its Asterisk was unreachable for the router; it is back
            await self._resume(call_id)
        await channel.command("SET VARIABLE", "VAXEL_HOLD_S", str(setup.hold_s))
        await channel.command("SET VARIABLE", "VAXEL_HOLD", "1")
        if info.get("announce"):
            await self._client.hdel(key, "announce")
            await self._announce(channel, int(info.get("position") or 0), info.get("wait", ""))
        if info.get("callback_offer") and setup.callback_dial:
            await self._client.hdel(key, "callback_offer")
            offer = await self._prompt(channel, "queue_callback_offer")
            reply = await channel.command("GET DATA", offer, "4000", "1")
            if (getattr(reply, "digits", "") or "") == "1":
                await self._book_callback(call_id)
                booked = await self._prompt(channel, "queue_callback_booked")
                await channel.command("STREAM FILE", booked, "")
                await channel.command("SET VARIABLE", "VAXEL_HOLD", "bye")

    async def _adopt(self, channel: HoldChannel, call_id: str, queue: str) -> dict[str, str]:
        """A caller in the holding context that Redis does not know (lost, or sent here
        by a transfer): queue it from its channel variables."""
        values = []
        for name in ("CHANNEL", "VAXEL_REQUIREMENTS", "VAXEL_PRIORITY", "CALLERID(num)",
                     "SYSTEMNAME"):
            reply = await channel.command("GET FULL VARIABLE", f"${{{name}}}")
            values.append(getattr(reply, "data", None) or "")
        priority = int(values[2]) if values[2].isdigit() else 0
        await self.enqueue(call_id, values[0], queue, values[1], priority, values[3],
                           node=values[4])
        return {"channel": values[0], "queue": queue, "node": values[4]}

    async def _announce(self, channel: HoldChannel, position: int, wait: str) -> None:
        for key in control.announcement(position, float(wait) if wait else None):
            await channel.command("STREAM FILE", await self._prompt(channel, key), "")

    async def _prompt(self, channel: HoldChannel, key: str) -> str:
        """The prompt file in the caller's language (VAXEL_LANG from the IVR, default sv)."""
        reply = await channel.command("GET VARIABLE", "VAXEL_LANG")
        language = getattr(reply, "data", None) or "sv"
        return f"{self._prompts_dir.rstrip('/')}/{language}/{key}"

    # ------------------------------------------------------------ agent feature codes

    async def agent_code(self, channel: HoldChannel, action: str, number: str) -> str | None:
        """*41/*42/*43 from an agent's phone; returns what was done (None: nothing). The
        store emits the change on the stream, from which the router learns it."""
        from dataclasses import replace

        agent = control.agent_for_phone(await self.store.agents(), number)
        if agent is None:
            log.warning("acd.feature_code_unknown_phone", number=number, action=action)
            return None
        effect = control.feature_code_effect(action, agent.state)
        now = self._clock()
        if effect == "login":
            await self.store.login(replace(agent, state=AgentState.LOGGED_OUT), now)
        elif effect == "logout":
            await self.store.logout(agent.id, now)
        elif effect == "pause":
            await self.store.pause(agent.id, "paus", now)
        elif effect == "unpause":
            await self.store.unpause(agent.id, now)
        if effect is not None:
            await channel.command("STREAM FILE", await self._prompt(channel, f"agent_{effect}"), "")
        log.info("acd.feature_code", agent_id=agent.id, action=action, effect=effect)
        return effect

    async def _resume(self, call_id: str) -> None:
        """A parked call's caller is alive: the router takes it back, in its place."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hdel(self._hold_key(call_id), "parked")
            pipe.xadd(self.store.stream, {"kind": "call_resumed", "at": repr(self._clock()),
                                          "call_id": call_id})
            await pipe.execute()
        log.info("acd.call_resumed", call_id=call_id)

    async def _book_callback(self, call_id: str) -> None:
        """The caller keeps their place; the router learns it from the stream."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(self.store.call_key(call_id), "callback", 1)
            pipe.xadd(self.store.stream, {"kind": "callback_requested", "at": repr(self._clock()),
                                          "call_id": call_id})
            await pipe.execute()


def queue_setups(queues: Mapping[str, Any]) -> dict[str, QueueSetup]:
    """``infra.config.QueueSettings`` by name -> what the service runs."""
    return {name: QueueSetup(control.queue_config(name, s), s.group, s.requirements, s.priority,
                             s.hold_s, s.callback_dial, s.return_priority)
            for name, s in queues.items()}

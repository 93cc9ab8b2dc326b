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
in a pause) cannot double-assign.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
import structlog

from infra.tasks import cancel_bounded
from routing import control
from routing import messages as m
from routing.engine import Engine
from routing.errors import ClaimConflict, RoutingError
from routing.model import AgentState, Call, CallState, QueueConfig
from routing.restore import replay, snapshot
from routing.store import RoutingStore

log = structlog.get_logger("vaxel.routing")

#: How long a router's lease lasts unless renewed, and how often it is renewed (s).
LEASE_S = 5.0
RENEW_EVERY_S = 1.0
#: How long a demotion waits for the router's tasks to finish after cancelling them (s).
DEMOTE_TIMEOUT_S = 5.0
#: Seconds `close()` waits for the lease loop (and its router tasks) to end.
TASK_STOP_S = 5.0
#: Recently hung-up channels remembered for hand-overs whose stream entry comes later.
RECENT_HANGUPS = 2048
#: Seconds a call's holding-context record outlives its last change.
HOLD_TTL_S = 4 * 3600
#: Engine record kinds the store's scripts do not already put on the stream.
ENGINE_ONLY_KINDS = frozenset({"call_escalated", "call_rejected", "call_restored"})

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class AmiPort(Protocol):
    """What the service needs of ``infra.ami.AmiClient``."""

    async def originate(self, channel: str, *, context: str | None = None,
                        exten: str | None = None, priority: int = 1,
                        application: str | None = None, data: str = "",
                        variables: Mapping[str, str] | None = None,
                        channel_id: str | None = None, caller_id: str | None = None,
                        timeout: float = 30.0) -> Mapping[str, Any]: ...
    async def action(self, fields: Mapping[str, Any], timeout: float = 5.0,
                     as_list: bool | None = False) -> Any: ...
    async def core_show_channels(self, timeout: float = 10.0) -> list[dict[str, Any]]: ...
    def subscribe(self, predicate: Callable[[Mapping[str, Any]], bool]) -> Any: ...


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


@dataclass(frozen=True, slots=True)
class _Offer:
    agent_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class _Outcome:
    call_id: str
    channel_id: str
    response: Mapping[str, Any]


class RoutingService:
    """See the module docstring. `start()`, then `close()`."""

    def __init__(self, redis_url: str, queues: Mapping[str, QueueSetup], ami: AmiPort,
                 prefix: str = "vaxel", clock: Callable[[], float] = time.time,
                 name: str | None = None, prompts_dir: str = "") -> None:
        self._client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        self.store = RoutingStore(self._client, prefix)
        self._p = prefix
        self.queues = dict(queues)
        self._ami = ami
        self._clock = clock
        self._prompts_dir = prompts_dir
        self.name = name or uuid.uuid4().hex[:12]
        self._lease_key = f"{prefix}:acd:router"
        self._renew = self._client.register_script(_RENEW)
        self.engine: Engine | None = None
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._offers: dict[str, _Offer] = {}
        self._legs: dict[str, str] = {}  # answered agent leg -> call id
        self._attempts = itertools.count(1)
        self._recent_hangups: deque[str] = deque(maxlen=RECENT_HANGUPS)
        self._tasks: list[asyncio.Task[Any]] = []
        self._router: list[asyncio.Task[Any]] = []
        self._closed = False
        self.assigned: list[tuple[str, str]] = []  # (call, agent) answered here, for tests

    def __repr__(self) -> str:
        role = "router" if self.is_router else "standby"
        return f"<RoutingService {self.name} {role} {self.engine!r}>"

    @property
    def is_router(self) -> bool:
        return bool(self._router)

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
        subscription = self._ami.subscribe(lambda e: e.get("Event") == "Hangup")
        last = cast(list[tuple[str, Any]],
                    await self._client.xrevrange(self.store.stream, count=1))
        after = last[0][0] if last else "0-0"
        await self._settle()
        engine = Engine(q.config for q in self.queues.values())
        snap = await snapshot(self.store, self.queues)
        self.engine = engine
        self._offers.clear()
        self._router = []
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
        channels = [control.Channel.from_event(e) for e in await self._ami.core_show_channels()]
        calls = await self._store_calls()
        plan = control.plan_takeover(calls, channels)
        now = self._clock()
        for call in plan.answer:
            await self.store.answer(call.id, call.agent_id or "", now)
        for call, legs in plan.release:
            for leg in legs:
                await self._hangup(leg)
            await self.store.release(call.id, call.agent_id or "", now, event="Takeover",
                                     missed=False, max_misses=1)
        for call_id, cause in plan.finish:
            await self.store.finish(call_id, now, cause)
        for channel in plan.requeue:
            await self._requeue(channel)
        for agent in await self.store.agents():
            if agent.state is AgentState.WRAP_UP:  # its timer died with the old router
                await self.store.end_wrap_up(agent.id, now)
        log.info("acd.settled", answered=len(plan.answer), released=len(plan.release),
                 finished=len(plan.finish), requeued=len(plan.requeue))

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

    async def _requeue(self, channel: control.Channel) -> None:
        values = {}
        for name in ("VAXEL_QUEUE", "VAXEL_REQUIREMENTS", "VAXEL_PRIORITY", "CALLERID(num)"):
            reply = await self._ami.action({"Action": "Getvar", "Channel": channel.name,
                                            "Variable": name})
            values[name] = str(reply.get("Value") or "")
        if values["VAXEL_QUEUE"] not in self.queues:
            return
        await self.enqueue(channel.uniqueid, channel.name, values["VAXEL_QUEUE"],
                           values["VAXEL_REQUIREMENTS"], int(values["VAXEL_PRIORITY"] or 0),
                           values["CALLERID(num)"])

    # ------------------------------------------------------------ hand-over (any controller)

    def queue_for_group(self, group: str) -> str | None:
        for name, queue in self.queues.items():
            if (queue.group or name) == group:
                return name
        return None

    async def enqueue(self, call_id: str, channel: str, queue: str, requirements: str,
                      priority: int, caller: str, last_agent: str | None = None) -> None:
        """`ivr.session.RoutingPort`: the call is waiting in Redis when this returns.

        The queue's own requirements apply too, except for a kind the call names itself.
        ``last_agent`` is offered the call first when free (a call coming back to its
        operator). The holding record starts afresh: a call queued again after it ended
        once (an operator's transfer nobody answered) must not be sent away as ended."""
        setup = self.queues[queue]
        skills = control.call_requirements(setup.requirements, requirements,
                                           f"call {call_id} requirements")
        call = Call(call_id, queue, skills, priority or setup.priority, self._clock(), caller,
                    last_agent=last_agent)
        key = self._hold_key(call_id)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"channel": channel, "queue": queue})
            pipe.expire(key, HOLD_TTL_S)
            await pipe.execute()
        await self.store.enqueue(call)
        log.info("acd.enqueued", call_id=call_id, queue=queue, skills=list(skills),
                 priority=call.priority)

    async def queue_load(self, queue: str) -> control.QueueLoad | None:
        """`ivr.session.RoutingPort`: the queue's load from Redis (any controller); the
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
        for name in ("CHANNEL", "VAXEL_REQUIREMENTS", "VAXEL_PRIORITY", "CALLERID(num)"):
            reply = await channel.command("GET FULL VARIABLE", f"${{{name}}}")
            values.append(getattr(reply, "data", None) or "")
        priority = int(values[2]) if values[2].isdigit() else 0
        await self.enqueue(call_id, values[0], queue, values[1], priority, values[3])
        return {"channel": values[0], "queue": queue}

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

    async def _book_callback(self, call_id: str) -> None:
        """The caller keeps their place; the router learns it from the stream."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(self.store.call_key(call_id), "callback", 1)
            pipe.xadd(self.store.stream, {"kind": "callback_requested", "at": repr(self._clock()),
                                          "call_id": call_id})
            await pipe.execute()

    # ------------------------------------------------------------ the router

    async def _pump_ami(self, subscription: Any) -> None:
        try:
            async for event in subscription:
                self._inbox.put_nowait(("hangup", str(event.get("Uniqueid", ""))))
        finally:
            subscription.close()

    async def _pump_stream(self, after: str) -> None:
        while not self._closed:
            rows = cast(list[tuple[str, list[tuple[str, dict[str, str]]]]] | None,
                        await self._client.xread({self.store.stream: after}, block=1000,
                                                 count=500))
            for _stream, entries in rows or ():
                for entry_id, fields in entries:
                    after = entry_id
                    self._inbox.put_nowait(("stream", fields))

    async def _route(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closed:
            engine = self.engine
            if engine is None:
                return  # demoted: a routing task that outlived its cancellation ends here
            deadline = engine.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that arrives as the item does, and the router would outlive
                # its demotion (a standby then never gets the lease).
                async with asyncio.timeout(timeout):
                    item = await self._inbox.get()
            except TimeoutError:
                item = ("event", m.TimerFired())
            started = loop.time()
            try:
                await self._consume(engine, item)
            except RoutingError as exc:
                log.warning("acd.event_refused", item=repr(item)[:200], error=str(exc))
            except Exception:
                log.exception("acd.event_failed", item=repr(item)[:200])
            log.debug("acd.step", ms=round((loop.time() - started) * 1000, 2))

    async def _consume(self, engine: Engine, item: tuple[str, Any]) -> None:
        kind, payload = item
        if kind == "event":
            await self._feed(engine, payload)
        elif kind == "hangup":
            await self._on_hangup(engine, payload)
        elif kind == "stream":
            await self._on_stream(engine, payload)
        elif kind == "outcome":
            await self._on_outcome(engine, payload)

    async def _feed(self, engine: Engine, event: m.Event) -> None:
        commands = engine.handle(event, self._clock())
        log.debug("acd.event", routing_event=type(event).__name__,
                  commands=[type(c).__name__ for c in commands if not isinstance(c, m.RecordEvent)])
        await self._execute(commands)

    async def _on_hangup(self, engine: Engine, uniqueid: str) -> None:
        call_id = self._legs.pop(uniqueid, None)
        if call_id is not None:
            # The agent hung up. (A caller pulled into the bridge out of a running AGI is
            # a masqueraded channel: its own Hangup may carry another Uniqueid.)
            if self._engine_call(engine, call_id) is not None:
                await self._end(engine, call_id, ended=True)
            return
        call = next((c for c in [self._engine_call(engine, uniqueid)] if c is not None), None)
        meaning = control.hangup_meaning(call)
        if call is None:
            self._recent_hangups.append(uniqueid)
            return
        if meaning is control.HangupMeaning.IGNORED:
            return
        if call.state is CallState.WAITING and (await self.store.call(call.id)).callback_requested:
            # The callback was booked just before the caller hung up; its stream entry
            # may still be on its way.
            await self._feed(engine, m.CallbackRequested(call.id))
            return
        await self._end(engine, call.id, ended=meaning is control.HangupMeaning.ENDED)

    async def _end(self, engine: Engine, call_id: str, *, ended: bool) -> None:
        """The call is over: the store, the holding record (a caller who comes back to the
        holding context is hung up) and the engine."""
        await self.store.finish(call_id, self._clock(), "call_ended" if ended else "call_abandoned")
        for leg in [leg for leg, c in self._legs.items() if c == call_id]:
            del self._legs[leg]
        await self._client.hset(self._hold_key(call_id), "ended", 1)
        await self._feed(engine, m.CallEnded(call_id) if ended else m.CallAbandoned(call_id))

    @staticmethod
    def _engine_call(engine: Engine, call_id: str) -> Call | None:
        try:
            return engine.call(call_id)
        except RoutingError:
            return None

    async def _on_stream(self, engine: Engine, fields: Mapping[str, str]) -> None:
        kind, call_id = fields.get("kind"), fields.get("call_id", "")
        log.debug("acd.stream", kind=kind, call_id=call_id)
        if kind == "call_enqueued" and self._engine_call(engine, call_id) is None:
            if call_id in self._recent_hangups:
                with contextlib.suppress(RoutingError):
                    await self.store.finish(call_id, self._clock(), "call_abandoned")
                return
            with contextlib.suppress(RoutingError):
                c = await self.store.call(call_id)
                if c.state is CallState.WAITING:
                    await self._feed(engine, m.CallEnqueued(
                        c.id, c.queue, c.requirements, c.priority, c.caller, c.last_agent,
                        c.enqueued_at, c.callback_requested))
        elif kind == "callback_requested":
            call = self._engine_call(engine, call_id)
            if call is not None and call.state is CallState.WAITING and not call.callback_requested:
                await self._feed(engine, m.CallbackRequested(call_id))
        elif kind == "agent_state" and fields.get("cause") in control.EXTERNAL_AGENT_CAUSES:
            agent_id = fields.get("agent_id", "")
            stored = await self.store.agent(agent_id)
            known = next((a for a in engine.agents() if a.id == agent_id), None)
            for event in control.agent_sync(stored, known):
                await self._feed(engine, event)

    async def _on_outcome(self, engine: Engine, outcome: _Outcome) -> None:
        offer = self._offers.get(outcome.call_id)
        answered = outcome.response.get("Response") == "Success"
        if offer is None or offer.channel_id != outcome.channel_id:
            if answered:  # an offer already withdrawn: the agent must not stay on a dead leg
                await self._hangup(outcome.channel_id)
            return
        del self._offers[outcome.call_id]
        event = control.originate_outcome(outcome.response, outcome.call_id, offer.agent_id)
        now = self._clock()
        if isinstance(event, m.OfferAnswered):
            call = engine.call(outcome.call_id)
            await self.store.answer(call.id, offer.agent_id, now)
            self.assigned.append((call.id, offer.agent_id))
            self._legs[offer.channel_id] = call.id
        else:
            queue = self.queues[engine.call(outcome.call_id).queue].config
            await self.store.release(outcome.call_id, offer.agent_id, now,
                                     event=type(event).__name__, missed=True,
                                     max_misses=queue.max_misses)
        await self._feed(engine, event)

    # ------------------------------------------------------------ commands

    async def _execute(self, commands: list[m.Command]) -> None:
        if self._closed:
            # A closing router starts nothing new (no claim, no ringing): whatever it left
            # half-done is settled by the controller that takes the lease over.
            log.info("acd.closing_skipped", commands=[type(c).__name__ for c in commands])
            return
        for command in commands:
            handler = _COMMANDS[type(command)]
            await handler(self, command)

    async def _offer_call(self, c: m.OfferCall) -> None:
        try:
            await self.store.claim(c.call_id, c.agent_id, self._clock())
        except ClaimConflict as exc:
            log.info("acd.claim_failed", call_id=c.call_id, agent_id=c.agent_id, reason=exc.reason)
            self._inbox.put_nowait(("event", m.ClaimFailed(
                c.call_id, c.agent_id, call_taken=exc.reason.startswith("call"),
                agent_taken=exc.reason.startswith("agent"))))
            return
        channel_id = control.offer_channel_id(c.call_id, next(self._attempts))
        self._offers[c.call_id] = _Offer(c.agent_id, channel_id)
        hold = cast(dict[str, str], await self._client.hgetall(self._hold_key(c.call_id)))
        setup = self.queues[hold.get("queue") or next(iter(self.queues))]
        variables = {"VAXEL_CALL": c.call_id, "VAXEL_BRIDGE": hold.get("channel", "")}
        exten = "connect"
        if c.callback:
            exten = "callback"
            variables["VAXEL_CALLBACK_DIAL"] = setup.callback_dial.replace("{number}", c.caller)
        log.info("acd.offer", call_id=c.call_id, agent_id=c.agent_id, device=c.device,
                 callback=c.callback)
        self._spawn(self._originate(c, channel_id, exten, variables))

    async def _originate(self, c: m.OfferCall, channel_id: str, exten: str,
                         variables: Mapping[str, str]) -> None:
        from infra.ami import AmiError

        try:
            response = await self._ami.originate(
                c.device, context=control.AGENT_CONTEXT, exten=exten, variables=variables,
                channel_id=channel_id, caller_id=c.caller or None, timeout=c.ring_timeout)
        except AmiError as exc:
            log.warning("acd.originate_failed", call_id=c.call_id, error=str(exc))
            response = {"Response": "Failure", "Reason": "0"}
        self._inbox.put_nowait(("outcome", _Outcome(c.call_id, channel_id, response)))

    async def _cancel_offer(self, c: m.CancelOffer) -> None:
        offer = self._offers.get(c.call_id)
        if offer is None or offer.agent_id != c.agent_id:
            return
        del self._offers[c.call_id]
        await self._hangup(offer.channel_id)
        engine = self.engine
        call = self._engine_call(engine, c.call_id) if engine else None
        queue = self.queues[call.queue].config if call else None
        with contextlib.suppress(RoutingError):  # already moved by a logout, pause or hang-up
            await self.store.release(c.call_id, c.agent_id, self._clock(), event="RingTimeout",
                                     missed=True, max_misses=queue.max_misses if queue else 1)

    async def _announce_wait(self, c: m.AnnounceWait) -> None:
        wait = "" if c.estimated_wait_s is None else repr(c.estimated_wait_s)
        await self._client.hset(self._hold_key(c.call_id), mapping={
            "announce": 1, "position": c.position, "wait": wait})

    async def _offer_callback(self, c: m.OfferCallback) -> None:
        await self._client.hset(self._hold_key(c.call_id), "callback_offer", 1)

    async def _pause_agent(self, c: m.PauseAgent) -> None:
        log.info("acd.agent_paused", agent_id=c.agent_id, reason=c.reason)

    async def _leave(self, c: m.RejectCall | m.LeaveQueue) -> None:
        """To the operators: the next hold AGI sends the caller to the fallback."""
        from infra.ami import AmiError

        with contextlib.suppress(RoutingError):
            await self.store.finish(c.call_id, self._clock(), "call_left_queue")
        key = self._hold_key(c.call_id)
        await self._client.hset(key, "leave", 1)
        channel = await self._client.hget(key, "channel")
        with contextlib.suppress(AmiError):
            await self._ami.action({"Action": "Redirect", "Channel": channel,
                                    "Context": "vaxel-fallback", "Exten": "s", "Priority": "1"})
        log.info("acd.call_left", call_id=c.call_id, reason=c.reason)

    async def _record(self, c: m.RecordEvent) -> None:
        if c.kind in ENGINE_ONLY_KINDS:
            await self.store.record(c)
        elif c.kind == "agent_state" and c.cause == "WrapUpTimer" and c.agent_id:
            with contextlib.suppress(RoutingError):
                await self.store.end_wrap_up(c.agent_id, c.at)

    async def _hangup(self, channel_id: str) -> None:
        from infra.ami import AmiError

        with contextlib.suppress(AmiError):
            await self._ami.action({"Action": "Hangup", "Channel": channel_id})

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._router.append(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if task in self._router:
            self._router.remove(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("acd.task_failed", task=task.get_coro().__qualname__,  # type: ignore[union-attr]
                      error=repr(task.exception()))


_COMMANDS: dict[type, Callable[[RoutingService, Any], Any]] = {
    m.OfferCall: RoutingService._offer_call,
    m.CancelOffer: RoutingService._cancel_offer,
    m.AnnounceWait: RoutingService._announce_wait,
    m.OfferCallback: RoutingService._offer_callback,
    m.PauseAgent: RoutingService._pause_agent,
    m.RejectCall: RoutingService._leave,
    m.LeaveQueue: RoutingService._leave,
    m.RecordEvent: RoutingService._record,
}


def queue_setups(queues: Mapping[str, Any]) -> dict[str, QueueSetup]:
    """``infra.config.QueueSettings`` by name -> what the service runs."""
    return {name: QueueSetup(control.queue_config(name, s), s.group, s.requirements, s.priority,
                             s.hold_s, s.callback_dial, s.return_priority)
            for name, s in queues.items()}

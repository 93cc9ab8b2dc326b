"""The router's side of the ACD service: one input queue, one engine, its commands executed.

`Router` (between `routing.reception.Reception` and `routing.service.RoutingService`)
runs while this controller holds the lease: `_pump_ami` (hang-ups) and `_pump_stream`
(the store's event stream) feed one inbox, together with originate outcomes and claim
failures; `_route` consumes it in one task and reports `TimerFired` at the engine's
`next_deadline()`. Each event is translated for the engine (`routing.control`), and the
commands it returns are executed against Redis and Asterisk (`_COMMANDS`). Invariants:
every (agent, call) pairing goes through the store's atomic claim before an agent's
phone rings; an originate answered for an offer already withdrawn is hung up; a closing
router starts no new command; every task it spawns is cancelled on demotion.

Several Asterisk instances (a cluster): each queued call's holding record names the
instance its caller is on (``node``, that Asterisk's ``SYSTEMNAME``, written at the
hand-over). The router keeps one AMI connection per instance (``nodes``, by name; this
controller's own Asterisk is ``ami``, also used for a node it has no connection of its
own for) and originates, redirects and hangs up a call's channels on the instance the
call is on; hang-ups are followed on every instance. An offer that cannot start because
the call's instance has no AMI connection (the box died or restarts) is no agent's miss:
the call is *parked* (back in its place in the store, out of this engine) until its
caller's next hold AGI shows it alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, cast

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from infra.dialplan_safe import dial_number
from routing import control
from routing import messages as m
from routing.ami_port import UNREACHABLE, AmiPort, Offer, Outcome
from routing.engine import Engine
from routing.errors import ClaimConflict, RoutingError
from routing.model import Call, CallState
from routing.reception import QueueSetup, Reception
from routing.store import RoutingStore

log = structlog.get_logger("vaxel.routing")


#: Recently hung-up channels remembered for hand-overs whose stream entry comes later.
RECENT_HANGUPS = 2048
#: Seconds between two tries to read the event stream while Redis is away.
STREAM_RETRY_S = 0.5
#: Engine record kinds the store's scripts do not already put on the stream.
ENGINE_ONLY_KINDS = frozenset({"call_escalated", "call_rejected", "call_restored"})


class Router(Reception):
    """The router's loop and command execution; see the module docstring."""

    def __init__(self, client: aioredis.Redis, store: RoutingStore, prefix: str,
                 queues: Mapping[str, QueueSetup], ami: AmiPort, clock: Callable[[], float],
                 prompts_dir: str, nodes: Mapping[str, AmiPort] | None = None) -> None:
        super().__init__(client, store, prefix, queues, clock, prompts_dir)
        self._ami = ami
        self._nodes = dict(nodes or {})  # the other Asterisk instances' AMI, by SYSTEMNAME
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._offers: dict[str, Offer] = {}
        self._legs: dict[str, str] = {}  # answered agent leg -> call id
        self._attempts = itertools.count(1)
        self._recent_hangups: deque[str] = deque(maxlen=RECENT_HANGUPS)
        self._router: list[asyncio.Task[Any]] = []
        self._closed = False
        self.assigned: list[tuple[str, str]] = []  # (call, agent) answered here, for tests

    @property
    def is_router(self) -> bool:
        return bool(self._router)

    def _ami_of(self, node: str) -> AmiPort:
        """The AMI of the Asterisk instance ``node`` (this controller's own by default)."""
        return self._nodes.get(node, self._ami)

    def _amis(self) -> list[tuple[str, AmiPort]]:
        """Every AMI connection: this controller's own (as ``""``), then the others."""
        return [("", self._ami), *self._nodes.items()]

    # ------------------------------------------------------------ the router

    async def _pump_ami(self, subscription: Any) -> None:
        try:
            async for event in subscription:
                self._inbox.put_nowait(("hangup", str(event.get("Uniqueid", ""))))
        finally:
            subscription.close()

    async def _pump_stream(self, after: str) -> None:
        while not self._closed:
            try:
                rows = cast(list[tuple[str, list[tuple[str, dict[str, str]]]]] | None,
                            await self._client.xread({self.store.stream: after}, block=1000,
                                                     count=500))
            except (RedisError, OSError) as exc:
                # Redis restarting or failing over: read on from the same entry once it is
                # back (the lease decides meanwhile whether this is still the router).
                log.warning("acd.stream_unavailable", error=str(exc), after=after)
                await asyncio.sleep(STREAM_RETRY_S)
                continue
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
        elif kind == "task":  # work that must not interleave with the engine's events
            await payload(engine)

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
        if kind in ("call_enqueued", "call_resumed") and self._engine_call(engine, call_id) is None:
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

    async def _on_outcome(self, engine: Engine, outcome: Outcome) -> None:
        offer = self._offers.get(outcome.call_id)
        answered = outcome.response.get("Response") == "Success"
        if offer is None or offer.channel_id != outcome.channel_id:
            if answered:  # an offer already withdrawn: the agent must not stay on a dead leg
                await self._hangup(outcome.channel_id, outcome.node)
            return
        del self._offers[outcome.call_id]
        now = self._clock()
        if outcome.response.get("Reason") == UNREACHABLE:
            await self._park(engine, outcome.call_id, offer.agent_id, now)
            return
        event = control.originate_outcome(outcome.response, outcome.call_id, offer.agent_id)
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

    async def _park(self, engine: Engine, call_id: str, agent_id: str, now: float) -> None:
        """The call's Asterisk cannot be reached: the call goes back to its place in the
        store (no miss: the agent is free again) and leaves this engine, which goes on
        with other calls; `Reception.hold` puts a ``call_resumed`` entry on the stream at
        the caller's next hold AGI, and the call comes back (`_on_stream`)."""
        await self.store.release(call_id, agent_id, now, event="NodeUnreachable", missed=False,
                                 max_misses=1)
        log.info("acd.call_parked", call_id=call_id, agent_id=agent_id)
        await self._feed(engine, m.ClaimFailed(call_id, agent_id, call_taken=True))
        await self._client.hset(self._hold_key(call_id), "parked", 1)

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
        hold = cast(dict[str, str], await self._client.hgetall(self._hold_key(c.call_id)))
        # The agent's leg starts on the caller's Asterisk: [vaxel-agent] bridges the two there.
        node = hold.get("node", "")
        self._offers[c.call_id] = Offer(c.agent_id, channel_id, node)
        setup = self.queues[hold.get("queue") or next(iter(self.queues))]
        variables = {"VAXEL_CALL": c.call_id, "VAXEL_BRIDGE": hold.get("channel", "")}
        exten = "connect"
        if c.callback:
            exten = "callback"
            # The caller's number comes from the network: only its digits reach Dial().
            variables["VAXEL_CALLBACK_DIAL"] = setup.callback_dial.replace(
                "{number}", dial_number(c.caller))
        log.info("acd.offer", call_id=c.call_id, agent_id=c.agent_id, device=c.device,
                 callback=c.callback, node=node)
        self._spawn(self._originate(c, channel_id, exten, variables, node))

    async def _originate(self, c: m.OfferCall, channel_id: str, exten: str,
                         variables: Mapping[str, str], node: str) -> None:
        from infra.ami import AmiError, AmiUnavailable

        try:
            response = await self._ami_of(node).originate(
                c.device, context=control.AGENT_CONTEXT, exten=exten, variables=variables,
                channel_id=channel_id, caller_id=c.caller or None, timeout=c.ring_timeout)
        except AmiUnavailable as exc:
            log.warning("acd.node_unreachable", call_id=c.call_id, node=node, error=str(exc))
            response = {"Response": "Failure", "Reason": UNREACHABLE}
        except AmiError as exc:
            log.warning("acd.originate_failed", call_id=c.call_id, error=str(exc))
            response = {"Response": "Failure", "Reason": "0"}
        if response.get("Response") != "Success" and not getattr(self._ami_of(node),
                                                                 "connected", True):
            # The box died while its phone was being rung (its AMI link went with it): not
            # the agent's miss either.
            log.warning("acd.node_lost_during_offer", call_id=c.call_id, node=node)
            response = {"Response": "Failure", "Reason": UNREACHABLE}
        self._inbox.put_nowait(("outcome", Outcome(c.call_id, channel_id, response, node)))

    async def _cancel_offer(self, c: m.CancelOffer) -> None:
        offer = self._offers.get(c.call_id)
        if offer is None or offer.agent_id != c.agent_id:
            return
        del self._offers[c.call_id]
        await self._hangup(offer.channel_id, offer.node)
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
        channel, node = cast(list[str | None], await self._client.hmget(key, ["channel", "node"]))
        with contextlib.suppress(AmiError):
            await self._ami_of(node or "").action({"Action": "Redirect", "Channel": channel,
                                    "Context": "vaxel-fallback", "Exten": "s", "Priority": "1"})
        log.info("acd.call_left", call_id=c.call_id, reason=c.reason)

    async def _record(self, c: m.RecordEvent) -> None:
        if c.kind in ENGINE_ONLY_KINDS:
            await self.store.record(c)
        elif c.kind == "agent_state" and c.cause == "WrapUpTimer" and c.agent_id:
            with contextlib.suppress(RoutingError):
                await self.store.end_wrap_up(c.agent_id, c.at)

    async def _hangup(self, channel_id: str, node: str = "") -> None:
        from infra.ami import AmiError

        with contextlib.suppress(AmiError):
            await self._ami_of(node).action({"Action": "Hangup", "Channel": channel_id})

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


_COMMANDS: dict[type, Callable[[Router, Any], Any]] = {
    m.OfferCall: Router._offer_call,
    m.CancelOffer: Router._cancel_offer,
    m.AnnounceWait: Router._announce_wait,
    m.OfferCallback: Router._offer_callback,
    m.PauseAgent: Router._pause_agent,
    m.RejectCall: Router._leave,
    m.LeaveQueue: Router._leave,
    m.RecordEvent: Router._record,
}

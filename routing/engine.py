"""The queue engine: a pure state machine from events to commands.

`Engine.handle(event, now)` applies one event and returns the commands to execute;
`Engine.next_deadline()` says when the adapter must report `TimerFired` (escalation
steps, ring timeouts, wrap-up, announcements, callback offers, maximum wait). Only
`TimerFired` runs timers, so an adapter that reports it at the deadline keeps the
escalation index exact. Legal transitions are the tables in `routing.states`; an
event is checked against them before anything changes, so an illegal event raises
and changes nothing.

Invariants after every `handle`: an agent holds at most one call; no waiting call
has an eligible available agent (every newly waiting call and every newly available
agent is matched before `handle` returns, by the rule in `routing.matcher`); a call
that goes back to the queue keeps its place (priority, enqueue time, sequence).

The state, its queries and the primitive moves are `routing.engine_state`; this module
holds what each event and timer means.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from routing import messages as m
from routing.engine_state import EngineState
from routing.errors import ConfigError, IllegalTransition
from routing.model import (
    MISSED_CALLS_REASON,
    Agent,
    AgentState,
    Call,
    CallState,
    NobodyLoggedIn,
    QueueConfig,
    next_step_at,
)
from routing.states import next_agent_state, next_call_state


class Engine(EngineState):
    """Skill-based queueing for a set of queues; see the module docstring."""

    # ------------------------------------------------------------ public API

    def handle(self, event: m.Event, now: float) -> list[m.Command]:
        """Apply `event` at time `now`; return the commands to execute, in order."""
        self._out, self._dirty_calls, self._dirty_agents, self._greet = [], {}, [], []
        handler = _HANDLERS.get(type(event))
        if handler is None:
            raise TypeError(f"Engine.handle: {type(event).__name__} is not a routing event")
        handler(self, event, now)
        self._dispatch(now)
        out, self._out = self._out, []
        return out

    # ------------------------------------------------------------ call events

    def _on_call_enqueued(self, e: m.CallEnqueued, now: float) -> None:
        queue = self._queues.get(e.queue)
        if queue is None:
            raise ConfigError(f"call {e.call_id!r} field queue", f"no queue named {e.queue!r}")
        next_call_state(e.call_id, self._calls[e.call_id].state if e.call_id in self._calls
                        else None, "CallEnqueued")
        call = Call(id=e.call_id, queue=e.queue, requirements=tuple(e.requirements),
                    priority=e.priority, caller=e.caller, escalation=queue.escalation,
                    enqueued_at=now if e.enqueued_at is None else e.enqueued_at,
                    last_agent=self._sticky(e, queue, now), seq=next(self._seq),
                    callback_requested=e.callback_requested)
        self._record("call_enqueued", now, call_id=call.id, state="waiting")
        if self._logged_in.count_in(e.queue) == 0:
            if queue.when_nobody_logged_in is NobodyLoggedIn.REJECT:
                self._out.append(m.RejectCall(call.id, "nobody logged in"))
                self._record("call_rejected", now, call_id=call.id, cause="nobody logged in")
                return
            if queue.when_nobody_logged_in is NobodyLoggedIn.CALLBACK:
                self._out.append(m.OfferCallback(call.id))
        self._calls[call.id] = call
        self._wait(call, now)
        self._arm_call_timers(call, queue, now)
        self._greet.append(call.id)

    def _on_call_restored(self, e: m.CallRestored, now: float) -> None:
        queue = self._queues.get(e.queue)
        if queue is None:
            raise ConfigError(f"call {e.call_id!r} field queue", f"no queue named {e.queue!r}")
        agent = self.agent(e.agent_id)
        next_call_state(e.call_id, self._calls[e.call_id].state if e.call_id in self._calls
                        else None, "CallRestored")
        next_agent_state(agent.id, agent.state, "CallRestored")
        if e.queue not in agent.queues:
            raise ConfigError(f"call {e.call_id!r} field agent_id",
                              f"agent {agent.id!r} is not in queue {e.queue!r}")
        call = Call(id=e.call_id, queue=e.queue, requirements=tuple(e.requirements),
                    priority=e.priority, enqueued_at=e.enqueued_at, caller=e.caller,
                    escalation=queue.escalation, seq=next(self._seq),
                    state=CallState.CONNECTED, agent_id=agent.id, answered_at=e.answered_at)
        self._calls[call.id] = call
        self._record("call_restored", now, call_id=call.id, agent_id=agent.id,
                     state="connected")
        self._move_agent(agent, "CallRestored", now, call_id=call.id)

    def _sticky(self, e: m.CallEnqueued, queue: QueueConfig, now: float) -> str | None:
        if e.last_agent is not None:
            return e.last_agent
        last = self._last_agent.get(e.caller) if e.caller else None
        if last is not None and now - last[1] <= queue.sticky_window_s:
            return last[0]
        return None

    def _remember_agent(self, caller: str, agent_id: str, now: float) -> None:
        """Sticky history, oldest first; entries older than every sticky window go."""
        self._last_agent.pop(caller, None)
        self._last_agent[caller] = (agent_id, now)
        for oldest, (_, ended) in list(itertools.islice(self._last_agent.items(), 8)):
            if now - ended <= self._max_sticky_s:
                break
            del self._last_agent[oldest]

    def _on_call_abandoned(self, e: m.CallAbandoned, now: float) -> None:
        call = self.call(e.call_id)
        next_call_state(call.id, call.state, "CallAbandoned")
        if call.state is CallState.CONNECTED:
            self._end_connected(call, "CallAbandoned", now)
            return
        if call.state is CallState.OFFERED and call.agent_id is not None:
            self._out.append(m.CancelOffer(call.id, call.agent_id))
            self._move_agent(self._agents[call.agent_id], "CallAbandoned", now, call_id=None)
        self._forget(call, now, "call_abandoned")

    def _on_callback_requested(self, e: m.CallbackRequested, now: float) -> None:
        call = self.call(e.call_id)
        next_call_state(call.id, call.state, "CallbackRequested")
        updated = replace(call, callback_requested=True)
        self._calls[call.id] = updated
        self._index.add(updated, now)
        self._timers.cancel("callback", call.id)
        self._timers.cancel("announce", call.id)
        self._record("callback_requested", now, call_id=call.id)

    def _on_call_ended(self, e: m.CallEnded, now: float) -> None:
        call = self.call(e.call_id)
        next_call_state(call.id, call.state, "CallEnded")
        self._end_connected(call, "CallEnded", now)

    def _end_connected(self, call: Call, event: str, now: float) -> None:
        queue = self._queues[call.queue]
        agent = self._agents[call.agent_id or ""]
        talk = now - (call.answered_at if call.answered_at is not None else now)
        self._handle[call.queue].record(talk + queue.wrap_up_s)
        if call.caller:
            self._remember_agent(call.caller, agent.id, now)
        self._move_agent(agent, event, now, call_id=None)
        self._forget(call, now, "call_ended")
        if queue.wrap_up_s > 0:
            self._timers.arm("wrap", agent.id, now + queue.wrap_up_s)
        else:
            self._move_agent(self._agents[agent.id], "WrapUpTimer", now, idle_since=now)

    # ------------------------------------------------------------ offer outcomes

    def _on_offer_answered(self, e: m.OfferAnswered, now: float) -> None:
        call, agent = self._offered_pair(e.call_id, e.agent_id, "OfferAnswered")
        self._timers.cancel("ring", call.id)
        self._move_call(call, "OfferAnswered", now, answered_at=now)
        self._move_agent(agent, "OfferAnswered", now, missed=0)

    def _on_offer_missed(self, e: m.OfferTimedOut | m.OfferRejected, now: float) -> None:
        call, agent = self._offered_pair(e.call_id, e.agent_id, type(e).__name__)
        self._missed(call, agent, type(e).__name__, now)

    def _missed(self, call: Call, agent: Agent, event: str, now: float) -> None:
        self._timers.cancel("ring", call.id)
        missed = agent.missed + 1
        if missed >= self._queues[call.queue].max_misses:
            event = "TooManyMisses"
            self._out.append(m.PauseAgent(agent.id, MISSED_CALLS_REASON))
        self._move_agent(agent, event, now, missed=missed, call_id=None,
                         pause_reason=MISSED_CALLS_REASON if event == "TooManyMisses" else None)
        self._return(call, event, now, exclude=frozenset({agent.id}))

    def _on_claim_failed(self, e: m.ClaimFailed, now: float) -> None:
        call, agent = self._offered_pair(e.call_id, e.agent_id, "ClaimFailed")
        self._timers.cancel("ring", call.id)
        self._move_agent(agent, "AgentTaken" if e.agent_taken else "ClaimFailed", now,
                         call_id=None)
        if e.call_taken:
            next_call_state(call.id, call.state, "CallTaken")
            self._forget(call, now, "call_taken_elsewhere")
        else:
            self._return(call, "ClaimFailed", now, exclude=frozenset({agent.id}))

    def _offered_pair(self, call_id: str, agent_id: str, event: str) -> tuple[Call, Agent]:
        call, agent = self.call(call_id), self.agent(agent_id)
        next_call_state(call.id, call.state, event)
        next_agent_state(agent.id, agent.state, event)
        if call.agent_id != agent.id:
            raise IllegalTransition(f"call {call.id!r}", f"offered to {call.agent_id!r}",
                                    f"{event} from agent {agent.id!r}")
        return call, agent

    # ------------------------------------------------------------ agent events

    def _on_agent_logged_in(self, e: m.AgentLoggedIn, now: float) -> None:
        old = self._agents.get(e.agent_id)
        next_agent_state(e.agent_id, old.state if old else AgentState.LOGGED_OUT, "AgentLoggedIn")
        unknown = sorted(set(e.queues) - set(self._queues))
        if unknown:
            raise ConfigError(f"agent {e.agent_id!r} field queues", f"unknown queues {unknown}")
        agent = Agent(id=e.agent_id, employee_id=e.employee_id, device=e.device,
                      skills=dict(e.skills), queues=frozenset(e.queues))
        self._move_agent(agent, "AgentLoggedIn", now, idle_since=now, missed=0)

    def _on_agent_logged_out(self, e: m.AgentLoggedOut, now: float) -> None:
        self._withdraw(self.agent(e.agent_id), "AgentLoggedOut", now, pause_reason=None)

    def _on_agent_paused(self, e: m.AgentPaused, now: float) -> None:
        self._withdraw(self.agent(e.agent_id), "AgentPaused", now, pause_reason=e.reason)

    def _withdraw(self, agent: Agent, event: str, now: float, **changes: Any) -> None:
        next_agent_state(agent.id, agent.state, event)
        self._timers.cancel("wrap", agent.id)
        if agent.state is AgentState.OFFERED and agent.call_id is not None:
            call = self._calls[agent.call_id]
            self._timers.cancel("ring", call.id)
            self._out.append(m.CancelOffer(call.id, agent.id))
            self._move_agent(agent, event, now, call_id=None, **changes)
            self._return(call, event, now, exclude=frozenset({agent.id}))
        else:
            self._move_agent(agent, event, now, **changes)

    def _on_agent_unpaused(self, e: m.AgentUnpaused, now: float) -> None:
        agent = self.agent(e.agent_id)
        self._move_agent(agent, "AgentUnpaused", now, pause_reason=None, missed=0, idle_since=now)

    def _on_wrap_up_ended(self, e: m.WrapUpEnded, now: float) -> None:
        agent = self.agent(e.agent_id)
        next_agent_state(agent.id, agent.state, "WrapUpEnded")
        self._timers.cancel("wrap", agent.id)
        self._move_agent(agent, "WrapUpEnded", now, idle_since=now)

    # ------------------------------------------------------------ timers

    def _on_timer_fired(self, e: m.TimerFired, now: float) -> None:
        for kind, subject in self._timers.due(now):
            _TIMER_HANDLERS[kind](self, subject, now)

    def _arm_call_timers(self, call: Call, queue: QueueConfig, now: float) -> None:
        step_at = next_step_at(call, now)
        if step_at is not None:
            self._timers.arm("step", call.id, step_at)
        self._timers.arm("announce", call.id, now + queue.announce_every_s)
        if queue.callback_after_s is not None:
            self._timers.arm("callback", call.id, call.enqueued_at + queue.callback_after_s)
        if queue.max_wait_s is not None:
            self._timers.arm("max_wait", call.id, call.enqueued_at + queue.max_wait_s)

    def _step_timer(self, call_id: str, now: float) -> None:
        call = self._calls.get(call_id)
        if call is None:
            return
        step_at = next_step_at(call, now)
        if step_at is not None:
            self._timers.arm("step", call.id, step_at)
        if call.state is CallState.WAITING:
            self._index.rekey(call.id, now)
            self._dirty_calls[call.id] = frozenset()
            self._record("call_escalated", now, call_id=call.id)

    def _announce_timer(self, call_id: str, now: float) -> None:
        call = self._calls.get(call_id)
        if call is None or call.callback_requested:
            return
        self._timers.arm("announce", call.id, now + self._queues[call.queue].announce_every_s)
        if call.state is CallState.WAITING:
            self._announce(call, now)

    def _callback_timer(self, call_id: str, now: float) -> None:
        call = self._calls.get(call_id)
        if call is not None and call.state is CallState.WAITING and not call.callback_requested:
            self._out.append(m.OfferCallback(call.id))

    def _max_wait_timer(self, call_id: str, now: float) -> None:
        call = self._calls.get(call_id)
        if call is not None and call.state is CallState.WAITING:
            next_call_state(call.id, call.state, "MaxWait")
            self._out.append(m.LeaveQueue(call.id, "max wait"))
            self._forget(call, now, "call_left_queue")

    def _ring_timer(self, call_id: str, now: float) -> None:
        call = self._calls[call_id]
        agent = self._agents[call.agent_id or ""]
        self._out.append(m.CancelOffer(call.id, agent.id))
        self._missed(call, agent, "RingTimeout", now)

    def _wrap_timer(self, agent_id: str, now: float) -> None:
        self._move_agent(self._agents[agent_id], "WrapUpTimer", now, idle_since=now)


_HANDLERS: dict[type, Callable[[Engine, Any, float], None]] = {
    m.CallEnqueued: Engine._on_call_enqueued,
    m.CallRestored: Engine._on_call_restored,
    m.CallAbandoned: Engine._on_call_abandoned,
    m.CallbackRequested: Engine._on_callback_requested,
    m.CallEnded: Engine._on_call_ended,
    m.OfferAnswered: Engine._on_offer_answered,
    m.OfferTimedOut: Engine._on_offer_missed,
    m.OfferRejected: Engine._on_offer_missed,
    m.ClaimFailed: Engine._on_claim_failed,
    m.AgentLoggedIn: Engine._on_agent_logged_in,
    m.AgentLoggedOut: Engine._on_agent_logged_out,
    m.AgentPaused: Engine._on_agent_paused,
    m.AgentUnpaused: Engine._on_agent_unpaused,
    m.WrapUpEnded: Engine._on_wrap_up_ended,
    m.TimerFired: Engine._on_timer_fired,
}

_TIMER_HANDLERS: dict[str, Callable[[Engine, str, float], None]] = {
    "step": Engine._step_timer,
    "announce": Engine._announce_timer,
    "callback": Engine._callback_timer,
    "max_wait": Engine._max_wait_timer,
    "ring": Engine._ring_timer,
    "wrap": Engine._wrap_timer,
}

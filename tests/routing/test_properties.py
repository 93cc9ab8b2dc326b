"""Property tests (hypothesis): the engine's invariants and the indexes' agreement
with the linear-scan definition of the selection rule."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from routing import messages as m
from routing.engine import Engine
from routing.errors import RoutingError
from routing.index import AgentPool, CallIndex
from routing.matcher import is_eligible, select_agent_for_call, select_call_for_agent
from routing.model import Agent, AgentState, Call, CallState

from .scripting import ESCALATION, KC, queue

SKILLS = ["topic:bygglov", "topic:skatt", "lang:sv", "lang:en", "district:bromma"]
OPS = ["login", "logout", "pause", "unpause", "enqueue", "abandon", "answer", "timeout",
       "reject", "end", "wrapup", "callback", "claimfail", "wait"]

skill_maps = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=4)
call_needs = st.lists(st.sampled_from(SKILLS), max_size=3, unique=True).map(tuple)
operation = st.tuples(st.sampled_from(OPS), st.integers(0, 5), st.floats(0, 40),
                      skill_maps, call_needs, st.integers(0, 9))


def _apply(e: Engine, op: tuple, now: float, serial: int) -> list[m.Command]:
    kind, i, _, skills, needs, prio = op
    agent_id, calls = f"a{i}", sorted(e.calls(), key=lambda c: c.id)
    call = calls[i % len(calls)] if calls else None
    events: dict[str, m.Event | None] = {
        "login": m.AgentLoggedIn(agent_id, agent_id, f"Local/{agent_id}", skills,
                                 frozenset({KC, "operators"} if i % 2 else {KC})),
        "logout": m.AgentLoggedOut(agent_id),
        "pause": m.AgentPaused(agent_id, "lunch"),
        "unpause": m.AgentUnpaused(agent_id),
        "enqueue": m.CallEnqueued(f"c{serial}", KC if prio % 3 else "operators", needs, prio,
                                  caller=f"070{i}"),
        "abandon": call and m.CallAbandoned(call.id),
        "answer": call and m.OfferAnswered(call.id, call.agent_id or agent_id),
        "timeout": call and m.OfferTimedOut(call.id, call.agent_id or agent_id),
        "reject": call and m.OfferRejected(call.id, call.agent_id or agent_id),
        "end": call and m.CallEnded(call.id),
        "wrapup": m.WrapUpEnded(agent_id),
        "callback": call and m.CallbackRequested(call.id),
        "claimfail": call and m.ClaimFailed(call.id, call.agent_id or agent_id,
                                            call_taken=i % 2 == 0, agent_taken=i % 3 == 0),
        "wait": None,
    }
    event = events[kind]
    if event is None:
        return []
    before = (dict((a.id, a) for a in e.agents()), dict((c.id, c) for c in e.calls()))
    try:
        return e.handle(event, now)
    except RoutingError:
        after = (dict((a.id, a) for a in e.agents()), dict((c.id, c) for c in e.calls()))
        assert after == before, "a refused event changed state"
        return []


def _check_invariants(e: Engine, out: list[m.Command], now: float) -> None:
    agents = list(e.agents())
    calls = list(e.calls())
    holders: dict[str, str] = {}
    for c in calls:
        if c.state in (CallState.OFFERED, CallState.CONNECTED):
            assert c.agent_id not in holders, f"agent {c.agent_id} holds two calls"
            holders[c.agent_id] = c.id
            assert e.agent(c.agent_id).call_id == c.id
    for a in agents:
        if a.state in (AgentState.OFFERED, AgentState.ON_CALL):
            assert holders.get(a.id) == a.call_id
        else:
            assert a.id not in holders
    waiting = [c for c in calls if c.state is CallState.WAITING]
    for a in agents:
        for c in waiting:
            assert not is_eligible(a, c, now), f"{c.id} starves while {a.id} is available"
    for offer in (o for o in out if isinstance(o, m.OfferCall)):
        offered = e.call(offer.call_id) if offer.call_id in {c.id for c in calls} else None
        if offered is None or offered.agent_id != offer.agent_id:
            continue
        free = replace(e.agent(offer.agent_id), state=AgentState.AVAILABLE)
        # A call the agent missed in this same step is not offered to them again at once
        # (the engine returns it excluding them), so it may wait while they take another.
        missed = {o.call_id for o in out
                  if isinstance(o, m.CancelOffer) and o.agent_id == offer.agent_id}
        for c in waiting:
            if c.id not in missed and is_eligible(free, c, now):
                assert c.order_key() > offered.order_key(), f"{c.id} overtaken by {offered.id}"


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=60), st.booleans())
def test_engine_invariants_hold_for_any_event_sequence(ops, escalate):
    """No agent holds two calls; no waiting call has an eligible available agent;
    an offer never passes over a better-placed call the agent could take; refused
    events change nothing."""
    extra = {"escalation": ESCALATION} if escalate else {}
    e = Engine([queue(max_misses=2, wrap_up_s=5, max_wait_s=200, callback_after_s=100,
                      announce_every_s=30, **extra), queue(name="operators")])
    now = 0.0
    for serial, op in enumerate(ops):
        now += op[2]
        while (deadline := e.next_deadline()) is not None and deadline <= now:
            _check_invariants(e, e.handle(m.TimerFired(), deadline), deadline)
        _check_invariants(e, _apply(e, op, now, serial), now)


agents_st = st.lists(
    st.builds(lambda i, s, q, idle: Agent(f"a{i}", "", "", s, q, AgentState.AVAILABLE,
                                          idle_since=idle),
              st.integers(0, 30), skill_maps,
              st.sampled_from([frozenset({KC}), frozenset({"operators"}),
                               frozenset({KC, "operators"})]),
              st.integers(0, 5).map(float)),
    max_size=12, unique_by=lambda a: a.id)
calls_st = st.lists(
    st.builds(lambda i, q, needs, prio, at, esc: Call(
        f"c{i}", q, needs, prio, enqueued_at=at, seq=i, escalation=ESCALATION if esc else ()),
        st.integers(0, 60), st.sampled_from([KC, "operators"]), call_needs,
        st.integers(0, 9), st.integers(0, 100).map(float), st.booleans()),
    max_size=25, unique_by=lambda c: c.id)


@settings(max_examples=300, deadline=None)
@given(agents_st, calls_st, st.integers(100, 250).map(float))
def test_call_index_agrees_with_linear_scan(agents, calls, now):
    index = CallIndex()
    for c in calls:
        index.add(c, now)
    for a in agents:
        assert index.best_for(a) == select_call_for_agent(a, calls, now)


@settings(max_examples=300, deadline=None)
@given(agents_st, calls_st, st.integers(100, 250).map(float))
def test_agent_pool_agrees_with_linear_scan(agents, calls, now):
    pool = AgentPool()
    for a in agents:
        pool.add(a)
    for c in calls:
        assert pool.best_for(c, now) == select_agent_for_call(c, agents, now)

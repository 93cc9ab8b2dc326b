"""The queue engine driven by scripted events and time."""

from __future__ import annotations

import pytest

from routing import messages as m
from routing.errors import ConfigError, IllegalTransition, UnknownCall
from routing.model import AgentState, CallState, NobodyLoggedIn
from routing.states import describe

from .scripting import ESCALATION, KC, engine, login, of_type, offers


def test_call_with_topic_goes_to_agent_with_that_skill_not_the_other():
    e = engine()
    e.handle(login("generalist", {"topic:skatt": 5}), 0)
    e.handle(login("bygg", {"topic:bygglov": 2}), 1)
    out = e.handle(m.CallEnqueued("c1", KC, ("topic:bygglov",)), 2)
    assert offers(out) == [("c1", "bygg")]
    assert e.agent("bygg").state is AgentState.OFFERED
    assert e.call("c1").state is CallState.OFFERED


def test_when_several_agents_free_then_best_skill_match_wins_over_longest_idle():
    e = engine()
    e.handle(login("idle-long", {"topic:bygglov": 2, "lang:sv": 1}), 0)
    e.handle(login("expert", {"topic:bygglov": 5, "lang:sv": 1}), 10)
    out = e.handle(m.CallEnqueued("c1", KC, ("topic:bygglov", "lang:sv")), 20)
    assert offers(out) == [("c1", "expert")]


def test_when_skill_match_ties_then_longest_idle_agent_wins():
    e = engine()
    e.handle(login("b", {"topic:bygglov": 3}), 5)
    e.handle(login("a", {"topic:bygglov": 3}), 0)
    e.handle(login("c", {"topic:bygglov": 3}), 1)
    assert offers(e.handle(m.CallEnqueued("c1", KC, ("topic:bygglov",)), 20)) == [("c1", "a")]


def test_when_agent_frees_up_then_highest_priority_then_longest_wait_is_taken():
    e = engine()
    e.handle(m.CallEnqueued("old-low", KC, (), priority=1), 0)
    e.handle(m.CallEnqueued("new-high", KC, (), priority=7), 5)
    e.handle(m.CallEnqueued("old-high", KC, (), priority=7), 3)
    assert offers(e.handle(login("a"), 10)) == [("old-high", "a")]
    assert repr(e) == "<Queue kontaktcenter: 2 waiting, 0 agents free>"


def test_given_no_skilled_agent_when_step_expires_then_call_escalates_to_any_agent():
    e = engine(escalation=ESCALATION)
    e.handle(login("novice", {"topic:bygglov": 1}), 0)
    out = e.handle(m.CallEnqueued("c1", KC, ("topic:bygglov", "district:bromma")), 0)
    assert offers(out) == []
    assert e.next_deadline() == 30
    assert offers(e.handle(m.TimerFired(), 29.9)) == []
    assert offers(e.handle(m.TimerFired(), 30)) == [("c1", "novice")]


def test_given_the_any_agent_step_then_agent_without_the_topic_takes_the_call():
    e = engine(escalation=ESCALATION)
    e.handle(login("other", {"topic:skatt": 4}), 0)
    e.handle(m.CallEnqueued("c1", KC, ("topic:bygglov",)), 0)
    assert offers(e.handle(m.TimerFired(), 30)) == []
    assert e.next_deadline() == 90
    assert offers(e.handle(m.TimerFired(), 90)) == [("c1", "other")]


def test_missed_offer_returns_call_to_its_place_ahead_of_later_calls():
    e = engine(ring_timeout_s=15)
    e.handle(m.CallEnqueued("first", KC, ()), 0)
    e.handle(m.CallEnqueued("second", KC, ()), 1)
    e.handle(login("sleepy"), 2)
    assert e.next_deadline() == 17
    out = e.handle(m.TimerFired(), 17)
    assert of_type(out, m.CancelOffer) == [m.CancelOffer("first", "sleepy")]
    assert e.agent("sleepy").missed == 1
    assert offers(out) == [("first", "sleepy")]  # nobody else: rings again, still first
    e.handle(login("awake"), 21)
    assert e.call("second").agent_id == "awake"


def test_missed_offer_goes_to_another_free_agent_before_the_one_who_missed():
    e = engine()
    e.handle(login("a"), 0)
    e.handle(login("b"), 1)
    e.handle(m.CallEnqueued("c1", KC, ()), 2)
    assert offers(e.handle(m.OfferRejected("c1", "a"), 3)) == [("c1", "b")]


def test_given_only_the_missing_agent_then_the_call_rings_them_again():
    e = engine()
    e.handle(login("solo"), 0)
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    out = e.handle(m.OfferRejected("c1", "solo"), 3)
    assert offers(out) == [("c1", "solo")]


def test_agent_is_paused_with_reason_after_max_misses():
    e = engine(max_misses=2)
    e.handle(login("a"), 0)
    e.handle(login("b"), 0.5)
    e.handle(m.CallEnqueued("c1", KC, ()), 1)
    e.handle(m.OfferTimedOut("c1", "a"), 16)  # a missed once; c1 goes to b
    e.handle(m.OfferTimedOut("c1", "b"), 31)  # b missed once; back to a
    out = e.handle(m.OfferTimedOut("c1", "a"), 46)
    assert m.PauseAgent("a", "missed calls") in out
    agent = e.agent("a")
    assert (agent.state, agent.pause_reason, agent.missed) == (AgentState.PAUSED, "missed calls", 2)
    assert offers(out) == [("c1", "b")]


def test_answered_offer_resets_missed_and_call_end_starts_wrap_up():
    e = engine(wrap_up_s=20)
    e.handle(login("a"), 0)
    e.handle(login("b"), 0)
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    e.handle(m.OfferTimedOut("c1", "a"), 15)
    e.handle(m.OfferAnswered("c1", "b"), 16)
    e.handle(m.CallEnded("c1"), 100)
    assert e.agent("b").state is AgentState.WRAP_UP
    assert e.next_deadline() == 120
    e.handle(m.TimerFired(), 120)
    assert e.agent("b").state is AgentState.AVAILABLE
    assert e.agent("b").idle_since == 120


def test_caller_phoning_back_within_window_goes_to_last_agent():
    e = engine(sticky_window_s=600)
    e.handle(login("expert", {"topic:bygglov": 5}), 0)
    e.handle(login("helper", {"topic:bygglov": 1}), 0)
    e.handle(m.CallEnqueued("c1", KC, ("topic:bygglov",), caller="0701"), 1)
    e.handle(m.OfferRejected("c1", "expert"), 2)
    e.handle(m.OfferAnswered("c1", "helper"), 3)
    e.handle(m.CallEnded("c1"), 60)
    out = e.handle(m.CallEnqueued("c2", KC, ("topic:bygglov",), caller="0701"), 200)
    assert offers(out) == [("c2", "helper")]
    e.handle(m.CallAbandoned("c2"), 201)
    late = e.handle(m.CallEnqueued("c3", KC, ("topic:bygglov",), caller="0701"), 1000)
    assert offers(late) == [("c3", "expert")]


def test_caller_hanging_up_while_waiting_leaves_the_queue():
    e = engine()
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    e.handle(m.CallAbandoned("c1"), 5)
    assert offers(e.handle(login("a"), 6)) == []
    with pytest.raises(UnknownCall):
        e.call("c1")


def test_caller_hanging_up_while_ringing_cancels_offer_and_frees_agent():
    e = engine()
    e.handle(login("a"), 0)
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    out = e.handle(m.CallAbandoned("c1"), 5)
    assert m.CancelOffer("c1", "a") in out
    assert e.agent("a").state is AgentState.AVAILABLE
    assert e.next_deadline() is None


def test_announcement_gives_position_and_estimate_from_handle_times_and_staffing():
    e = engine(default_handle_s=120)
    e.handle(login("a"), 0)
    e.handle(login("b"), 0)
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    e.handle(m.CallEnqueued("c2", KC, ()), 0)
    e.handle(m.OfferAnswered("c1", "a"), 1)
    e.handle(m.OfferAnswered("c2", "b"), 1)
    e.handle(m.CallEnqueued("c3", KC, ()), 2)
    out = e.handle(m.CallEnqueued("c4", KC, ()), 3)
    # position 2, AHT 120 s (no history yet), 2 staffed agents: 2 * 120 / 2
    assert of_type(out, m.AnnounceWait) == [m.AnnounceWait("c4", 2, 120.0)]
    e.handle(m.CallEnded("c1"), 61)  # a took c3: handle time 60 s now in the window
    e.handle(m.OfferAnswered("c3", "a"), 62)
    assert e.estimated_wait(e.call("c4"), 63) == 30.0  # 1 * 60 / 2


def test_estimate_is_unknown_when_no_agent_is_staffed():
    e = engine()
    out = e.handle(m.CallEnqueued("c1", KC, ()), 0)
    assert of_type(out, m.AnnounceWait) == [m.AnnounceWait("c1", 1, None)]


def test_callback_is_offered_after_configured_wait_and_keeps_place():
    e = engine(callback_after_s=300)
    e.handle(m.CallEnqueued("c1", KC, (), caller="0701"), 0)
    e.handle(m.CallEnqueued("c2", KC, ()), 1)
    assert of_type(e.handle(m.TimerFired(), 300), m.OfferCallback) == [m.OfferCallback("c1")]
    e.handle(m.CallbackRequested("c1"), 305)
    out = e.handle(login("a"), 400)
    assert of_type(out, m.OfferCall) == [
        m.OfferCall("c1", "a", "PJSIP/a", 15.0, callback=True, caller="0701")
    ]


def test_given_reject_policy_when_nobody_logged_in_then_call_is_rejected_not_queued():
    e = engine(when_nobody_logged_in=NobodyLoggedIn.REJECT)
    out = e.handle(m.CallEnqueued("c1", KC, ()), 0)
    assert of_type(out, m.RejectCall) == [m.RejectCall("c1", "nobody logged in")]
    assert list(e.calls()) == []


def test_paused_agent_logged_in_counts_as_logged_in_for_reject_policy():
    e = engine(when_nobody_logged_in=NobodyLoggedIn.REJECT)
    e.handle(login("a"), 0)
    e.handle(m.AgentPaused("a", "lunch"), 1)
    assert of_type(e.handle(m.CallEnqueued("c1", KC, ()), 2), m.RejectCall) == []


def test_max_wait_makes_the_call_leave_the_queue():
    e = engine(max_wait_s=600)
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    assert of_type(e.handle(m.TimerFired(), 600), m.LeaveQueue) == [m.LeaveQueue("c1", "max wait")]
    assert list(e.waiting()) == []


def test_pausing_an_offered_agent_withdraws_the_offer_without_a_miss():
    e = engine()
    e.handle(login("a"), 0)
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    out = e.handle(m.AgentPaused("a", "möte"), 2)
    assert m.CancelOffer("c1", "a") in out
    assert e.agent("a").missed == 0
    assert e.call("c1").state is CallState.WAITING


def test_claim_failed_because_call_taken_elsewhere_drops_it_here():
    e = engine()
    e.handle(login("a"), 0)
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    e.handle(m.ClaimFailed("c1", "a", call_taken=True), 0.1)
    assert list(e.calls()) == []
    assert e.agent("a").state is AgentState.AVAILABLE and e.agent("a").missed == 0


def test_illegal_transition_names_state_and_event_and_changes_nothing():
    e = engine()
    e.handle(login("a"), 0)
    e.handle(m.CallEnqueued("c1", KC, ()), 0)
    e.handle(m.OfferAnswered("c1", "a"), 1)
    before = (e.agent("a"), e.call("c1"))
    with pytest.raises(IllegalTransition, match="agent 'a' is on_call: event AgentPaused"):
        e.handle(m.AgentPaused("a"), 2)
    with pytest.raises(IllegalTransition, match="call 'c1' is connected: event OfferTimedOut"):
        e.handle(m.OfferTimedOut("c1", "a"), 2)
    assert (e.agent("a"), e.call("c1")) == before


def test_answer_from_an_agent_the_call_was_not_offered_to_is_refused():
    e = engine()
    e.handle(login("a"), 0)
    e.handle(login("b"), 1)
    e.handle(m.CallEnqueued("c1", KC, ()), 2)
    e.handle(m.CallEnqueued("c2", KC, ()), 2)
    assert e.call("c2").agent_id == "b"
    with pytest.raises(IllegalTransition, match="offered to 'a'"):
        e.handle(m.OfferAnswered("c1", "b"), 3)


def test_unknown_queue_is_a_config_error_naming_the_field():
    with pytest.raises(ConfigError, match="call 'c1' field queue: no queue named 'nope'"):
        engine().handle(m.CallEnqueued("c1", "nope", ()), 0)


def test_bad_priority_is_refused_and_nothing_is_queued():
    e = engine()
    with pytest.raises(ConfigError, match="priority"):
        e.handle(m.CallEnqueued("c1", KC, (), priority=12), 0)
    assert list(e.calls()) == []


def test_transition_table_can_describe_itself():
    text = describe()
    assert "offered --TooManyMisses--> paused" in text
    assert "(new) --CallEnqueued--> waiting" in text


def test_sticky_history_forgets_callers_older_than_every_window():
    e = engine(sticky_window_s=100)
    e.handle(login("a"), 0)
    for i in range(20):
        e.handle(m.CallEnqueued(f"c{i}", KC, (), caller=f"070{i}"), i * 50)
        e.handle(m.OfferAnswered(f"c{i}", "a"), i * 50 + 1)
        e.handle(m.CallEnded(f"c{i}"), i * 50 + 2)
    assert e.sticky_callers() == 3  # the callers of the last 100 s only

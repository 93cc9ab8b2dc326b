"""Where a call coming back to its operator goes (pure decision)."""

from __future__ import annotations

import pytest

from switchboard.returns import (
    QueueReturn,
    ReturnFacts,
    RingOperator,
    decide_return,
    find_agent,
)

PHONE = "PJSIP/1000"


def facts(reason="transfer", queue="operators", agent_id="eva", state="available"):
    return ReturnFacts(reason, "eva", PHONE, queue, agent_id, state)


@pytest.mark.parametrize("state", ["available", "on_call", "wrap_up", "paused", "offered"])
def test_given_an_operators_queue_and_the_operator_logged_in_then_queued_high_with_them_first(
        state):
    """Free: the router offers it to them first; busy: it waits at priority 8 for anyone."""
    assert decide_return(facts(state=state)) == QueueReturn("operators", 8, "eva")
    assert decide_return(facts(state=state), priority=7) == QueueReturn("operators", 7, "eva")


@pytest.mark.parametrize("reason", ["transfer", "hold", "parked"])
def test_every_return_reason_but_unhold_is_queued(reason):
    assert isinstance(decide_return(facts(reason=reason)), QueueReturn)


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"queue": None}, "no operators queue configured: the phone rings as before"),
    ({"reason": "unhold"}, "the operator took the call back themselves"),
    ({"agent_id": None, "state": None}, "the operator is not an agent"),
    ({"state": "logged_out"}, "logged out: the queue would never offer it to them"),
])
def test_otherwise_the_operators_phone_rings(kwargs, why):
    assert decide_return(facts(**kwargs)) == RingOperator(PHONE), why


def test_the_operator_is_found_by_id_else_by_the_phone_the_call_returns_to():
    agents = [("bo", "PJSIP/1001", "on_call"), ("eva", PHONE, "available")]
    assert find_agent(agents, "eva", "PJSIP/9") == ("eva", "available")
    assert find_agent(agents, "operator", PHONE) == ("eva", "available")
    assert find_agent(agents, "operator", "") is None
    assert find_agent(agents, "nobody", "PJSIP/9") is None

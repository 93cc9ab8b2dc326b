"""The agent's desk: the pure "answer next" rules, and the desk against a real Redis."""

from __future__ import annotations

import pytest

from routing.desk import AgentDesk, head_for, next_step
from routing.errors import IllegalTransition
from routing.model import Agent, AgentState, Call, EscalationStep, QueueConfig, Requirement

OPS = QueueConfig("operators", escalation=(
    EscalationStep(0, (Requirement("district"),)), EscalationStep(30, ())))


def _id(call: Call | None) -> str | None:
    return None if call is None else call.id


def _agent(state: AgentState = AgentState.AVAILABLE, **skills: int) -> Agent:
    named = {k.replace("_", ":", 1): v for k, v in skills.items()}
    return Agent("eva", "e1", "PJSIP/1000", named, frozenset({"operators"}), state)


@pytest.mark.parametrize(("state", "step"), [
    (AgentState.AVAILABLE, None), (AgentState.PAUSED, "unpause"),
    (AgentState.WRAP_UP, "end_wrap_up")])
def test_given_a_free_paused_or_wrapping_up_agent_then_next_makes_them_available(state, step):
    assert next_step(_agent(state)) == step


@pytest.mark.parametrize("state", [AgentState.ON_CALL, AgentState.OFFERED,
                                   AgentState.LOGGED_OUT])
def test_given_an_agent_on_a_call_or_logged_out_then_next_is_refused_naming_the_state(state):
    with pytest.raises(IllegalTransition, match=f"agent 'eva' is {state.value}"):
        next_step(_agent(state))


def test_given_waiting_calls_then_the_head_is_the_highest_priority_the_agent_may_take_now():
    sodermalm = Call("c1", "operators", ("district:sodermalm",), 0, enqueued_at=0.0)
    returned = Call("c2", "operators", (), 8, enqueued_at=50.0, last_agent="bo")
    other_queue = Call("c3", "kontaktcenter", (), 9, enqueued_at=0.0)
    calls = [sodermalm, returned, other_queue]
    # priority 8 first, even though it came later
    assert _id(head_for(_agent(AgentState.PAUSED), calls, {"operators": OPS}, 60.0)) == "c2"
    # without the district, c1 is not theirs until its escalation step (30 s) has passed
    assert head_for(_agent(), [sodermalm], {"operators": OPS}, 10.0) is None
    assert _id(head_for(_agent(), [sodermalm], {"operators": OPS}, 31.0)) == "c1"
    assert _id(head_for(_agent(district_sodermalm=1), [sodermalm], {"operators": OPS},
                        10.0)) == "c1"
    assert returned.escalation == ()   # the store's calls are not changed


async def test_given_a_paused_operator_when_next_then_unpaused_and_told_the_head(store):
    desk = AgentDesk(store, {"operators": OPS}, clock=lambda: 100.0)
    await desk.login("eva", "PJSIP/1000", queues=["operators"],
                     skills={"district:sodermalm": 3})
    await desk.pause("eva", "lunch")
    await store.enqueue(Call("c1", "operators", ("district:sodermalm",), 0, enqueued_at=90.0,
                             caller="0701234567"))
    await store.enqueue(Call("c2", "operators", ("district:bromma",), 0, enqueued_at=80.0))
    result = await desk.next("eva")
    assert result.done == "unpause" and result.agent.state is AgentState.AVAILABLE
    assert result.call is not None and result.call.id == "c1"   # c2 needs Bromma for 30 s
    again = await desk.next("eva")
    assert again.done is None and again.call is not None and again.call.id == "c1"


async def test_given_login_without_queues_or_device_then_refused_and_nothing_stored(store):
    from routing.errors import ConfigError, UnknownAgent

    desk = AgentDesk(store)
    with pytest.raises(ConfigError, match="queues"):
        await desk.login("eva", "PJSIP/1000", queues=[])
    with pytest.raises(ConfigError, match="device"):
        await desk.login("eva", " ", queues=["operators"])
    with pytest.raises(UnknownAgent):
        await desk.status("eva")

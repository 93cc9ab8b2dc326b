"""The pure call-control translations of routing.control: configuration strings, AMI
outcomes, agent synchronisation and the take-over plan."""

from __future__ import annotations

import pytest

from infra.config import ConfigError as VaxelConfigError
from infra.config import QueueSettings
from routing import control
from routing import messages as m
from routing.control import (
    Channel,
    HangupMeaning,
    agent_for_phone,
    agent_sync,
    announcement,
    feature_code_effect,
    hangup_meaning,
    is_leg_of,
    offer_channel_id,
    originate_outcome,
    parse_config,
    parse_escalation,
    parse_requirements,
    plan_takeover,
    queue_config,
)
from routing.errors import ConfigError
from routing.model import Agent, AgentState, Call, CallState, Requirement


def test_requirements_text_becomes_skill_names_in_order():
    assert parse_requirements("topic=bygglov; lang=sv", "x") == ("topic:bygglov", "lang:sv")
    assert parse_requirements("", "x") == ()


@pytest.mark.parametrize("text", ["topic", "=sv", "lang=", "a:b=c"])
def test_bad_requirement_names_the_place(text):
    with pytest.raises(ConfigError, match="queues.k.requirements"):
        parse_requirements(text, "queues.k.requirements")


def test_escalation_steps_parse_kinds_levels_and_any_agent():
    steps = parse_escalation(["0:topic=3,district", "30:topic", "90:"], "q")
    assert [s.after_seconds for s in steps] == [0, 30, 90]
    assert steps[0].requirements == (Requirement("topic", 3), Requirement("district", 1))
    assert steps[2].requirements == ()


@pytest.mark.parametrize("text", ["topic", "x:topic", "0:topic=high", "-1:topic"])
def test_bad_escalation_step_names_its_index(text):
    with pytest.raises(ConfigError, match=r"q\[0\]"):
        parse_escalation([text], "q")


def test_callbacks_are_offered_only_when_the_queue_can_dial_back():
    without = queue_config("k", QueueSettings(callback_after_s=60))
    with_dial = queue_config("k", QueueSettings(callback_after_s=60,
                                                callback_dial="PJSIP/{number}"))
    assert without.callback_after_s is None and with_dial.callback_after_s == 60


def test_config_reports_every_bad_queue_key_with_its_name():
    with pytest.raises(VaxelConfigError) as err:
        parse_config({"queues": {"k": {"escalation": ["10:topic"], "priority": 12},
                                 "o": {"requirements": "lang"}}}, "vaxel.toml", env={})
    text = str(err.value)
    assert "queues.k: queue 'k' field escalation: the first step must start at 0" in text
    assert "queues.k.priority: 12 is outside 0..9" in text
    assert "queues.o.requirements" in text


def test_originate_response_maps_to_offer_outcome():
    assert originate_outcome({"Response": "Success"}, "c", "a") == m.OfferAnswered("c", "a")
    assert originate_outcome({"Response": "Failure", "Reason": "5"}, "c", "a") == \
        m.OfferRejected("c", "a")
    assert originate_outcome({"Response": "Failure", "Reason": "3"}, "c", "a") == \
        m.OfferTimedOut("c", "a")


def test_agent_legs_are_recognised_by_call_id_including_local_halves():
    leg = offer_channel_id("vx1-2", 7)
    assert is_leg_of(leg, "vx1-2") and is_leg_of(leg + ";2", "vx1-2")
    assert not is_leg_of(leg, "vx1") and not is_leg_of("vx1-2", "vx1-2")


def _call(call_id: str, state: CallState = CallState.WAITING, callback: bool = False,
          agent: str | None = None) -> Call:
    return Call(call_id, "k", state=state, callback_requested=callback, agent_id=agent)


def test_hangup_of_a_waiting_caller_is_abandonment_unless_a_callback_is_booked():
    assert hangup_meaning(_call("c")) is HangupMeaning.ABANDONED
    assert hangup_meaning(_call("c", callback=True)) is HangupMeaning.IGNORED
    assert hangup_meaning(_call("c", CallState.CONNECTED, agent="a")) is HangupMeaning.ENDED
    assert hangup_meaning(None) is HangupMeaning.IGNORED


def _agent(state: AgentState, reason: str | None = None) -> Agent:
    return Agent("anna", "e1", "PJSIP/1", {"lang:sv": 2}, frozenset({"k"}), state=state,
                 pause_reason=reason)


def test_agent_sync_brings_the_engine_to_the_store_state():
    paused = agent_sync(_agent(AgentState.PAUSED, "lunch"), None)
    assert [type(e) for e in paused] == [m.AgentLoggedIn, m.AgentPaused]
    assert agent_sync(_agent(AgentState.AVAILABLE), _agent(AgentState.PAUSED)) == \
        [m.AgentUnpaused("anna")]
    assert agent_sync(_agent(AgentState.AVAILABLE), _agent(AgentState.WRAP_UP)) == \
        [m.WrapUpEnded("anna")]
    assert agent_sync(_agent(AgentState.LOGGED_OUT), _agent(AgentState.ON_CALL)) == \
        [m.AgentLoggedOut("anna")]
    assert agent_sync(_agent(AgentState.ON_CALL), _agent(AgentState.ON_CALL)) == []


def test_takeover_plan_settles_store_against_live_channels():
    calls = [
        _call("gone"),                                          # caller hung up meanwhile
        _call("waits"),
        _call("ringing", CallState.OFFERED, agent="a1"),        # agent leg still ringing
        _call("bridged", CallState.OFFERED, agent="a2"),        # answered while no router
        _call("talked", CallState.CONNECTED, agent="a3"),       # ended while no router
        _call("booked", callback=True),                         # callback: caller not needed
    ]
    live = [Channel("waits", "L/1;2", "vaxel-hold", False),
            Channel("ringing", "L/2;2", "vaxel-hold", False),
            Channel(offer_channel_id("ringing", 1), "Local/2001@sim-phones-1;1", "", False),
            Channel("bridged", "L/3;2", "vaxel-hold", True),
            Channel(offer_channel_id("bridged", 4), "Local/2002@sim-phones-2;1", "", True),
            Channel("lost", "L/9;2", "vaxel-hold", False)]
    plan = plan_takeover(calls, live)
    assert [c.id for c in plan.answer] == ["bridged"]
    assert [(c.id, legs) for c, legs in plan.release] == \
        [("ringing", (offer_channel_id("ringing", 1),))]
    assert plan.finish == (("gone", "call_abandoned"), ("talked", "call_ended"))
    assert [c.uniqueid for c in plan.requeue] == ["lost"]


def test_announcement_says_place_then_rounded_wait_and_nothing_unknown():
    assert announcement(1, None) == ["queue_next"]
    assert announcement(4, 130) == ["queue_place_4", "queue_wait_2"]
    assert announcement(12, 20) == ["queue_place_many", "queue_wait_1"]
    assert announcement(3, 3600) == ["queue_place_3", "queue_wait_long"]


def test_every_announced_prompt_has_a_text_in_every_language():
    from infra.paths import repo_root
    from ivr.prompt_texts import collect_prompt_texts

    texts = collect_prompt_texts(repo_root() / "dialplans")
    keys = {k for p in range(1, 15) for w in (None, 30, 200, 599, 5000)
            for k in announcement(p, w)} | {"queue_callback_offer", "queue_callback_booked"}
    assert {k: set(texts[k]) for k in keys} == {k: {"sv", "en", "fi"} for k in keys}


def test_feature_codes_find_the_agent_by_the_phone_number_of_its_device():
    agents = [Agent("a", "e", "PJSIP/1001", {}, frozenset()),
              Agent("b", "e", "Local/2001@sim-phones", {}, frozenset())]
    assert agent_for_phone(agents, "2001").id == "b"
    assert agent_for_phone(agents, "1001").id == "a"
    assert agent_for_phone(agents, "") is None and agent_for_phone(agents, "9") is None


@pytest.mark.parametrize(("action", "state", "effect"), [
    ("login", AgentState.LOGGED_OUT, "login"), ("login", AgentState.AVAILABLE, None),
    ("logout", AgentState.ON_CALL, "logout"), ("logout", AgentState.LOGGED_OUT, None),
    ("pause", AgentState.AVAILABLE, "pause"), ("pause", AgentState.PAUSED, "unpause"),
    ("pause", AgentState.ON_CALL, None), ("dance", AgentState.AVAILABLE, None),
])
def test_feature_code_effect_by_agent_state(action, state, effect):
    assert feature_code_effect(action, state) == effect


def test_queue_load_counts_members_staffed_and_estimates_one_more_caller():
    from routing.control import queue_load
    from routing.model import Agent, AgentState

    def agent(name, state, queues=frozenset({"kc"})):
        return Agent(name, f"e-{name}", f"Local/{name}@sim-phones", {}, queues, state)

    agents = [agent("a", AgentState.AVAILABLE), agent("b", AgentState.ON_CALL),
              agent("c", AgentState.PAUSED), agent("d", AgentState.LOGGED_OUT),
              agent("e", AgentState.AVAILABLE, frozenset({"other"}))]
    load = queue_load("kc", 3, agents, 120.0)
    assert (load.waiting, load.logged_in, load.staffed) == (3, 3, 2)
    assert load.estimated_wait_s == 240.0                   # 4th caller * 120 s / 2 agents
    assert queue_load("kc", 0, [agents[2]], 120.0).estimated_wait_s is None


def test_given_queue_and_call_requirements_then_the_call_overrides_per_kind():
    """The queue's defaults apply unless the call names that kind itself."""
    assert control.call_requirements("lang=sv", "district=sodermalm", "x") == (
        "district:sodermalm", "lang:sv")
    assert control.call_requirements("lang=sv;topic=x", "lang=en", "x") == (
        "lang:en", "topic:x")
    assert control.call_requirements("", "", "x") == ()
    with pytest.raises(ConfigError, match="where"):
        control.call_requirements("lang", "", "where")

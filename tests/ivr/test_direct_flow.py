"""The shipped direct-call flow (dialplans/direct.yaml), simulated, and how the session picks it.

A dialled number no flow claims that is someone's extension runs the direct flow: ring the
person, or say the absence note and follow it; unanswered, the unit's answering group if the
configuration has it, then the contact center with the unit's topic and district and a boost.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from infra.paths import repo_root
from ivr import actions as a
from ivr.callstore import MemoryCallStore
from ivr.fakes import DictDirectory, ScriptedChannel, set_lines
from ivr.flowset import load_set
from ivr.registry import FlowRegistry
from ivr.run import Group
from ivr.session import run_session
from ivr.session_ports import SessionDeps
from ivr.simulate import simulate

STHLM = ZoneInfo("Europe/Stockholm")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=STHLM)
ANNA = a.Callee("e4711", "Anna Ekström", "PJSIP/4711", "u-bygglov", unit_topic="bygglov",
                unit_district="sodermalm", unit_group="grp-bygglov")
BJORN = a.Callee("e4712", "Björn Öberg", "PJSIP/4712", "u-skola", unit_topic="skola")
LEAVE = a.Absence("leave", "2027-03-01T00:00+01:00", "Föräldraledig.", "colleague", "4712")
LUNCH = a.Absence("lunch", "2026-11-24T13:00+01:00", "", "none", None)
TO_CC = "to_contact_center"
GROUPS = {"operators": Group("operators", "Local/1000@sim-phones", 30),
          "contact_center": Group("contact_center", "Local/2000@sim-phones", 30),
          "grp-bygglov": Group("grp-bygglov", "Local/3000@sim-phones&Local/3001@sim-phones", 15)}


@pytest.fixture(scope="module")
def flows():
    return load_set(repo_root() / "dialplans")


def direct(flows, dialled, statuses=(), absences=None, groups=None, language=None, *,
           keys=(), at=TUESDAY_10, caller="0701234567", load=None):
    directory = DictDirectory({"4711": ANNA, "4712": BJORN}, absences or {})
    return simulate(flows, "direct", list(keys), at, directory=directory, dialled=dialled,
                    dial_statuses=statuses, groups=groups or GROUPS, language=language,
                    caller=caller, queue_load=load)


def test_given_present_person_then_their_phones_ring_and_nothing_else(flows):
    result = direct(flows, "4711")
    assert result.destination == "extension 4711 (PJSIP/4711)"
    assert result.state.path[-1] == "dial:PJSIP/4711" and result.heard == []


@pytest.mark.parametrize("status", ["NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION"])
def test_given_person_unanswered_then_unit_group_rings_next(flows, status):
    result = direct(flows, "4711", [status])
    assert result.destination == "group grp-bygglov (Local/3000@sim-phones&Local/3001@sim-phones)"
    assert f"dialstatus:{status}" in result.state.path


def test_given_unit_group_unanswered_then_contact_center_with_unit_requirements_and_boost(
        flows):
    result = direct(flows, "4711", ["BUSY", "NOANSWER"])
    assert result.destination == ("queue kontaktcenter [topic=bygglov;district=sodermalm;"
                                  "lang=sv] priority 5")
    assert result.heard[-1] == "Du kopplas till stadens kontaktcenter."


def test_given_unit_group_not_configured_then_straight_to_contact_center(flows):
    result = direct(flows, "4711", ["NOANSWER"], groups={k: v for k, v in GROUPS.items()
                                                         if k != "grp-bygglov"})
    assert "group:none:grp-bygglov" in result.state.path
    assert result.destination.startswith("queue kontaktcenter [topic=bygglov;district=sodermalm")


def test_given_unit_without_group_or_district_then_those_are_left_out(flows):
    result = direct(flows, "4712", ["NOANSWER"], language="en")
    assert "group:none:-" in result.state.path
    assert result.destination == "queue kontaktcenter [topic=skola;lang=en] priority 5"


def test_given_absent_person_forwarding_to_colleague_then_note_said_and_colleague_rung(flows):
    result = direct(flows, "4711", absences={"4711": LEAVE})
    assert any("Anna Ekström" in h and "Föräldraledig" in h for h in result.heard)
    assert "forward:colleague" in result.state.path
    assert result.destination == "extension 4712 (PJSIP/4712)"


def test_given_colleague_of_absent_person_unanswered_then_contact_center(flows):
    result = direct(flows, "4711", ["NOANSWER"], absences={"4711": LEAVE})
    assert result.destination == "queue kontaktcenter [topic=skola;lang=sv] priority 5"


def test_given_absent_person_without_forward_then_caller_leaves_a_message(flows):
    result = direct(flows, "4711", absences={"4711": LUNCH})
    assert result.state.path[-5:] == ("forward:none", "message", "message:recorded",
                                      "message:taken", "message_saved")
    assert result.destination == "hang up"
    assert any("takes a message for employee e4711 from 0701234567 (recording messages/"
               in line for line in result.lines)


TUESDAY_20 = datetime(2026, 11, 24, 20, 0, tzinfo=STHLM)
NOBODY = {"kontaktcenter": a.QueueLoadKnown("kontaktcenter", 0, 0, 0, None)}
LONG_WAIT = {"kontaktcenter": a.QueueLoadKnown("kontaktcenter", 3, 2, 2, 900.0)}
SHORT_WAIT = {"kontaktcenter": a.QueueLoadKnown("kontaktcenter", 3, 2, 2, 120.0)}


def test_given_unanswered_and_contact_center_closed_then_caller_leaves_a_message(flows):
    result = direct(flows, "4711", ["NOANSWER", "NOANSWER"], keys=["1"], at=TUESDAY_20)
    path = result.state.path
    assert "closed" in path and "contact_center_closed" in path
    assert path[-3:] == ("message:recorded", "message:taken", "message_saved")
    assert "Kontaktcentret är stängt just nu." in result.heard


def test_given_closed_and_caller_presses_nothing_then_a_message_is_still_offered(flows):
    result = direct(flows, "4711", ["NOANSWER", "NOANSWER"], at=TUESDAY_20)
    assert "message:taken" in result.state.path


@pytest.mark.parametrize(("load", "verdict"), [(NOBODY, "nobody"), (LONG_WAIT, "wait")])
def test_given_contact_center_overloaded_then_caller_orders_a_callback(flows, load, verdict):
    result = direct(flows, "4711", ["NOANSWER", "NOANSWER"], keys=["2"], load=load)
    path = result.state.path
    assert f"queue-status:{verdict}" in path and "callback:taken" in path
    assert result.heard[-1].startswith("Tack. Den du sökte ringer upp dig")
    assert any("takes a callback for employee e4711 from 0701234567" in line
               for line in result.lines)


def test_given_contact_center_within_limits_then_caller_is_queued(flows):
    result = direct(flows, "4711", ["NOANSWER", "NOANSWER"], load=SHORT_WAIT)
    assert "queue-status:open" in result.state.path
    assert result.destination.startswith("queue kontaktcenter")


def test_given_hidden_number_then_callback_turns_into_a_message(flows):
    result = direct(flows, "4711", ["NOANSWER", "NOANSWER"], keys=["2"], load=NOBODY, caller="")
    path = result.state.path
    assert "callback:no-number" in path and path[-2:] == ("message:taken", "message_saved")


def test_given_number_gone_from_directory_then_operators(flows):
    result = direct(flows, "4799")
    assert result.destination == "group operators (Local/1000@sim-phones)"


# ---- the session picks the direct flow --------------------------------------------------

@pytest.fixture
def deps():
    registry = FlowRegistry.from_folder(repo_root() / "dialplans")
    return SessionDeps(registry, GROUPS, MemoryCallStore(),
                       DictDirectory({"4711": ANNA}), "/snd", lambda: TUESDAY_10)


def answer_everything(line: str) -> str:
    return "200 result=0"


async def test_given_extension_dialled_directly_then_direct_flow_rings_that_person(deps):
    channel = ScriptedChannel(answer_everything)
    run = await run_session(channel, "inbound", ("4711",), "1800.1", deps)
    assert run is not None and run.state.flow == "direct"
    assert run.state.variables["dialled"] == "4711"
    assert set_lines(channel.sent)[-3:] == ["SET VARIABLE VAXEL_DIAL PJSIP/4711",
                                 "SET VARIABLE VAXEL_DIAL_TIMEOUT 20",
                                 "SET VARIABLE IVR_DONE 1"]


async def test_given_direct_call_unanswered_twice_when_resumed_then_queue_variables(deps):
    await run_session(ScriptedChannel(answer_everything), "inbound", ("4711",), "1800.2", deps)
    await run_session(ScriptedChannel(answer_everything), "resume", ("dial", "BUSY"),
                      "1800.2", deps)
    last = ScriptedChannel(answer_everything)
    await run_session(last, "resume", ("dial", "NOANSWER"), "1800.2", deps)
    assert set_lines(last.sent)[-5:] == ["SET VARIABLE VAXEL_ACTION queue",
                              "SET VARIABLE VAXEL_QUEUE kontaktcenter",
                              "SET VARIABLE VAXEL_REQUIREMENTS "
                              "topic=bygglov;district=sodermalm;lang=sv",
                              "SET VARIABLE VAXEL_PRIORITY 5",
                              "SET VARIABLE IVR_DONE 1"]


@pytest.mark.parametrize("number", ["9999", "s"])
async def test_given_short_number_nobody_has_then_no_flow_and_fallback(deps, number):
    channel = ScriptedChannel(answer_everything)
    assert await run_session(channel, "inbound", (number,), "1800.3", deps) is None
    assert channel.sent == []


@pytest.mark.parametrize("number", ["0850899999", "46850899999"])
async def test_given_phone_number_nobody_has_then_the_city_flow(deps, number):
    run = await run_session(ScriptedChannel(answer_everything), "inbound", (number,),
                            "1800.5", deps)
    assert run is not None and run.state.flow == "city-main"
    assert "dialled" not in run.state.variables


async def test_given_entry_number_of_a_flow_then_that_flow_even_if_someone_has_it(deps):
    deps.directory.callees["4000"] = ANNA
    run = await run_session(ScriptedChannel(answer_everything), "inbound", ("4000",), "1800.4",
                            deps)
    assert run is not None and run.state.flow == "city-main"


def test_given_no_direct_flow_in_the_set_then_registry_has_none(flows):
    registry = FlowRegistry({k: v for k, v in flows.flows.items() if k != "direct"})
    assert registry.direct_flow() is None
    assert FlowRegistry(flows.flows).direct_flow() is flows.flows["direct"]


# ---- the checks and the directory port ---------------------------------------------------

def test_given_group_named_by_variable_without_on_no_answer_then_load_error_names_the_node():
    from ivr.errors import FlowFileError
    from ivr.flow import parse_flow

    text = ("flow: x\nstart: g\nprompts: {}\nnodes:\n"
            "  g:\n    kind: dial_group\n    group: ${unit_group}\n")
    with pytest.raises(FlowFileError, match=r"x.yaml:5:3: nodes.g: a group named by a variable"):
        parse_flow(text, "x.yaml")


def test_given_directory_unit_then_callee_carries_its_topic_district_and_group(tmp_path):
    from directory.api import Device, Directory
    from ivr.directory_port import DirectoryLookup

    d = Directory.open(f"sqlite:///{tmp_path / 'd.db'}")
    d.add_district("sodermalm", "Södermalm")
    d.add_unit("u-bygglov", "Bygglovsenheten", topics=("bygglov", "rivningslov"),
               district_ids=("sodermalm",), phone_group="grp-bygglov")
    d.add_unit("u-bare", "Enheten")
    d.add_employee("e1", "Anna", "Ekström", unit_id="u-bygglov", extension="4711",
                   devices=(Device("sip", "PJSIP/4711"),))
    d.add_employee("e2", "Bo", "Ek", unit_id="u-bare", extension="4712",
                   devices=(Device("sip", "PJSIP/4712"),))
    port = DirectoryLookup(d)
    anna = port.lookup_extension_sync("4711", TUESDAY_10).callee
    assert anna == a.Callee("e1", "Anna Ekström", "PJSIP/4711", "u-bygglov", "bygglov",
                            "sodermalm", "grp-bygglov", "ring_all", 15)
    bo = port.lookup_by_name_keys_sync("35", TUESDAY_10).candidates
    assert [(c.employee_id, c.unit_topic, c.unit_district, c.unit_group) for c in bo] == [
        ("e2", None, None, None), ("e1", "bygglov", "sodermalm", "grp-bygglov")]


# ---- unit numbers, answering-group strategies, attempts in the call's context ---------------

M1, M2, M3 = "Local/3000@sim-phones", "Local/3001@sim-phones", "Local/3002@sim-phones"
SEQ_GROUPS = {**GROUPS, "grp-bygglov": Group("grp-bygglov", f"{M1}&{M2}&{M3}", 25)}
BYGGLOV = a.Callee("", "Bygglovsenheten", "", "u-bygglov", unit_topic="bygglov",
                   unit_district="sodermalm", unit_group="grp-bygglov",
                   unit_strategy="in_order", unit_member_ring_s=10, kind="unit")


def with_strategy(callee: a.Callee, strategy: str) -> a.Callee:
    import dataclasses

    return dataclasses.replace(callee, unit_strategy=strategy, unit_member_ring_s=10)


def rung(result) -> list[str]:
    return [s for s in result.state.path if s.startswith("ring:")]


def test_given_unit_in_order_then_members_ring_one_by_one_within_the_group_timeout(flows):
    anna = with_strategy(ANNA, "in_order")
    result = simulate(flows, "direct", [], TUESDAY_10, dialled="4711",
                      directory=DictDirectory({"4711": anna}), groups=SEQ_GROUPS,
                      dial_statuses=["NOANSWER", "NOANSWER", "BUSY", "NOANSWER"])
    assert rung(result) == [f"ring:{M1}", f"ring:{M2}", f"ring:{M3}"]
    assert any("(Local/3002@sim-phones)" in line for line in result.lines)
    assert result.destination.startswith("queue kontaktcenter [topic=bygglov")


def test_given_in_order_and_second_member_answers_then_call_ends_there(flows):
    result = simulate(flows, "direct", [], TUESDAY_10, dialled="4711",
                      directory=DictDirectory({"4711": with_strategy(ANNA, "in_order")}),
                      groups=SEQ_GROUPS, dial_statuses=["NOANSWER", "NOANSWER", "ANSWER"])
    assert result.destination == f"member of group grp-bygglov ({M2})"
    assert result.state.ring_steps == ((M3, 5),)


def test_given_longest_idle_then_the_member_idle_longest_rings_first(flows):
    result = simulate(flows, "direct", [], TUESDAY_10, dialled="4711",
                      directory=DictDirectory({"4711": with_strategy(ANNA, "longest_idle")}),
                      groups=SEQ_GROUPS, dial_statuses=["NOANSWER", "NOANSWER"],
                      idle_since={M1: 300.0, M2: 100.0, M3: 200.0})
    assert result.destination == f"member of group grp-bygglov ({M3})"
    assert rung(result) == [f"ring:{M2}", f"ring:{M3}"]
    assert "strategy:longest_idle" in result.state.path


def test_given_unit_ring_all_then_every_member_at_once_as_before(flows):
    result = direct(flows, "4711", ["NOANSWER"], groups=SEQ_GROUPS)
    assert result.destination == f"group grp-bygglov ({M1}&{M2}&{M3})"


def test_given_a_units_own_number_then_its_answering_group_then_contact_center(flows):
    directory = DictDirectory({"0850800010": BYGGLOV})
    result = simulate(flows, "direct", [], TUESDAY_10, dialled="0850800010",
                      directory=directory, groups=SEQ_GROUPS,
                      dial_statuses=["NOANSWER", "NOANSWER", "NOANSWER"])
    assert "unit:u-bygglov" in result.state.path
    assert rung(result) == [f"ring:{M1}", f"ring:{M2}", f"ring:{M3}"]
    assert result.destination == ("queue kontaktcenter [topic=bygglov;district=sodermalm;"
                                  "lang=sv] priority 5")


def test_given_unit_callee_where_no_unit_branch_then_counts_as_not_found(flows):
    result = simulate(flows, "city-main", ["#", "1", "4800#"], TUESDAY_10,
                      directory=DictDirectory({"4800": BYGGLOV}), groups=SEQ_GROUPS)
    assert "unknown-extension" in result.state.path and "unit:u-bygglov" not in result.state.path


def test_given_run_saved_in_the_middle_of_a_sequence_then_restored_it_rings_the_next(flows):
    from ivr.interpreter import FlowRun
    from ivr.run import CallState

    run = FlowRun.new(flows.flows["direct"], SEQ_GROUPS, "c1", {"dialled": "4711"})
    run.start(TUESDAY_10)
    run.handle(a.LookupCompleted(with_strategy(ANNA, "in_order")), TUESDAY_10)
    run.handle(a.DialCompleted("NOANSWER"), TUESDAY_10)
    run.handle(a.PlaybackFinished(), TUESDAY_10)           # "does not answer" prompt
    again = FlowRun.restore(flows.flows["direct"], SEQ_GROUPS,
                            CallState.from_dict(run.state.to_dict()))
    assert again.state == run.state
    acts = again.handle(a.DialCompleted("BUSY"), TUESDAY_10)
    assert acts == [a.NoteAttempt(M1, "svarsgrupp (answering group) grp-bygglov", "BUSY"),
                    a.Dial(M2, 10, "member of group grp-bygglov")]


class Contexts:
    """A ContextPort that writes down what it is told."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, str]] = []
        self.attempts: list[tuple[str, str, str, str]] = []

    async def open_call(self, call_id: str, caller_number: str, now) -> None:
        self.opened.append((call_id, caller_number))

    async def note_attempt(self, call_id, target, target_name, status, detail, at) -> None:
        self.attempts.append((call_id, target, target_name, status))


async def test_given_direct_call_unanswered_then_the_context_holds_whom_and_why(deps):
    import dataclasses

    contexts = Contexts()
    deps = dataclasses.replace(deps, contexts=contexts)
    await run_session(ScriptedChannel(answer_everything), "inbound", ("4711",), "1800.6", deps,
                      caller="0701234567")
    await run_session(ScriptedChannel(answer_everything), "resume", ("dial", "NOANSWER"),
                      "1800.6", deps)
    await run_session(ScriptedChannel(answer_everything), "resume", ("dial", "BUSY"),
                      "1800.6", deps)
    assert contexts.opened == [("1800.6", "0701234567")]
    assert contexts.attempts == [
        ("1800.6", "4711", "Anna Ekström", "NOANSWER"),
        ("1800.6", "grp-bygglov", "svarsgrupp (answering group) grp-bygglov", "BUSY")]


async def test_given_longest_idle_group_then_session_reads_idle_times_from_the_port(deps):
    import dataclasses

    class Idle:
        async def idle_since(self, members):
            return {M1: 50.0, M3: 10.0}

    deps = dataclasses.replace(deps, groups=SEQ_GROUPS, idle=Idle(),
                               directory=DictDirectory({"4711": with_strategy(ANNA,
                                                                              "longest_idle")}))
    await run_session(ScriptedChannel(answer_everything), "inbound", ("4711",), "1800.7", deps)
    channel = ScriptedChannel(answer_everything)
    await run_session(channel, "resume", ("dial", "NOANSWER"), "1800.7", deps)
    assert f"SET VARIABLE VAXEL_DIAL {M2}" in set_lines(channel.sent)   # never seen: idle longest

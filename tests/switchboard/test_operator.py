"""The operator's pure planner: targets, and the AMI commands each action becomes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from directory.api import Device, Employee, Unit
from switchboard import operator as op
from switchboard.ami_operator import ami_fields
from switchboard.context import Outcome
from switchboard.errors import TargetNotFound
from switchboard.recorder import attempt_from_event

CALLER = "PJSIP/trunk-00000001"
SETTINGS = op.Settings(ring_s=7, return_ring_s=9)
ANNA = Employee("e1", "Anna", "Ekström", "", "u1", "4711",
                devices=(Device("sip", "PJSIP/4711"), Device("mobile", "PJSIP/0701@trunk",
                                                             "0701")))


def vars_of(commands) -> dict[str, str]:
    return {c.name: c.value for c in commands if isinstance(c, op.SetVar)}


def test_employee_target_rings_all_their_devices():
    target = op.employee_target(ANNA)
    assert (target.key, target.label, target.dial) == (
        "4711", "Anna Ekström", "PJSIP/4711&PJSIP/0701@trunk")


def test_given_an_employee_without_phone_then_the_target_is_refused_naming_them():
    with pytest.raises(TargetNotFound, match="'4712': has no phone"):
        op.employee_target(Employee("e2", "B", "C", "", None, "4712"))


def test_unit_target_rings_listed_members_once_each():
    hidden = Employee("e3", "H", "P", "", "u1", "4799", devices=(Device("sip", "PJSIP/4799"),),
                      listed=False)
    target = op.unit_target(Unit("u1", "Bygglov"), [ANNA, ANNA, hidden])
    assert target.dial == "PJSIP/4711&PJSIP/0701@trunk"


@pytest.mark.parametrize("spec", ["external:12", "external:0701;x", "external:07a1234"])
def test_given_a_malformed_external_number_then_it_is_refused(spec):
    with pytest.raises(TargetNotFound, match="external number"):
        op.external_target(op.parse_target(spec)[1], SETTINGS)


def test_given_an_unknown_target_kind_then_the_error_lists_the_known_ones():
    with pytest.raises(TargetNotFound, match="known: employee, unit, external"):
        op.parse_target("queue:x")


def test_supervised_transfer_sets_every_variable_before_the_redirect():
    target = op.employee_target(ANNA)
    commands = op.plan_transfer(CALLER, target, SETTINGS, operator_id="op1",
                                return_dial="PJSIP/1000")
    assert isinstance(commands[-1], op.Redirect)
    assert commands[-1].context == op.TRANSFER_CONTEXT
    assert all(isinstance(c, op.SetVar) and c.channel == CALLER for c in commands[:-1])
    v = vars_of(commands)
    assert (v["VAXEL_XFER_DIAL"], v["VAXEL_XFER_TIMEOUT"], v["VAXEL_XFER_RETURN"],
            v["VAXEL_RETURN_TIMEOUT"]) == ("PJSIP/4711&PJSIP/0701@trunk", "7", "PJSIP/1000", "9")


def test_blind_transfer_has_no_return_so_the_dialplan_uses_the_operators_group():
    commands = op.plan_transfer(CALLER, op.employee_target(ANNA), SETTINGS, operator_id="op1",
                                return_dial=None)
    assert vars_of(commands)["VAXEL_XFER_RETURN"] == ""


def test_consult_moves_caller_to_hold_and_operator_to_consult_in_one_redirect():
    commands = op.plan_consult(CALLER, "PJSIP/1000-01", op.employee_target(ANNA), SETTINGS,
                               operator_id="op1", return_dial="PJSIP/1000")
    redirect = commands[-1]
    assert redirect == op.Redirect(CALLER, op.HOLD_CONTEXT, extra_channel="PJSIP/1000-01",
                                   extra_context=op.CONSULT_CONTEXT)
    assert ami_fields(redirect)["ExtraChannel"] == "PJSIP/1000-01"
    on_operator = {c.name: c.value for c in commands
                   if isinstance(c, op.SetVar) and c.channel == "PJSIP/1000-01"}
    assert on_operator["VAXEL_HELD"] == CALLER and on_operator["VAXEL_CONSULT_DONE"] == "0"


def test_complete_marks_the_consultation_done_before_bridging():
    commands = op.plan_complete(CALLER, "PJSIP/1000-01", "PJSIP/4711-02")
    assert commands == [op.SetVar("PJSIP/1000-01", "VAXEL_CONSULT_DONE", "1"),
                        op.BridgeChannels(CALLER, "PJSIP/4711-02")]


def test_park_timeout_is_sent_in_milliseconds():
    commands = op.plan_park(CALLER, op.Settings(park_s=45), operator_id="op1",
                            return_dial="PJSIP/1000")
    assert ami_fields(commands[-1]) == {"Action": "Park", "Channel": CALLER,
                                        "Timeout": "45000", "Parkinglot": "default"}


def test_given_a_line_break_in_a_value_then_no_command_is_planned():
    with pytest.raises(ValueError, match="VAXEL_XFER_BY"):
        op.plan_hold(CALLER, SETTINGS, operator_id="op1\r\nAction: Originate",
                     return_dial="PJSIP/1000")


def test_pickup_refuses_a_space_that_is_not_digits():
    with pytest.raises(TargetNotFound, match="parking space"):
        op.plan_pickup("70a", "PJSIP/1000", SETTINGS)


NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_transfer_result_event_becomes_an_attempt_on_the_callers_call():
    event = {"Event": "UserEvent", "UserEvent": "VaxelTransferResult", "Uniqueid": "c1",
             "Target": "4712", "Label": "Björn Öberg", "By": "op1", "Status": "BUSY"}
    call_id, attempt = attempt_from_event(event, NOW)
    assert call_id == "c1"
    assert (attempt.target, attempt.outcome, attempt.by) == ("4712", Outcome.BUSY, "op1")


def test_return_event_becomes_a_returned_attempt_with_the_reason_in_words():
    event = {"Event": "UserEvent", "UserEvent": "VaxelReturn", "Uniqueid": "c1",
             "To": "PJSIP/1000", "Reason": "parked"}
    _, attempt = attempt_from_event(event, NOW)
    assert attempt.outcome is Outcome.RETURNED and "parkerat" in attempt.detail


def test_other_events_are_not_attempts():
    assert attempt_from_event({"Event": "UserEvent", "UserEvent": "VaxelHeld",
                               "Uniqueid": "c1"}, NOW) is None

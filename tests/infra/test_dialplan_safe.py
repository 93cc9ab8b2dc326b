"""Directory data and caller numbers cannot change a dialplan application's arguments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.entities import Device, Employee
from directory.errors import InvalidEntity
from infra.dialplan_safe import (
    UNSAFE_CHARACTERS,
    UnsafeValue,
    argument_text,
    check_dial,
    dial_number,
    is_safe_dial,
)
from ivr.directory_port import DirectoryLookup
from switchboard import operator as op

NASTY = [",", "|", ";", '"', "'", "\n", "\r\n", "${EVIL}", "$[1+1]", "\\", "(", ")"]


@pytest.mark.parametrize("dial", ["PJSIP/4711", "PJSIP/4711&PJSIP/4712",
                                  "Local/1000@sim-phones/n", "PJSIP/46701234567@trunk"])
def test_plain_dial_strings_pass(dial):
    assert check_dial(dial, "here") == dial


@pytest.mark.parametrize("nasty", NASTY)
def test_a_dial_string_with_a_separator_quote_newline_or_variable_is_refused(nasty):
    with pytest.raises(UnsafeValue, match="devices.dial"):
        check_dial(f"PJSIP/4711{nasty}U(evil)", "devices.dial")


@given(st.text())
def test_any_text_made_argument_text_holds_no_unsafe_character(text):
    assert not set(argument_text(text)) & UNSAFE_CHARACTERS


@given(st.text())
def test_a_dial_string_that_passes_holds_no_unsafe_character(text):
    if is_safe_dial(text):
        assert not set(text) & UNSAFE_CHARACTERS and text.strip() == text


@given(st.text())
def test_dial_number_is_digits_with_at_most_a_leading_plus(text):
    number = dial_number(text)
    assert number.lstrip("+").isdigit() or number == ""


@pytest.mark.parametrize("nasty", NASTY)
def test_the_directory_refuses_a_device_whose_dial_string_could_add_arguments(nasty):
    with pytest.raises(InvalidEntity, match="dial"):
        Device("sip", f"PJSIP/4711{nasty}G(evil)")


class _Row:
    """A directory row written before dial strings were checked (bypasses validation)."""

    def __init__(self, dial: str) -> None:
        self.kind, self.dial = "sip", dial


def test_an_unsafe_device_already_in_the_database_is_never_dialled():
    employee = Employee("e1", "Anna", "Ek", "", unit_id=None, extension="4711",
                        devices=(Device("sip", "PJSIP/4711"),))
    object.__setattr__(employee, "devices", (_Row("PJSIP/4711,1,U(evil)"),
                                             Device("sip", "PJSIP/4712")))
    callee = DirectoryLookup(directory=None)._callee(employee)
    assert callee.dial == "PJSIP/4712"


def test_a_transfer_target_label_with_commas_cannot_forge_a_userevent_header():
    target = op.Target(op.TargetKind.EMPLOYEE, "e1", 'Anna, By: evil "${X}" | x; y', "PJSIP/4711")
    commands = op.plan_transfer("PJSIP/trunk-1", target, op.Settings(), operator_id="op1",
                                return_dial="PJSIP/1000")
    values = {c.name: c.value for c in commands if isinstance(c, op.SetVar)}
    assert not set(values["VAXEL_XFER_LABEL"]) & UNSAFE_CHARACTERS
    assert values["VAXEL_XFER_DIAL"] == "PJSIP/4711"


def test_a_transfer_to_an_unsafe_dial_string_is_refused_naming_the_variable():
    target = op.Target(op.TargetKind.EXTERNAL, "x", "x", "PJSIP/1,1,U(evil)@trunk")
    with pytest.raises(UnsafeValue, match="VAXEL_XFER_DIAL"):
        op.plan_transfer("PJSIP/trunk-1", target, op.Settings(), operator_id="op1",
                         return_dial=None)


def test_channel_names_from_asterisk_are_kept_as_they_are():
    """A Local channel's name ends in ;1 or ;2: it is not free text and must stay whole."""
    caller = "Local/1000@vaxel-switchboard-sim-00000000;2"
    target = op.Target(op.TargetKind.EMPLOYEE, "4711", "Anna", "PJSIP/4711")
    commands = op.plan_consult(caller, "PJSIP/1000-00000001", target, op.Settings(),
                               operator_id="op1", return_dial="PJSIP/1000")
    values = {c.name: c.value for c in commands if isinstance(c, op.SetVar)}
    assert values["VAXEL_HELD"] == caller

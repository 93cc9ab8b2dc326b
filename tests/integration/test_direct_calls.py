"""Direct calls on the real Asterisk 22: a citizen dials an employee's extension directly.

The entry number is no flow's, so the controller runs ``dialplans/direct.yaml`` when the
directory knows the number. Phones are simulated (``Local/<ext>@sim-phones``); the unit's
answering group ``grp-bygglov`` (Unit.phone_group) is a ring group of the controller
configuration with one member, 3000. Without an ACD queue configured, the hand-over to
the contact center leaves its variables on the channel and the operators' fallback answers,
so the test reads the requirements from the ``VarSet`` events and the saved call state.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directory.api import AbsenceCategory, AbsenceNote, Device, Directory, ForwardKind
from tests.integration.controller import ControllerUnderTest
from vaxel.config import GroupConfig

pytestmark = pytest.mark.integration
ZONE = ZoneInfo("Europe/Stockholm")
#: Seconds the unit's answering group rings (short, for the test).
UNIT_GROUP_RING_S = 4


def seed(url: str) -> Directory:
    """Anna (4711) and Björn (4712) in the building-permit unit of Södermalm."""
    d = Directory.open(url)
    d.create_schema()
    d.add_district("sodermalm", "Södermalm")
    d.add_unit("u-bygglov", "Bygglovsenheten Södermalm", topics=("bygglov",),
               district_ids=("sodermalm",), phone_group="grp-bygglov")
    for ext, given, family in (("4711", "Anna", "Ekström"), ("4712", "Björn", "Öberg")):
        d.add_employee(f"e{ext}", given, family, unit_id="u-bygglov", extension=ext,
                       devices=(Device("sip", f"Local/{ext}@sim-phones"),), languages=("sv",))
    return d


@pytest.fixture
async def controller(tmp_path, fastagi_port, redis_server, asterisk):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed(url)
    c = ControllerUnderTest.on(tmp_path, fastagi_port, redis_server, asterisk, url)
    unit_group = GroupConfig(("Local/3000@sim-phones",), UNIT_GROUP_RING_S)
    c.config = dataclasses.replace(c.config, groups={**c.config.groups,
                                                     "grp-bygglov": unit_group})
    await c.start()
    yield c
    await c.stop()


def vaxel_variables(call) -> dict[str, str]:
    return {e.get("Variable", ""): e.get("Value", "") for e in call.events
            if e.get("Event") == "VarSet" and e.get("Variable", "").startswith("VAXEL_")}


def dial_status(call, ext: str) -> str | None:
    ends = [e for e in call.events if e.get("Event") == "DialEnd"
            and f"{ext}@sim-phones" in e.get("DestChannel", "")]
    return ends[-1].get("DialStatus") if ends else None


async def test_given_extension_dialled_directly_then_that_phone_answers(controller, harness):
    call = await harness.call("4711")
    await harness.wait_answered("4711")
    saved = await controller.saved_call(f"{call.id}-2")
    assert saved.flow == "direct" and saved.variables["dialled"] == "4711"
    assert saved.path[-1] == "dial:Local/4711@sim-phones"


async def test_given_direct_number_busy_then_the_units_answering_group_answers(
        controller, harness):
    await harness.set_phone("4711", "busy")
    call = await harness.call("4711")
    await harness.wait_answered("3000", timeout=30)
    saved = await controller.saved_call(f"{call.id}-2")
    assert "dialstatus:BUSY" in saved.path and saved.path[-1] == "group:grp-bygglov"


async def test_given_direct_number_and_unit_group_unanswered_then_contact_center_with_unit(
        controller, harness):
    for ext in ("4711", "3000", "1001"):   # 1001: the fallback rings 1000 and 1001
        await harness.set_phone(ext, "noanswer")
    call = await harness.call("4711")
    await harness.wait_answered("1000", timeout=60)   # no ACD here: the operators' fallback
    assert dial_status(call, "4711") == "NOANSWER"
    assert dial_status(call, "3000") == "NOANSWER"
    variables = vaxel_variables(call)
    assert variables["VAXEL_ACTION"] == "queue"
    assert variables["VAXEL_QUEUE"] == "kontaktcenter"
    assert variables["VAXEL_REQUIREMENTS"] == "topic=bygglov;district=sodermalm;lang=sv"
    assert variables["VAXEL_PRIORITY"] == "5"
    saved = await controller.saved_call(f"{call.id}-2")
    assert saved.done and saved.path[-1] == "queue:kontaktcenter"
    assert saved.variables["unit_topic"] == "bygglov"


async def test_given_absent_employee_then_note_is_read_and_call_goes_to_the_colleague(
        controller, harness, tmp_path):
    Directory.open(f"sqlite:///{tmp_path / 'directory.db'}").set_absence("e4711", AbsenceNote(
        AbsenceCategory.MEETING, datetime(2026, 11, 24, 8, 0, tzinfo=ZONE),
        datetime(2026, 11, 24, 11, 30, tzinfo=ZONE), "Ring Björn.", ForwardKind.COLLEAGUE,
        "4712"))
    call = await harness.call("4711")
    await harness.wait_answered("4712", timeout=30)
    said = [e for e in call.events if e.get("Event") == "AGIExecEnd"
            and "/say/sv/say-" in e.get("Command", "")]
    assert len(said) == 1
    assert dial_status(call, "4711") is None          # the absent person's phone never rang
    saved = await controller.saved_call(f"{call.id}-2")
    assert saved.flow == "direct"
    assert "forward:colleague" in saved.path and saved.path[-1] == "dial:Local/4712@sim-phones"


async def test_given_number_nobody_has_then_the_operators_fallback_answers(controller, harness):
    await harness.set_phone("1001", "noanswer")
    call = await harness.call("4444")
    await call.wait_event("VaxelFallback", timeout=15)
    await harness.wait_answered("1000", timeout=15)

"""Direct calls on the real Asterisk 22: a citizen dials an employee's extension directly.

The entry number is no flow's, so the controller runs ``dialplans/direct.yaml`` when the
directory knows the number. Phones are simulated (``Local/<ext>@sim-phones``); the unit's
answering group ``grp-bygglov`` (Unit.phone_group) is a ring group of the controller
configuration with one member, 3000. Without an ACD queue configured, the hand-over to
the contact center leaves its variables on the channel and the operators' fallback answers,
so the test reads the requirements from the ``VarSet`` events and the saved call state.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from directory.api import (
    AbsenceCategory,
    AbsenceNote,
    AbsenceReason,
    AnswerStrategy,
    Device,
    Directory,
    ForwardKind,
)
from infra.config import GroupConfig
from tests.integration.controller import ControllerUnderTest

pytestmark = pytest.mark.integration
ZONE = ZoneInfo("Europe/Stockholm")
#: Seconds the unit's answering group rings (short, for the test).
UNIT_GROUP_RING_S = 4


#: Anna's direct number as a trunk delivers it (national form), and the unit's own number.
ANNA_DIRECT = "0850847110"
UNIT_NUMBER = "0850800010"


def seed(url: str, strategy: AnswerStrategy = AnswerStrategy.RING_ALL,
         member_ring_s: int = 15) -> Directory:
    """Anna (4711, direct 08-508 471 10) and Björn (4712) in the building-permit unit of
    Södermalm (its own number 08-508 000 10; its answering group rings by ``strategy``)."""
    d = Directory.open(url)
    d.create_schema()
    d.add_district("sodermalm", "Södermalm")
    d.add_unit("u-bygglov", "Bygglovsenheten Södermalm", topics=("bygglov",),
               district_ids=("sodermalm",), phone_group="grp-bygglov", number="08-508 000 10",
               answer_strategy=strategy, member_ring_s=member_ring_s)
    for ext, given, family in (("4711", "Anna", "Ekström"), ("4712", "Björn", "Öberg")):
        d.add_employee(f"e{ext}", given, family, unit_id="u-bygglov", extension=ext,
                       devices=(Device("sip", f"Local/{ext}@sim-phones"),), languages=("sv",),
                       direct_number="08-508 471 10" if ext == "4711" else None)
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
        datetime(2026, 11, 24, 11, 30, tzinfo=ZONE), AbsenceReason.MEETING, ForwardKind.COLLEAGUE,
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


# ---- direct numbers and answering-group strategies ----------------------------------------

#: The answering group of the strategy tests: three simulated phones, in this order.
MEMBERS = ("Local/3000@sim-phones", "Local/3001@sim-phones", "Local/3002@sim-phones")
#: Seconds each member rings one by one, and the group's overall timeout.
MEMBER_RING_S = 3
GROUP_RING_S = 20


async def start_with(tmp_path, fastagi_port, redis_server, asterisk, strategy):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed(url, strategy, MEMBER_RING_S)
    c = ControllerUnderTest.on(tmp_path, fastagi_port, redis_server, asterisk, url)
    group = GroupConfig(MEMBERS, GROUP_RING_S)
    c.config = dataclasses.replace(c.config, groups={**c.config.groups, "grp-bygglov": group})
    return await c.start()


@pytest.fixture
async def in_order(tmp_path, fastagi_port, redis_server, asterisk):
    c = await start_with(tmp_path, fastagi_port, redis_server, asterisk, AnswerStrategy.IN_ORDER)
    yield c
    await c.stop()


@pytest.fixture
async def longest_idle(tmp_path, fastagi_port, redis_server, asterisk):
    c = await start_with(tmp_path, fastagi_port, redis_server, asterisk,
                         AnswerStrategy.LONGEST_IDLE)
    yield c
    await c.stop()


async def test_given_employees_direct_number_dialled_then_their_phone_answers(
        controller, harness):
    call = await harness.call(ANNA_DIRECT)
    await harness.wait_answered("4711")
    saved = await controller.saved_call(f"{call.id}-2")
    assert saved.flow == "direct" and saved.variables["dialled"] == ANNA_DIRECT
    assert saved.callee.name == "Anna Ekström"
    assert saved.path[-1] == "dial:Local/4711@sim-phones"


async def test_given_direct_number_unanswered_then_unit_group_in_order_second_member_answers(
        in_order, harness):
    await harness.set_phone("4711", "noanswer")
    await harness.set_phone("3000", "noanswer")
    call = await harness.call(ANNA_DIRECT)
    await harness.wait_answered("3001", timeout=40)
    assert dial_status(call, "4711") == "NOANSWER"
    assert dial_status(call, "3000") == "NOANSWER"
    assert dial_status(call, "3002") is None                 # never rang: 3001 answered
    saved = await in_order.saved_call(f"{call.id}-2")
    assert [s for s in saved.path if s.startswith(("strategy:", "ring:"))] == [
        "strategy:in_order", "ring:Local/3000@sim-phones", "ring:Local/3001@sim-phones"]
    context = await in_order.controller.contexts.get(f"{call.id}-2")
    assert [(a.target, a.outcome.value) for a in context.attempts] == [
        (ANNA_DIRECT, "noanswer"), ("Local/3000@sim-phones", "noanswer")]


async def test_given_units_own_number_with_longest_idle_then_member_idle_longest_answers(
        longest_idle, harness):
    """3001 ended its last call long ago, 3000 just now, 3002 (never seen) counts as idle
    longest: 3002 rings first (no answer), then 3001 answers; its call end is recorded."""
    idle = longest_idle.controller.idle
    now = datetime.now(ZONE)
    await idle.call_ended("Local/3000@sim-phones", now)
    await idle.call_ended("Local/3001@sim-phones", now - timedelta(hours=1))
    await harness.set_phone("3002", "noanswer")
    call = await harness.call(UNIT_NUMBER)
    await harness.wait_answered("3001", timeout=40)
    assert dial_status(call, "3002") == "NOANSWER" and dial_status(call, "3000") is None
    saved = await longest_idle.saved_call(f"{call.id}-2")
    assert "unit:u-bygglov" in saved.path and "strategy:longest_idle" in saved.path
    before = (await idle.idle_since(["Local/3001@sim-phones"]))["Local/3001@sim-phones"]
    await call.hangup()
    for _ in range(50):                                   # the recorder reads AMI's Hangup
        ended = (await idle.idle_since(["Local/3001@sim-phones"]))["Local/3001@sim-phones"]
        if ended > before:
            break
        await asyncio.sleep(0.1)
    assert ended > before


async def test_a_direct_calls_ring_time_is_recorded_and_judged_by_the_direct_threshold(
        controller, harness):
    """Anna's phone rings 3 s, then talks 2 s: the controller notes the answer (AMI
    DialEnd ANSWER), the recorder stores a ring time of about 3 s, and the direct service's
    level counts it within its 20 s."""
    from reports.kpis import KPI_COLUMNS, KpiRow, kpis
    from reports.record_store import RecordStore
    from tests.integration.acd import set_talk

    await harness.set_phone("4711", "answer", answer_delay=3)
    await set_talk(harness, "4711", 2)
    call = await harness.call("4711")
    await harness.wait_answered("4711", timeout=20)
    records = RecordStore.open(controller.config.directory_url)
    try:
        record = None
        for _ in range(150):
            record = records.load([f"{call.id}-2"]).get(f"{call.id}-2")
            if record is not None and record.ring_s is not None:
                break
            await asyncio.sleep(0.2)
        assert record is not None and record.ring_s is not None, record
        assert record.outcome.value == "answered" and 2.8 <= record.ring_s <= 5.0, record
        rows = [KpiRow(*r) for r in records.rows_between(0, 4e9, KPI_COLUMNS)]
        k = kpis(rows, controller.config.reports, by="service")[("direkt", "all")]
        assert k.service_level == 1.0 and k.asa_s == record.ring_s
    finally:
        records.close()

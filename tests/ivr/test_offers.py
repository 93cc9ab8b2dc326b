"""Closed or overloaded -> a message or callback offer: the verdict, the recipient, the node
kinds' loader rules, and the session taking a message even when the caller hangs up."""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ivr import actions as a
from ivr.callstore import MemoryCallStore
from ivr.errors import FlowFileError
from ivr.fakes import DictDirectory, ScriptedChannel
from ivr.flow import parse_flow
from ivr.flowset import parse_set
from ivr.interpreter import FlowRun
from ivr.lint import check_files
from ivr.offers import message_recipient, queue_verdict
from ivr.registry import FlowRegistry
from ivr.session import run_session
from ivr.session_ports import SessionDeps

T = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
ANNA = a.Callee("e4711", "Anna Ekström", "PJSIP/4711", "u-bygglov")


def load(waiting=0, staffed=1, wait=60.0, known=True):
    return a.QueueLoadKnown("kc", waiting, staffed, staffed, wait, known)


@pytest.mark.parametrize(("reported", "verdict"), [
    (load(), "open"),
    (load(known=False), "unknown"),
    (load(staffed=0, wait=None), "nobody"),
    (load(waiting=9), "open"),           # the tenth caller is still within max_waiting=10
    (load(waiting=10), "length"),
    (load(wait=300.0), "open"),
    (load(wait=301.0), "wait"),
])
def test_queue_verdict_names_why_a_queue_cannot_take_one_more_caller(reported, verdict):
    assert queue_verdict(reported, max_wait_s=300, max_waiting=10) == verdict


def test_recipient_is_the_callee_with_their_unit_or_the_named_unit():
    assert message_recipient("${callee}", ANNA, {}, "sv") == ("e4711", "u-bygglov")
    assert message_recipient("${callee}", None, {}, "sv") == (None, None)
    assert message_recipient("unit:${unit}", ANNA, {"unit": "u-skola"}, "sv") == (None, "u-skola")
    assert message_recipient("unit:${unit}", None, {}, "sv") == (None, None)


FLOW = textwrap.dedent("""\
    flow: offers
    start: load
    prompts:
      speak: {sv: Tala efter tonen., en: Speak after the tone.}
      thanks: {sv: Tack., en: Thanks.}
    nodes:
      load:
        kind: queue_status
        queue: kc
        max_wait: 300
        max_waiting: 10
        open: queue
        overloaded: callback
      queue:
        kind: enqueue
        queue: kc
      callback:
        kind: message
        request: callback
        prompt: thanks
        no_number: message
        next: bye
      message:
        kind: message
        prompt: speak
        recipient: unit:u-bygglov
        max_seconds: 5
        next: bye
      bye:
        kind: hangup
        prompt: thanks
    """)


def run_for(caller: str) -> FlowRun:
    variables = {"caller": caller} if caller else {}
    return FlowRun.new(parse_flow(FLOW, "offers.yaml"), {}, "c1", variables)


def test_given_overloaded_and_caller_number_then_callback_is_taken_then_confirmed():
    run = run_for("0701234567")
    assert run.start(T) == [a.CheckQueue("kc")]
    acts = run.handle(load(staffed=0, wait=None), T)
    assert acts == [a.TakeMessage("callback", "0701234567", None, None)]
    assert run.handle(a.MessageTaken("m1", "x@stad.example"), T) == [a.Play("thanks", "sv")]
    assert "queue-status:nobody" in run.state.path and "callback:taken" in run.state.path


def test_given_hidden_number_then_the_caller_records_a_message_for_the_unit():
    run = run_for("")
    run.start(T)
    assert run.handle(load(waiting=10), T) == [a.Play("speak", "sv")]
    assert run.handle(a.PlaybackFinished(), T) == [a.Record("messages/c1", 5)]
    acts = run.handle(a.RecordingFinished(3.5), T)
    assert acts == [a.TakeMessage("message", "", None, "u-bygglov", "messages/c1", 3.5)]
    assert run.handle(a.MessageTaken(""), T) == [a.Play("thanks", "sv")]
    assert run.state.path[-3:] == ("message:recorded", "message:not-taken", "bye")


def test_given_queue_within_limits_then_enqueued():
    run = run_for("0701")
    run.start(T)
    assert run.handle(load(), T) == [a.Enqueue("kc", (), 0)]


@pytest.mark.parametrize(("change", "problem"), [
    ("    no_number: message\n", "give 'no_number'"),
    ("    recipient: unit:u-bygglov\n", None),
    ("    request: callback\n", None),
])
def test_loader_names_the_node_and_field_of_a_bad_message_node(change, problem):
    text = FLOW.replace(change, "")
    if problem is None:
        parse_flow(text, "offers.yaml")  # optional fields: still loads
        return
    with pytest.raises(FlowFileError, match=problem):
        parse_flow(text, "offers.yaml")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("request: callback", "request: fax", "nodes.callback.request: must be one of"),
    ("recipient: unit:u-bygglov", "recipient: anna", "nodes.message.recipient: must be"),
    ("max_seconds: 5", "max_seconds: 0", "nodes.message.max_seconds: must be between"),
    ("max_waiting: 10", "max_waiting: -1", "nodes.load.max_waiting: must be 0 or more"),
])
def test_loader_rejects_bad_values_with_file_line_and_field(old, new, message):
    with pytest.raises(FlowFileError) as info:
        parse_flow(FLOW.replace(old, new), "offers.yaml")
    assert any(message in p.message and p.line for p in info.value.problems)


def test_lint_reports_a_queue_status_queue_and_a_unit_that_targets_does_not_list():
    files = {"offers.yaml": FLOW,
             "targets.yaml": "groups: []\nqueues: [kc]\nskills: {}\nunits: [u-skola]\n"}
    found = [str(f) for f in check_files(files, "dp", T.date())]
    assert any("unit 'u-bygglov' is not in targets.yaml" in f for f in found)
    assert not any("queue 'kc'" in f for f in found)


class Desk:
    def __init__(self) -> None:
        self.taken: list[tuple[a.TakeMessage, str]] = []

    async def take(self, request: a.TakeMessage, call_id: str) -> a.MessageTaken:
        self.taken.append((request, call_id))
        return a.MessageTaken("m1", "bygglov@stad.example", mailed=True)


class Queues:
    def queue_for_group(self, group):
        return None

    async def enqueue(self, *args):
        raise AssertionError("not expected")

    async def queue_load(self, queue):
        from routing.control import QueueLoad
        return QueueLoad(queue, 4, 2, 0, None)


async def test_given_caller_hangs_up_while_recording_then_the_message_is_still_taken():
    """RECORD FILE answers after the in-band HANGUP; what was said is kept and taken."""
    def answer(line: str) -> str:
        if line.startswith("RECORD FILE"):
            return "200 result=-1 (hangup) endpos=24000"
        if line.startswith("CHANNEL STATUS"):
            return "200 result=-1"
        return "200 result=0"
    desk = Desk()
    registry = FlowRegistry.from_set(parse_set({"offers.yaml": FLOW.replace(
        "flow: offers", "flow: offers\nentry_numbers: ['5']")}, "dp"))
    deps = SessionDeps(registry, {}, MemoryCallStore(), DictDirectory({}), "/snd", lambda: T,
                       routing=Queues(), messages=desk)
    channel = ScriptedChannel(answer)
    run = await run_session(channel, "inbound", ("5",), "c1", deps, caller="unknown")
    [(request, call_id)] = desk.taken
    assert call_id == "c1" and request.caller == ""           # "unknown" is a hidden number
    assert request.unit_id == "u-bygglov" and request.seconds == 3.0
    assert "queue-status:nobody" in run.state.path and "message:taken" in run.state.path

"""The FastAGI session performs the interpreter's actions as AGI commands (scripted channel)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from infra.paths import repo_root
from ivr import actions as a
from ivr.agi import format_command
from ivr.callstore import MemoryCallStore
from ivr.fakes import DictDirectory, ScriptedChannel, set_lines
from ivr.interpreter import FlowRun
from ivr.registry import FlowRegistry
from ivr.run import Group
from ivr.session import SessionAborted, run_session
from ivr.session_actions import _leave
from ivr.session_ports import SessionDeps

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


@pytest.fixture
def deps():
    registry = FlowRegistry.from_folder(repo_root() / "dialplans")
    groups = {"operators": Group("operators", "Local/1000@sim-phones", 30),
              "contact_center": Group("contact_center", "Local/2000@sim-phones", 30)}
    directory = DictDirectory({"4711": a.Callee("e1", "Anna Ekström", "Local/4711@sim-phones")})
    return SessionDeps(registry, groups, MemoryCallStore(), directory, "/snd", lambda: TUESDAY_10)


def caller(keys: dict[str, str]):
    """Reply 200 to everything; GET DATA of a prompt gets the digits given for it, or times out."""
    def answer(line: str) -> str:
        if line.startswith("GET DATA"):
            prompt = line.split()[2].rsplit("/", 1)[1]
            digits = keys.get(prompt, "")
            return f"200 result={digits}" if digits else "200 result= (timeout)"
        return "200 result=0"
    return answer


async def test_given_extension_call_then_state_saved_before_ivr_done_set_last(deps):
    channel = ScriptedChannel(caller({"main_menu": "1", "enter_extension": "4711"}))
    run = await run_session(channel, "inbound", ("4000",), "1700.1", deps)
    assert set_lines(channel.sent)[-5:] == [
        "SET VARIABLE VAXEL_ACTION dial",
        "SET VARIABLE VAXEL_DIAL Local/4711@sim-phones",
        "SET VARIABLE VAXEL_DIAL_TIMEOUT 20",
        "SET VARIABLE VAXEL_ANNOUNCE /snd/sv/connecting",
        "SET VARIABLE IVR_DONE 1",
    ]
    assert "GET DATA /snd/sv/main_menu 5000 1" in channel.sent
    saved = await deps.store.load("1700.1")
    assert saved == run.state and saved.waiting == "dial"
    # One AGI command leaves the IVR (MSet sets left to right: IVR_DONE last); the transfer's
    # prompt ("connecting") is not streamed: the dialplan plays it before its Dial.
    assert channel.sent[-1] == ("EXEC MSet VAXEL_ACTION=dial,VAXEL_DIAL=Local/4711@sim-phones,"
                                "VAXEL_DIAL_TIMEOUT=20,VAXEL_ANNOUNCE=/snd/sv/connecting,"
                                "IVR_DONE=1")
    assert not [line for line in channel.sent if "connecting" in line and "STREAM" in line]


@pytest.mark.parametrize("value", ["topic=a,b", 'district="x"', "a\\b", " lead",
                                   "unit=(1)", "${EVIL}"])
async def test_given_a_value_msets_parsing_would_change_then_one_set_variable_each(deps, value):
    """MSet splits on commas and eats quotes, backslashes and brackets: such a value goes
    in its own SET VARIABLE, exactly as given, and IVR_DONE still comes last. (Dial strings
    never get here with such characters: the session refuses them, see the next test.)"""
    channel = ScriptedChannel(caller({}))
    run = FlowRun.new(deps.flows.main_flow(), deps.groups, "1700.2")
    await _leave(channel, run, deps, {"VAXEL_ACTION": "queue", "VAXEL_REQUIREMENTS": value})
    assert not [line for line in channel.sent if line.startswith("EXEC")]
    assert channel.sent[-1] == "SET VARIABLE IVR_DONE 1"
    expected = format_command("SET VARIABLE", "VAXEL_REQUIREMENTS", value).decode().strip()
    assert expected in channel.sent


@pytest.mark.parametrize("dial", ["PJSIP/4711,tt", 'PJSIP/"x"', "${EVIL}"])
async def test_given_a_dial_string_with_argument_separators_then_ivr_done_is_never_set(deps, dial):
    """A directory entry whose device would change Dial()'s arguments is refused: the call
    takes the dialplan's fallback to the operators (IVR_DONE stays unset)."""
    directory = DictDirectory({"4711": a.Callee("e1", "Anna Ekström", dial)})
    deps = SessionDeps(deps.flows, deps.groups, deps.store, directory, "/snd", deps.clock)
    channel = ScriptedChannel(caller({"main_menu": "1", "enter_extension": "4711"}))
    with contextlib.suppress(Exception):
        await run_session(channel, "inbound", ("4000",), "1700.2", deps)
    assert not [line for line in channel.sent if "IVR_DONE 1" in line or "IVR_DONE=1" in line]


async def test_given_unanswered_dial_when_resumed_then_contact_center_dialled(deps):
    first = ScriptedChannel(caller({"main_menu": "1", "enter_extension": "4711"}))
    await run_session(first, "inbound", ("4000",), "1700.2", deps)
    again = ScriptedChannel(caller({}))
    run = await run_session(again, "resume", ("dial", "NOANSWER"), "1700.2", deps)
    assert "STREAM FILE /snd/sv/no_answer \"\"" in again.sent
    assert "SET VARIABLE VAXEL_DIAL Local/2000@sim-phones" in set_lines(again.sent)
    assert run.state.path[-1] == "group:contact_center"


async def test_given_resume_of_unknown_call_then_aborted_and_ivr_done_never_set(deps):
    channel = ScriptedChannel(caller({}))
    with pytest.raises(SessionAborted, match="no saved state"):
        await run_session(channel, "resume", ("dial", "BUSY"), "nope", deps)
    assert channel.sent == []


async def test_given_entry_number_without_flow_then_nothing_sent(deps):
    channel = ScriptedChannel(caller({}))
    assert await run_session(channel, "inbound", ("12345",), "1700.3", deps) is None
    assert channel.sent == []


async def test_given_caller_hangs_up_during_menu_then_run_done_and_saved(deps):
    def answer(line: str) -> str:
        gone = line.startswith(("GET DATA", "CHANNEL STATUS"))
        return "200 result=-1" if gone else "200 result=0"
    run = await run_session(ScriptedChannel(answer), "inbound", ("4000",), "1700.4", deps)
    assert run.state.done
    assert (await deps.store.load("1700.4")).path[-1] == "hangup:caller"

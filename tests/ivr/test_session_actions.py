"""The session performs the new actions: queue variables, said texts, name lookups, messages."""

from __future__ import annotations

from ivr import actions as a
from ivr.callstore import MemoryCallStore
from ivr.fakes import DictDirectory, ScriptedChannel, set_lines
from ivr.flowset import parse_set
from ivr.registry import FlowRegistry
from ivr.session import run_session
from ivr.session_ports import SessionDeps
from tests.ivr.test_node_kinds import ANNA, BO, FLOW, GROUPS, OTHER, TUESDAY_10

ANNOUNCEMENTS = "announcements:\n  storm: {sv: Det stormar., en: A storm.}\n"


class FakeSpeech:
    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    async def speak(self, text: str, language: str) -> str:
        self.said.append((text, language))
        return f"/say/{language}/{len(self.said)}"


def deps(speech=None):
    files = {"kinds.yaml": FLOW.replace("flow: kinds", "flow: kinds\nentry_numbers: ['5']"),
             "other.yaml": OTHER, "announcements.yaml": ANNOUNCEMENTS}
    registry = FlowRegistry.from_set(parse_set(files, "dp"))
    directory = DictDirectory({"4711": ANNA, "4712": BO})
    return SessionDeps(registry, GROUPS, MemoryCallStore(), directory, "/snd",
                       lambda: TUESDAY_10, speech=speech)


def caller(keys: list[str]):
    """200 to everything; each GET DATA takes the next keys (none left: timeout)."""
    def answer(line: str) -> str:
        if line.startswith("GET DATA"):
            return f"200 result={keys.pop(0)}" if keys else "200 result= (timeout)"
        return "200 result=0"
    return answer


async def test_given_topic_then_queue_variables_are_set_and_ivr_done_last():
    channel = ScriptedChannel(caller(["5"]))
    await run_session(channel, "inbound", ("5",), "c1", deps())
    assert set_lines(channel.sent)[-5:] == [
        "SET VARIABLE VAXEL_ACTION queue",
        "SET VARIABLE VAXEL_QUEUE kontaktcenter",
        "SET VARIABLE VAXEL_REQUIREMENTS topic=bygglov;lang=sv",
        "SET VARIABLE VAXEL_PRIORITY 5",
        "SET VARIABLE IVR_DONE 1",
    ]


async def test_given_announcement_on_then_its_text_is_synthesised_and_played():
    speech = FakeSpeech()
    channel = ScriptedChannel(caller(["3"]))
    await run_session(channel, "inbound", ("5",), "c1", deps(speech))
    assert speech.said == [("Det stormar.", "sv")]
    assert 'STREAM FILE /say/sv/1 ""' in channel.sent


async def test_given_two_names_then_caller_hears_them_and_picks_one():
    speech = FakeSpeech()
    d = deps(speech)
    channel = ScriptedChannel(caller(["2", "35", "2"]))
    run = await run_session(channel, "inbound", ("5",), "c1", d)
    assert speech.said[0][0].startswith("För Anna Ek, tryck 1.")
    assert run.state.callee == BO
    assert "SET VARIABLE VAXEL_DIAL PJSIP/4712" in set_lines(channel.sent)


async def test_given_message_then_recorded_with_beep_into_messages_folder():
    channel = ScriptedChannel(caller(["7"]))
    run = await run_session(channel, "inbound", ("5",), "c1", deps())
    assert "RECORD FILE /snd/../messages/bygglov/c1 wav # 120000 0 BEEP s=5" in channel.sent
    assert "message:recorded" in run.state.path


async def test_given_goto_flow_then_call_continues_in_other_flow():
    channel = ScriptedChannel(caller(["8"]))
    run = await run_session(channel, "inbound", ("5",), "c1", deps())
    assert run.state.flow == "other" and run.state.done
    assert set_lines(channel.sent)[-2:] == ["SET VARIABLE VAXEL_ACTION hangup",
                                            "SET VARIABLE IVR_DONE 1"]


async def test_dict_directory_finds_people_by_keypad_keys():
    found = await DictDirectory({"4711": ANNA, "4712": BO}).lookup_by_name_keys("35", TUESDAY_10)
    assert found == a.NamesFound((ANNA, BO), (None, None))

"""infra.ami_codec: events read the fast way behave as panoramisk's own Message."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from panoramisk.message import Message

from infra.ami_codec import AmiEvent, read_message
from infra.ami_guards import GuardedProtocol

HANGUP = ("Event: Hangup\r\nPrivilege: call,all\r\nTimestamp: 1796610246.662637\r\n"
          "Channel: Local/4000@vaxel-inbound-00000003;2\r\nChannelState: 6\r\n"
          "CallerIDNum: 0700000009\r\nUniqueid: vx-11-2\r\nLinkedid: vx-11\r\n"
          "Cause: 16\r\nCause-txt: Normal Clearing")
CHANVARS = ("Event: Newchannel\r\nChannel: PJSIP/1000-01\r\nChanVariable: FROM_DID=\r\n"
            "ChanVariable: SIPURI=sip:42@10.0.0.1")
AGI_END = ("Event: AGIExecEnd\r\nChannel: Local/1\r\nCommand: GET DATA\r\n"
           "ResultCode: 200\r\nResult: %20200%20result=1%20\r\nActionID: vx/7")


def _same(text: str, keys: list[str]) -> None:
    fast, slow = read_message(text), Message.from_line(text)
    assert isinstance(fast, AmiEvent)
    assert dict(fast) == dict(slow)
    assert sorted(fast) == sorted(slow) and len(fast) == len(slow)
    assert (fast.id, fast.action_id, fast.event) == (slow.id, slow.action_id, slow.event)
    for key in keys + [k.lower() for k in keys] + [k.upper() for k in keys] + ["Nope"]:
        assert fast.get(key) == slow.get(key), key
        assert fast.get(key, "-") == slow.get(key, "-"), key
        assert (key in fast) == (key in slow), key
        assert getattr(fast, key.lower().replace("-", "_")) == getattr(
            slow, key.lower().replace("-", "_")), key


def test_a_hangup_reads_as_panoramisk_reads_it_in_any_spelling():
    _same(HANGUP, ["Event", "Channel", "Uniqueid", "Linkedid", "Cause", "content"])


def test_repeated_headers_become_a_list():
    _same(CHANVARS, ["ChanVariable", "Channel"])
    assert read_message(CHANVARS)["ChanVariable"] == ["FROM_DID=", "SIPURI=sip:42@10.0.0.1"]


def test_a_result_is_unquoted_and_an_action_id_matches_the_reply():
    _same(AGI_END, ["Result", "ActionID", "Command"])
    event = read_message(AGI_END)
    assert event["Result"] == "200 result=1" and event.id == "vx/7"


def test_responses_keep_panoramisks_parser():
    text = "Response: Success\r\nActionID: vx/1\r\nMessage: Originate successfully queued"
    message = read_message(text)
    assert type(message) is Message and message.action_id == "vx/1"


def test_setting_a_header_in_another_spelling_replaces_it():
    event = AmiEvent.parse(HANGUP)
    event["uniqueid"] = "other"
    assert event["Uniqueid"] == "other" and event.get("UNIQUEID") == "other"
    assert list(event).count("uniqueid") == 1 and "Uniqueid" not in list(event)
    event["ActionID"] = "vx/9"
    assert event.id == "vx/9" and event.action_id == "vx/9"


class _Factory:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def dispatch(self, event: Any) -> None:
        self.events.append(event)


class _Transport:
    def abort(self) -> None:
        raise AssertionError("the reader cut a well-formed stream")


class _Waiting:
    """A reply panoramisk waits for (its ``add_message`` says when it is complete)."""

    def __init__(self) -> None:
        self.id = self.action_id = "vx/2"
        self.messages: list[Any] = []

    def add_message(self, message: Any) -> bool:
        self.messages.append(message)
        return message.get("EventList") == "Complete"


STREAM = ("Asterisk Call Manager/9.0.0\r\n" + HANGUP + "\r\n\r\n"
          "Event: CoreShowChannel\r\nActionID: vx/2\r\nChannel: A\r\n\r\n"
          + CHANVARS + "\r\n\r\n"
          "Event: CoreShowChannelsComplete\r\nActionID: vx/2\r\nEventList: Complete\r\n\r\n"
          "Event: UserEvent\r\nUserEvent: VaxelListening\r\n\r\n").encode()


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=12))
def test_a_stream_cut_anywhere_gives_the_same_events_and_replies(cuts):
    protocol = GuardedProtocol()
    protocol.connection_made(_Transport())
    protocol.factory = _Factory()
    waiting = _Waiting()
    protocol.responses[waiting.id] = waiting
    bounds = [0, *sorted(set(cuts)), len(STREAM)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        protocol.data_received(STREAM[start:end])
    assert [e["Event"] for e in protocol.factory.events] == ["Hangup", "Newchannel", "UserEvent"]
    assert [m["Event"] for m in waiting.messages] == ["CoreShowChannel",
                                                      "CoreShowChannelsComplete"]
    assert waiting.id not in protocol.responses

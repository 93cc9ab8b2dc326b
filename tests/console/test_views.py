"""View models (pure): waiting calls, agent times, wallboard rows, search rows, strings."""

from __future__ import annotations

from datetime import UTC, datetime

from console.outcomes import CaseOutcome, OutcomeKind, fcr
from console.strings import LANGUAGES, STRINGS, pick_language
from console.views import (
    AgentTimes,
    DeviceTracker,
    PersonState,
    agent_row,
    queue_figures,
    search_rows,
    waiting_rows,
)
from directory.api import Employee, MatchRank, SearchHit, Unit
from reports.stats import summarise
from routing.model import Agent, AgentState, Call


def test_waiting_rows_are_in_serve_order_with_time_waited_and_recall_for_me() -> None:
    calls = [Call("c1", "operators", (), 0, 100.0, caller="0701"),
             Call("c2", "operators", ("district:bromma",), 8, 130.0, caller="0702",
                  last_agent="eva")]
    rows = waiting_rows(calls, 160.0, me="eva")
    assert [r["call_id"] for r in rows] == ["c2", "c1"]
    assert rows[0]["recall"] and rows[0]["district"] == "bromma"
    assert rows[1]["waited_s"] == 60.0 and not rows[1]["recall"]
    assert not waiting_rows(calls, 160.0, me="olle")[0]["recall"]


def test_agent_times_track_state_since_and_the_last_answered_call() -> None:
    times = AgentTimes()
    for e in ({"kind": "call_enqueued", "at": "10", "call_id": "c1", "queue": "kontaktcenter"},
              {"kind": "agent_state", "at": "12", "agent_id": "anna", "state": "on_call"},
              {"kind": "call_answered", "at": "12", "call_id": "c1", "agent_id": "anna"},
              {"kind": "agent_state", "at": "50", "agent_id": "anna", "state": "wrap_up"},
              {"kind": "agent_state", "at": "bad", "agent_id": "anna"}):
        times.feed(e)
    agent = Agent("anna", "e1", "PJSIP/2000", {}, frozenset({"kontaktcenter"}),
                  state=AgentState.WRAP_UP)
    row = agent_row(agent, times, 65.0)
    assert row["in_state_s"] == 15.0 and row["last_call"] == "c1"
    assert row["last_queue"] == "kontaktcenter"


def test_queue_figures_from_the_stream_the_queue_and_outcomes() -> None:
    entries = [
        {"kind": "call_enqueued", "at": "0", "call_id": "a", "queue": "kc"},
        {"kind": "call_answered", "at": "10", "call_id": "a", "agent_id": "anna"},
        {"kind": "call_ended", "at": "100", "call_id": "a"},
        {"kind": "call_enqueued", "at": "0", "call_id": "b", "queue": "kc"},
        {"kind": "call_abandoned", "at": "90", "call_id": "b"},
    ]
    report = summarise(entries, {"kc": 20.0})
    waiting = [Call("w", "kc", (), 0, 170.0)]
    agents = [Agent("anna", "", "d", {}, frozenset({"kc"}), state=AgentState.AVAILABLE),
              Agent("olle", "", "d", {}, frozenset({"kc"}), state=AgentState.LOGGED_OUT)]
    outcomes = [CaseOutcome("a", "anna", "kc", OutcomeKind.RESOLVED, "bygglov", 101.0),
                CaseOutcome("x", "anna", "kc", OutcomeKind.CASE_OPENED, "skola", 102.0),
                CaseOutcome("y", "anna", "other", OutcomeKind.CASE_OPENED, "skola", 102.0)]
    row = queue_figures("kc", report.queues["kc"], waiting, agents, outcomes, 200.0, 20.0)
    assert row["waiting_now"] == 1 and row["longest_wait_s"] == 30.0
    assert row["service_level"] == 0.5 and row["asa_s"] == 10.0
    assert row["abandon_rate"] == 0.5 and row["fcr"] == 0.5
    assert row["agents_by_state"] == {"available": 1}
    empty = queue_figures("none", None, [], [], [], 0.0, 20.0)
    assert empty["service_level"] is None and empty["fcr"] is None


def test_fcr_counts_resolved_of_all_outcomes() -> None:
    assert fcr([]) is None
    items = [CaseOutcome(str(i), "a", "q", kind, "t", 0.0, "u")
             for i, kind in enumerate([OutcomeKind.RESOLVED, OutcomeKind.FORWARDED,
                                       OutcomeKind.RESOLVED, OutcomeKind.CASE_OPENED])]
    assert fcr(items) == 0.5


def test_device_tracker_busy_from_channels_and_device_states() -> None:
    devices = DeviceTracker()
    devices.reset([{"Uniqueid": "1", "Channel": "PJSIP/4711-00000001"}])
    assert devices.busy("PJSIP/4711") and not devices.busy("PJSIP/471")
    assert devices.feed({"Event": "Hangup", "Uniqueid": "1"})
    assert not devices.busy("PJSIP/4711")
    devices.feed({"Event": "DeviceStateChange", "Device": "PJSIP/4712", "State": "INUSE"})
    assert devices.busy("PJSIP/4712")
    devices.feed({"Event": "Newchannel", "Uniqueid": "9", "Channel": "Local/4713@sim-phones-a;1"})
    assert devices.busy("Local/4713@sim-phones") and devices.channel_of("9")


def test_search_rows_show_absence_return_time_busy_and_hide_protected() -> None:
    anna = Employee("e1", "Anna", "Ekström", "Handläggare", "u1", "4711")
    unit = Unit("u1", "Bygglovsenheten", topics=("bygglov",))
    back = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    rows = search_rows([SearchHit(MatchRank.EXACT_NAME, employee=anna),
                        SearchHit(MatchRank.EXACT_NAME, unit=unit),
                        SearchHit(MatchRank.EXACT_NAME, protected=True)],
                       lambda e: PersonState("lunch", back, busy=True))
    assert rows[0]["absence"] == "lunch" and rows[0]["back_at"].startswith("2026-12-07T13")
    assert rows[0]["busy"] and rows[0]["target"] == "4711"
    assert rows[1]["target"] == "unit:u1" and rows[1]["title"] == "bygglov"
    assert rows[2] == {"kind": "protected", "label": "skyddad uppgift (protected)"}


def test_every_string_exists_in_swedish_and_english() -> None:
    for key, texts in STRINGS.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(texts[lang].strip() for lang in LANGUAGES), key
    assert pick_language("en") == "en"
    assert pick_language("de") == "sv"
    assert pick_language(None) == "sv"

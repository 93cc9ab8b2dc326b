"""Staffing: the hourly fold (calls, handling time with wrap-up, Erlangs, agents needed),
logged-in agents from agent_state entries, and `vaxel staffing` against records in a
database and logins in a real Redis stream."""

from __future__ import annotations

import json
from datetime import datetime, time

import pytest

from reports.erlang import service_level
from reports.kpis import CITY_ZONE
from reports.record_store import RecordStore
from reports.records import CallRecord
from reports.staffing import StaffRow, logged_in_per_hour, staffing
from routing.model import Agent
from routing.store import RoutingStore
from vaxel.cli import main

DAY = datetime(2026, 11, 3, tzinfo=CITY_ZONE).date()
START = datetime.combine(DAY, time(0), CITY_ZONE).timestamp()


def test_an_hour_of_120_calls_of_170_s_plus_10_s_wrap_up_is_6_erlangs() -> None:
    rows = [StaffRow(START + 9 * 3600 + i * 30, "answered", 5.0, 170.0, f"a{i % 7}")
            for i in range(120)]
    rows.append(StaffRow(START + 9 * 3600, "abandoned", 2.0, None, ""))  # a misdial
    hours = staffing(rows, START, target_s=300, target_share=0.9, wrap_up_s=10,
                     short_abandon_s=5)
    nine = hours[9]
    assert (nine.calls, nine.handling_s, nine.erlangs, nine.answering) == (120, 180.0, 6.0, 7)
    # 6 Erlangs of 180 s: 7 agents answer 88.4 % within 5 minutes, 8 answer 98.7 %.
    assert service_level(7, 6.0, 300, 180) == pytest.approx(0.884, abs=1e-3)
    assert nine.needed == 8
    assert hours[8].needed == 0 and hours[8].logged_in is None


def test_logged_in_is_time_weighted_per_hour() -> None:
    at = START + 9 * 3600
    entries = [
        {"kind": "agent_state", "agent_id": "anna", "at": repr(at), "state": "available",
         "cause": "AgentLoggedIn", "queues": '["kontaktcenter"]'},
        {"kind": "agent_state", "agent_id": "bo", "at": repr(at + 1800), "state": "available",
         "cause": "AgentLoggedIn", "queues": '["operators"]'},
        {"kind": "agent_state", "agent_id": "anna", "at": repr(at + 5400), "state": "paused",
         "cause": "AgentPaused"},
        {"kind": "agent_state", "agent_id": "anna", "at": repr(at + 7200),
         "state": "logged_out", "cause": "AgentLoggedOut"},
    ]
    hours = logged_in_per_hour(entries, "kontaktcenter", START)
    assert (hours[8], hours[9], hours[10], hours[11]) == (0.0, 1.0, 1.0, 0.0)


async def test_vaxel_staffing_prints_needed_beside_logged_in(
        records: RecordStore, records_url: str, store: RoutingStore, redis_url: str,
        prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio
    await store.login(Agent(id="anna", employee_id="e1", device="PJSIP/1", skills={},
                            queues=frozenset({"kontaktcenter"})), START + 8 * 3600)
    records.save([CallRecord(f"s{i}", arrived_at=START + 9 * 3600 + i * 60,
                             queue="kontaktcenter", enqueued_at=START + 9 * 3600 + i * 60,
                             answered_at=START + 9 * 3600 + i * 60 + 20,
                             ended_at=START + 9 * 3600 + i * 60 + 200, agent_id="anna",
                             acd_end="call_ended") for i in range(30)])
    assert await asyncio.to_thread(main, [
        "staffing", "--queue", "kontaktcenter", "--date", str(DAY), "--database", records_url,
        "--redis", redis_url, "--prefix", prefix, "--json"]) == 0
    hours = json.loads(capsys.readouterr().out)
    assert hours[9]["calls"] == 30 and hours[9]["handling_s"] == 190.0
    erlangs = 30 * 190 / 3600
    assert service_level(2, erlangs, 300, 190) < 0.9 <= service_level(3, erlangs, 300, 190)
    assert hours[9]["needed"] == 3 and hours[9]["answering"] == 1
    assert (hours[9]["logged_in"], hours[7]["logged_in"]) == (1.0, 0.0)
    assert await asyncio.to_thread(main, ["staffing", "--queue", "nope", "--date", str(DAY),
                                          "--database", records_url]) == 2
    assert "queue 'nope': no call records on 2026-11-03" in capsys.readouterr().err

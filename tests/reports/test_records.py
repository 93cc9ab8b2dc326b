"""Call records: the pure fold (positions make every entry count once, outcomes by rule),
the store on SQLite and PostgreSQL (upserts, the console's case-outcome API), and the
recorder against a real Redis (a second controller completes a call the first began)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest

from ivr.callstore import RedisCallStore
from ivr.run import CallState as IvrState
from reports.record_store import RecordStore, UnknownCall
from reports.recorder import CASE_STREAM, CallRecorder
from reports.records import (
    CallRecord,
    Outcome,
    after,
    apply_acd,
    apply_case,
    direct_answered,
    outcome_of,
    with_context,
    with_ivr,
)
from routing.model import Agent, Call
from routing.store import RoutingStore
from switchboard.context_store import CallContextStore


def acd(kind: str, at: float, **fields: str) -> dict[str, str]:
    return {"kind": kind, "at": repr(at), **fields}


def queued(call_id: str = "c1") -> CallRecord:
    r = CallRecord(call_id)
    r = apply_acd(r, "1000-0", acd("call_enqueued", 100.0, queue="kontaktcenter",
                                   requirements='["district:bromma"]'))
    r = apply_acd(r, "1001-0", acd("call_offered", 101.0, agent_id="anna"))
    return r


def test_given_entries_applied_twice_then_each_counts_once() -> None:
    r = queued()
    again = apply_acd(apply_acd(r, "1000-0", acd("call_enqueued", 100.0, queue="x")),
                      "1001-0", acd("call_offered", 101.0, agent_id="anna"))
    assert again == r
    assert r.offers == 1 and r.queue == "kontaktcenter" and r.district == "bromma"


def test_stream_positions_compare_as_numbers_not_text() -> None:
    assert after("1000-10", "1000-9") and after("10000-0", "9999-99")
    assert not after("1000-0", "1000-0") and after("1-0", "")
    with pytest.raises(ValueError, match="not a stream id"):
        after("x-1", "")


def test_answered_call_has_wait_and_talk() -> None:
    r = apply_acd(queued(), "1002-0", acd("call_answered", 110.0, agent_id="anna"))
    r = apply_acd(r, "1003-0", acd("call_ended", 170.0))
    assert (r.wait_s, r.talk_s, r.agent_id, r.outcome) == (10.0, 60.0, "anna", Outcome.ANSWERED)


def test_abandoned_call_keeps_its_wait() -> None:
    r = apply_acd(queued(), "1002-0", acd("call_abandoned", 120.0))
    assert (r.outcome, r.wait_s, r.talk_s) == (Outcome.ABANDONED, 20.0, None)


def test_left_queue_is_a_callback_when_asked_for_else_a_fallback() -> None:
    left = apply_acd(queued(), "1005-0", acd("call_left_queue", 400.0))
    assert left.outcome is Outcome.FALLBACK
    asked = apply_acd(queued(), "1002-0", acd("callback_requested", 150.0))
    assert apply_acd(asked, "1005-0", acd("call_left_queue", 400.0)).outcome is Outcome.CALLBACK
    assert asked.outcome is Outcome.OPEN


def test_ivr_state_gives_language_path_target_and_district() -> None:
    state = {"language": "en", "flow": "city-main", "path": ["welcome", "key:1",
             "dial:PJSIP/4711"], "variables": {"district": "kista"},
             "callee": {"employee_id": "e1", "name": "Anna Ek", "dial": "PJSIP/4711",
                        "unit_id": "bygglov", "unit_district": "bromma"}}
    r = with_ivr(CallRecord("c1"), "5-0", state, done=True)
    assert (r.language, r.target, r.target_name, r.unit, r.district) == (
        "en", "PJSIP/4711", "Anna Ek", "bygglov", "kista")
    assert r.outcome is Outcome.ANSWERED
    assert with_ivr(r, "4-0", {"language": "sv"}, done=True) == r


@pytest.mark.parametrize(("path", "expected"), [
    (("dial:PJSIP/1",), True),
    (("dial:PJSIP/1", "dialstatus:NOANSWER"), False),
    (("dial:PJSIP/1", "dialstatus:BUSY", "dial:PJSIP/2"), True),
    (("welcome",), None),
])
def test_direct_dial_answered_unless_a_dialstatus_came_back(path: tuple[str, ...],
                                                             expected: bool | None) -> None:
    assert direct_answered(path) is expected


def test_outcomes_of_ivr_only_calls() -> None:
    base = CallRecord("c", ivr_done=True)
    assert outcome_of(base.__class__("c", ivr_done=True, ivr_path=("dial:X", "dialstatus:BUSY",
                                                                    "message:recorded"))
                      ) is Outcome.MESSAGE
    assert outcome_of(CallRecord("c", ivr_done=True, ivr_path=("group:operators",))
                      ) is Outcome.FALLBACK
    assert outcome_of(CallRecord("c", ivr_done=True, ivr_path=("dial:X", "dialstatus:BUSY"))
                      ) is Outcome.UNANSWERED
    assert outcome_of(CallRecord("c", ivr_path=("welcome", "hangup:caller"))) is Outcome.IVR
    assert outcome_of(CallRecord("c", ivr_path=("welcome",))) is Outcome.OPEN
    assert base.outcome is Outcome.IVR


def test_context_gives_caller_arrival_and_operator_transfers() -> None:
    context = {"caller_number": "0701234567", "started_at": "2026-11-02T08:00:00+00:00",
               "attempts": [{"by": "ivr"}, {"by": "eva"}, {"by": "eva"}]}
    r = with_context(CallRecord("c", arrived_at=1e12), context)
    assert r.caller == "0701234567" and r.transfers == 2
    assert r.arrived_at == datetime(2026, 11, 2, 8, tzinfo=UTC).timestamp()


def test_case_outcome_from_the_console_stream_once() -> None:
    r = apply_case(CallRecord("c"), "7-0", {"outcome": "resolved", "topic": "bygglov",
                                            "agent_id": "anna", "queue": "kc"})
    assert (r.case_outcome, r.case_topic, r.agent_id, r.queue) == ("resolved", "bygglov",
                                                                   "anna", "kc")
    assert apply_case(r, "7-0", {"outcome": "forwarded"}) == r


# ------------------------------------------------------------------ store


def test_store_upserts_by_call_id(records: RecordStore) -> None:
    r = apply_acd(queued("s1"), "1002-0", acd("call_answered", 110.0, agent_id="anna"))
    records.save([r], {"vaxel:events": "1002-0"})
    done = apply_acd(r, "1003-0", acd("call_ended", 170.0))
    records.save([done], {"vaxel:events": "1003-0"})
    assert records.count() == 1
    assert records.get("s1") == done
    assert records.cursors() == {"vaxel:events": "1003-0"}
    assert list(records.rows_between(0, 1e9, ["outcome", "wait_s", "talk_s"])) == [
        ("answered", 10.0, 60.0)]
    with pytest.raises(UnknownCall):
        records.get("nope")


def test_case_outcome_api_for_the_console(records: RecordStore) -> None:
    early = records.record_case_outcome("s2", "forwarded", topic="bygglov", unit="u1",
                                        agent_id="anna")
    assert early.case_outcome == "forwarded" and records.get("s2").agent_id == "anna"
    records.save([apply_acd(queued("s3"), "1002-0", acd("call_answered", 105.0,
                                                        agent_id="bo"))])
    records.record_case_outcome("s3", "resolved", topic="skola")
    got = records.get("s3")
    assert (got.case_outcome, got.agent_id, got.answered_at) == ("resolved", "bo", 105.0)
    with pytest.raises(ValueError, match="outcome: 'solved' is not one of"):
        records.record_case_outcome("s3", "solved")


# ------------------------------------------------------------------ recorder


async def test_recorder_builds_a_record_and_a_second_controller_completes_it(
        store: RoutingStore, records: RecordStore, prefix: str) -> None:
    client = store.client
    call_id = f"rec-{uuid.uuid4().hex[:8]}"
    now = 1_800_000_000.0
    await CallContextStore(client).open_call(call_id, "0701234567",
                                             datetime.fromtimestamp(now - 30, UTC))
    await RedisCallStore(client).save(IvrState(
        call_id=call_id, flow="city-main", version="v1", node="queue", language="sv",
        path=("welcome", "key:2", "queue:kontaktcenter"),
        variables={"district": "bromma"}, done=True))
    await store.login(Agent(id="anna", employee_id="e1", device="PJSIP/1",
                            skills={}, queues=frozenset({"kontaktcenter"})), now - 60)
    await store.enqueue(Call(id=call_id, queue="kontaktcenter", enqueued_at=now))
    await store.claim(call_id, "anna", now + 2)
    await store.answer(call_id, "anna", now + 8)

    first = CallRecorder(client, records, prefix=prefix, lease_ms=300)
    assert await first.lease()
    await first.step()
    mid = records.get(call_id)
    assert (mid.outcome, mid.wait_s, mid.caller, mid.district, mid.ivr_path[-1]) == (
        Outcome.ANSWERED, 8.0, "46701234567", "bromma", "queue:kontaktcenter")
    assert mid.ended_at is None

    # The first controller dies; the call ends; the standby takes over after the lease.
    await store.finish(call_id, now + 68, "call_ended")
    await client.xadd(CASE_STREAM, {"at": repr(now + 70), "call_id": call_id,
                                    "agent_id": "anna", "queue": "kontaktcenter",
                                    "outcome": "resolved", "unit": "", "topic": "bygglov"})
    second = CallRecorder(client, records, prefix=prefix, lease_ms=300)
    assert not await second.lease()
    await asyncio.sleep(0.4)
    assert await second.lease()
    await second.step()
    await records_replayed(second, records)
    final = records.get(call_id)
    assert (final.talk_s, final.offers, final.case_outcome, final.arrived_at) == (
        60.0, 1, "resolved", now - 30)
    assert json.loads(json.dumps(final.ivr_path)) == list(mid.ivr_path)


async def records_replayed(recorder: CallRecorder, records: RecordStore) -> None:
    """Forget the positions (a crash between reading and saving) and record again: the
    records' own positions keep every entry counted once."""
    import sqlalchemy as sa

    from reports.record_table import record_cursors
    with records.engine.begin() as c:
        c.execute(sa.delete(record_cursors))
    while await recorder.step():
        pass


def test_migrated_tables_match_the_core_tables(records: RecordStore) -> None:
    """The migration and `reports.record_table` describe the same columns."""
    import sqlalchemy as sa

    from reports.record_table import metadata
    inspector = sa.inspect(records.engine)
    for table in metadata.tables.values():
        assert [c["name"] for c in inspector.get_columns(table.name)] == [c.name for c in table.c]

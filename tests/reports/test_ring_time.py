"""Ring time of direct calls: the IVR's dial entry to the controller's ``dial-answered``
entry in ``vaxel:calls`` (first answer counts; a new dial starts afresh), stored with the
record, and the direct service's service level and ASA from it."""

from __future__ import annotations

import asyncio
import uuid

from infra.report_settings import ReportSettings
from ivr.callstore import RedisCallStore
from ivr.dial_answers import is_direct_answer
from ivr.run import CallState as IvrState
from reports.kpis import KpiRow, kpis
from reports.record_store import RecordStore
from reports.recorder import CallRecorder
from reports.records import CallRecord, Outcome, with_ivr
from routing.store import RoutingStore

DIALLED = {"path": ["welcome", "extension:4711", "dial:PJSIP/4711"], "flow": "main"}


def test_ring_time_is_dial_entry_to_the_first_answer_entry() -> None:
    # The IVR saves its state as it leaves for the dial: not done, it waits for the dial.
    r = with_ivr(CallRecord("c1"), "1000000-0", DIALLED, False, dialed_id="1000000-0")
    assert (r.dialed_at, r.ring_s, r.outcome) == (1000.0, None, Outcome.OPEN)
    r = with_ivr(r, "1007500-0", DIALLED, False, answered_id="1007500-0")
    assert r.ring_s == 7.5 and r.outcome is Outcome.ANSWERED
    again = with_ivr(r, "1009000-0", DIALLED, False, answered_id="1009000-0")
    assert again.ring_s == 7.5  # a second controller's note of the same answer
    assert with_ivr(r, "1007500-0", DIALLED, False, answered_id="1007500-0") == r
    redial = with_ivr(r, "1020000-0", DIALLED, True, dialed_id="1020000-0")
    assert (redial.dialed_at, redial.ring_s) == (1020.0, None)


def test_the_direct_service_level_and_asa_come_from_the_ring_time() -> None:
    """Threshold 20 s: rang 5 s and 25 s (answered), one nobody answered -> 1 / 3; ASA 15 s;
    an answered call without a measured ring time is answered but not judged."""
    def direct(outcome: str, ring: float | None) -> KpiRow:
        return KpiRow(0.0, "", "", "", "", outcome, None, 30.0, False, "", ring)
    rows = [direct("answered", 5.0), direct("answered", 25.0), direct("unanswered", None),
            direct("answered", None)]
    k = kpis(rows, ReportSettings(), by="service")[("direkt", "all")]
    assert (k.answered, k.unanswered, k.target_s) == (3, 1, 20.0)
    assert k.service_level is not None and abs(k.service_level - 1 / 3) < 1e-9
    assert k.asa_s == 15.0


def test_only_the_ivr_direct_dials_answer_counts() -> None:
    event = {"Event": "DialEnd", "DialStatus": "ANSWER", "Context": "vaxel-route",
             "Exten": "dial", "Uniqueid": "1733.12"}
    assert is_direct_answer(event)
    assert not is_direct_answer({**event, "DialStatus": "NOANSWER"})
    assert not is_direct_answer({**event, "Context": "vaxel-switchboard-transfer"})
    assert not is_direct_answer({**event, "Event": "DialBegin"})


async def test_the_recorder_stores_the_ring_time_of_a_direct_call(
        store: RoutingStore, records: RecordStore, prefix: str) -> None:
    client = store.client
    call_id = f"ring-{uuid.uuid4().hex[:8]}"
    calls = RedisCallStore(client)
    await calls.save(IvrState(call_id=call_id, flow="main", version="v1", node="dial",
                              path=tuple(DIALLED["path"]), done=True))
    await asyncio.sleep(0.3)
    await calls.dial_answered(call_id)
    await calls.dial_answered(call_id)  # the other controller saw it too
    recorder = CallRecorder(client, records, prefix=prefix)
    assert await recorder.lease()
    while await recorder.step():
        pass
    record = records.get(call_id)
    assert record.outcome is Outcome.ANSWERED
    assert record.ring_s is not None and 0.25 <= record.ring_s < 2.0
    import sqlalchemy as sa

    from reports.record_table import call_records as t
    with records.engine.connect() as c:  # the derived column SQL filters on
        stored = c.execute(sa.select(t.c.ring_s).where(t.c.call_id == call_id)).scalar()
    assert stored == record.ring_s

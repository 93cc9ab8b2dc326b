"""The call context: the pure model, and its Redis store against a real redis-server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.context import (
    Attempt,
    CallContext,
    ContextError,
    Outcome,
    city_day,
    describe,
    outcome_of_dialstatus,
)
from switchboard.context_store import CallContextStore, DirectoryLookup
from vaxel.testing.services import RedisServer

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm


@pytest.mark.parametrize(("status", "outcome"), [
    ("ANSWER", Outcome.ANSWERED), ("NOANSWER", Outcome.NO_ANSWER), ("BUSY", Outcome.BUSY),
    ("CHANUNAVAIL", Outcome.UNAVAILABLE), ("congestion", Outcome.UNAVAILABLE),
    ("SOMETHINGNEW", Outcome.UNAVAILABLE),
])
def test_dialstatus_maps_to_the_outcome_operators_read(status, outcome):
    assert outcome_of_dialstatus(status) is outcome


def test_given_a_naive_time_then_an_attempt_is_refused_naming_the_field():
    with pytest.raises(ContextError, match="Attempt.at"):
        Attempt("4711", datetime(2026, 11, 24, 10, 0), Outcome.BUSY)


def test_given_a_late_utc_evening_then_the_city_day_is_already_tomorrow():
    assert city_day(datetime(2026, 11, 24, 23, 30, tzinfo=UTC)).isoformat() == "2026-11-25"


def test_context_round_trips_through_its_dict_and_keeps_attempt_order():
    ctx = CallContext("c1", "0701234567", T0)
    for i, outcome in enumerate((Outcome.NO_ANSWER, Outcome.BUSY, Outcome.ANSWERED)):
        ctx = ctx.with_attempt(Attempt(f"47{i}", T0 + timedelta(minutes=i), outcome, by="ivr"))
    back = CallContext.from_dict(json.loads(json.dumps(ctx.to_dict())))
    assert back == ctx
    assert [a.outcome for a in back.attempts] == [Outcome.NO_ANSWER, Outcome.BUSY,
                                                   Outcome.ANSWERED]
    assert back.last_failure is not None and back.last_failure.target == "471"


def test_given_a_stored_context_without_caller_then_the_error_names_the_field():
    with pytest.raises(ContextError, match="caller_number"):
        CallContext.from_dict({"call_id": "c1", "started_at": T0.isoformat()})


def test_operator_reads_who_was_tried_and_why_in_swedish_and_english():
    ctx = CallContext("c1", "0701234567", T0, caller_names=("Anna Ekström",),
                      ivr_path=("menu:1", "extension:4711")).with_attempt(
        Attempt("4711", T0, Outcome.ABSENT, "Anna Ekström", "semester till 1 dec"))
    text = "\n".join(describe(ctx))
    assert "0701234567 - Anna Ekström" in text
    assert "menu:1 > extension:4711" in text
    assert "Sökte (tried) Anna Ekström (4711) 10:00: frånvarande (absent): semester" in text
    assert repr(ctx) == "<CallContext c1 from 0701234567: 1 attempts, 0 earlier today>"


@pytest.fixture
async def store():
    with RedisServer() as server:
        s = CallContextStore.from_url(server.url)
        yield s
        await s.close()


async def test_given_attempts_then_get_returns_them_with_the_ivr_path(store):
    await store.client.set("vaxel:call:c1", json.dumps({"path": ["lang:sv", "menu:1"]}))
    await store.open_call("c1", "0701234567", T0)
    await store.record_attempt("c1", Attempt("4711", T0, Outcome.NO_ANSWER, "Anna Ekström"))
    await store.record_attempt("c1", Attempt("4712", T0, Outcome.BUSY, by="op1000"))
    ctx = await store.get("c1")
    assert ctx is not None
    assert ctx.ivr_path == ("lang:sv", "menu:1")
    assert [(a.target, a.outcome) for a in ctx.attempts] == [
        ("4711", Outcome.NO_ANSWER), ("4712", Outcome.BUSY)]


async def test_given_concurrent_recorders_then_no_attempt_is_lost(store):
    import asyncio

    await store.open_call("c1", "0701234567", T0)
    await asyncio.gather(*(store.record_attempt("c1", Attempt(str(i), T0, Outcome.BUSY))
                           for i in range(20)))
    ctx = await store.get("c1")
    assert sorted(int(a.target) for a in ctx.attempts) == list(range(20))


async def test_earlier_contacts_are_same_number_same_city_day_only(store):
    await store.open_call("yesterday", "070-123 45 67", T0 - timedelta(days=1))
    await store.open_call("morning", "070-123 45 67", T0 - timedelta(hours=1))
    await store.open_call("other", "0709999999", T0)
    await store.open_call("now", "+46701234567", T0)
    ctx = await store.get("now")
    assert [c.call_id for c in ctx.earlier_contacts] == ["morning"]
    assert [c.call_id for c in await store.contacts_today("0701234567", T0)] == [
        "morning", "now"]


async def test_opening_a_call_twice_keeps_its_attempts(store):
    await store.record_attempt("c1", Attempt("4711", T0, Outcome.BUSY), caller_number="0701")
    await store.open_call("c1", "0701", T0 + timedelta(minutes=1))
    ctx = await store.get("c1")
    assert len(ctx.attempts) == 1 and ctx.started_at == T0


async def test_unknown_call_has_no_context(store):
    assert await store.get("nope") is None


async def test_reverse_lookup_names_the_directory_entry_owning_the_number(tmp_path, store):
    from directory.api import Device, Directory

    d = Directory.open(f"sqlite:///{tmp_path / 'd.db'}")
    d.create_schema()
    d.add_unit("u1", "Bygglovsenheten")
    d.add_employee("e1", "Anna", "Ekström", unit_id="u1", extension="4711",
                   devices=(Device("mobile", "PJSIP/0701234567@trunk", "0701234567"),))
    store.lookup = DirectoryLookup(d)
    await store.open_call("c1", "0701234567", T0)
    assert (await store.get("c1")).caller_names == ("Anna Ekström",)


async def test_given_ivr_attempts_then_absent_and_dialstatus_become_outcomes_by_ivr(store):
    await store.open_call("c2", "0701234567", T0)
    await store.note_attempt("c2", "0850812345", "Anna Ekström", "ABSENT", "lunch", T0)
    await store.note_attempt("c2", "Local/3000@sim-phones", "svarsgrupp (answering group) g",
                             "CHANUNAVAIL", "", T0)
    ctx = await store.get("c2")
    assert ctx is not None
    assert [(a.target, a.outcome, a.detail, a.by) for a in ctx.attempts] == [
        ("0850812345", Outcome.ABSENT, "lunch", "ivr"),
        ("Local/3000@sim-phones", Outcome.UNAVAILABLE, "", "ivr")]


async def test_given_call_ends_then_idle_store_returns_them_for_known_members_only():
    from ivr.idle_store import IdleStore

    with RedisServer() as server:
        s = CallContextStore.from_url(server.url)
        idle = IdleStore(s.client)
        await idle.call_ended("PJSIP/4711", T0)
        assert await idle.idle_since(["PJSIP/4711", "PJSIP/4712"]) == {
            "PJSIP/4711": T0.timestamp()}
        assert await idle.idle_since([]) == {}
        await s.close()


async def test_given_number_calling_all_day_then_only_latest_contacts_are_read(store):
    from switchboard.context_store import CONTACTS_READ

    for i in range(CONTACTS_READ + 10):
        await store.open_call(f"c{i:03d}", "0701234567", T0 + timedelta(seconds=i))
    found = await store.contacts_today("0701234567", T0)
    assert [c.call_id for c in found] == [f"c{i:03d}" for i in range(10, CONTACTS_READ + 10)]
    stored = await store.stored_many(["c005", "c006", "nobody"])
    assert sorted(stored) == ["c005", "c006"]
    assert stored["c005"].caller_number == "0701234567" and not stored["c005"].ivr_path


async def test_given_burst_of_hangups_then_idle_recorder_writes_them_in_one_batch():
    import asyncio

    from infra.ami_guards import Subscription
    from ivr.idle_store import IdleRecorder, IdleStore

    class Ami:
        def __init__(self) -> None:
            self.subscribers: set[Subscription] = set()

        def subscribe(self, predicate):  # type: ignore[no-untyped-def]
            sub = Subscription(self.subscribers, predicate)
            self.subscribers.add(sub)
            return sub

    def hangup(channel: str, state: str = "6") -> dict[str, str]:
        return {"Event": "Hangup", "Channel": channel, "ChannelState": state}

    with RedisServer() as server:
        s = CallContextStore.from_url(server.url)
        idle, ami = IdleStore(s.client), Ami()
        recorder = IdleRecorder(ami, idle, clock=lambda: T0)  # type: ignore[arg-type]
        sub = next(iter(ami.subscribers))
        for event in (hangup("PJSIP/4711-0000000a"), hangup("PJSIP/4712-0000000b"),
                      hangup("PJSIP/4713-0000000c", state="5")):   # only rang: not idle
            sub.queue.put_nowait(event)
        task = asyncio.create_task(recorder.run())
        for _ in range(100):
            if recorder.recorded:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert recorder.recorded == 2 and not ami.subscribers
        assert await idle.idle_since(["PJSIP/4711", "PJSIP/4712", "PJSIP/4713"]) == {
            "PJSIP/4711": T0.timestamp(), "PJSIP/4712": T0.timestamp()}
        await s.close()

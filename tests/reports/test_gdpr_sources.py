"""`vaxel gdpr export` covers every place a caller is kept (the records on both databases,
and in Redis: contexts, the IVR's state, the ACD's call with its callback request, messages
with their recording, the spool folder, case outcomes), each seeded through the code that
writes it; an unreachable Redis is named, not skipped; `purge` removes what has no TTL past
retention and leaves other callers and newer data alone."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.outcomes import CaseOutcome, OutcomeKind, RedisOutcomeStore
from infra.redis_url import redis_client
from ivr.callstore import RedisCallStore
from ivr.run import CallState
from reports.gdpr_redis import export_redis, purge_redis
from reports.record_store import RecordStore
from reports.records import CallRecord
from routing.model import Call
from routing.store import RoutingStore
from switchboard import messages as m
from switchboard.context import Attempt, Outcome
from switchboard.context_store import CallContextStore
from switchboard.message_store import MessageDesk, MessageSpool, MessageStore
from vaxel.cli import main
from vaxel.testing.services import RedisServer, free_port

NUMBER, OTHER = "070-123 45 67", "08-765 43 21"
DAY = 86400.0


class Outbox:
    """The desk's mailer port: accepts every mail (delivery is not what is tested here)."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    async def send(self, mail: object) -> None:
        self.sent.append(mail)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


async def seed(url: str, spool: Path, recording: Path) -> None:
    """One caller's traces everywhere, through the code that writes each, and another's."""
    client = redis_client(url)
    now = datetime.now(UTC)
    contexts = CallContextStore(client)
    await contexts.open_call("c-ivr", "+46701234567", now)
    await contexts.record_attempt("c-ivr", Attempt("PJSIP/4711", now, Outcome.NO_ANSWER,
                                                   target_name="Anna"))
    await contexts.open_call("c-other", "08-7654321", now)
    await RedisCallStore(client).save(CallState("c-ivr", "huvudmeny", "v1", "meny",
                                                path=("meny", "1")))
    routing = RoutingStore(client)
    await routing.enqueue(Call("c-queue", "kontaktcenter", (), 0, time.time(),
                               caller="0701234567"))
    await routing.request_callback("c-queue", time.time())
    await routing.enqueue(Call("c-queue2", "kontaktcenter", (), 0, time.time(), caller=OTHER))
    desk = MessageDesk(MessageStore(client), Outbox(), "vaxel@example.org")
    anna = m.Recipient("anna", "Anna A", "anna@example.org")
    await desk.take(anna, m.Kind.MESSAGE, NUMBER, "Ring om bygglovet", now - timedelta(days=100),
                    call_id="c-old", recording=str(recording))
    await desk.take(anna, m.Kind.CALLBACK, "+46701234567", "", now, call_id="c-ivr")
    await desk.take(anna, m.Kind.CALLBACK, OTHER, "", now, call_id="c-other")
    MessageSpool(spool).put(m.Message("spooled1", anna, m.Kind.CALLBACK, NUMBER, "",
                                      now - timedelta(days=100)))
    await RedisOutcomeStore(client).record(CaseOutcome("c-rec", "anna", "kontaktcenter",
                                                       OutcomeKind.RESOLVED, "bygglov",
                                                       time.time()))
    await client.aclose()


def config_file(tmp_path: Path, spool: Path) -> Path:
    path = tmp_path / "vaxel.toml"
    path.write_text(f'[smtp]\nspool_dir = "{spool.parent}"\n', encoding="utf-8")
    return path


async def test_export_finds_the_caller_in_every_source_and_only_them(
        records: RecordStore, records_url: str, redis: RedisServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "absent-c-old.wav"
    recording.write_bytes(b"RIFF")
    config = config_file(tmp_path, tmp_path / "spool" / "x")
    from infra.config import load_config
    from switchboard.message_store import message_spool

    spool = message_spool(load_config(config, env={
        "VAXEL_REDIS_URL": redis.url})).folder
    await seed(redis.url, spool, recording)
    records.save([CallRecord("c-rec", arrived_at=time.time() - 3600, caller="46701234567"),
                  CallRecord("c-x", arrived_at=time.time() - 3600, caller="4687654321")])
    capsys.readouterr()  # the seeding's log lines

    code = await _cli(["gdpr", "export", "--number", NUMBER, "--database", records_url,
                       "--redis", redis.url, "--config", str(config)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["unreachable"] == {}
    s = out["sources"]
    assert [r["call_id"] for r in s["call_records"]] == ["c-rec"]
    assert list(s["contacts"].values()) == [["c-ivr"]]
    assert [(c["call_id"], c["callback"]) for c in s["queued_calls"]] == [("c-queue", "1")]
    assert sorted(x["call_id"] for x in s["messages"]) == ["c-ivr", "c-old"]
    assert [x["recording_present"] for x in s["messages"] if x["call_id"] == "c-old"] == [True]
    assert [x["id"] for x in s["message_spool"]] == ["spooled1"]
    assert [c["call_id"] for c in s["call_contexts"]] == ["c-ivr"]
    assert s["call_contexts"][0]["attempts"][0]["target"] == "PJSIP/4711"
    assert [c["call_id"] for c in s["ivr_calls"]] == ["c-ivr"]
    assert [(o["call_id"], o["outcome"]) for o in s["case_outcomes"]] == [("c-rec", "resolved")]
    assert "765" not in json.dumps(s)  # nothing of the other caller

    dead = f"redis://127.0.0.1:{free_port()}/0"
    code = await _cli(["gdpr", "export", "--number", NUMBER, "--database", records_url,
                       "--redis", dead, "--config", str(config)])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code == 1 and "export incomplete" in captured.err
    assert {"contacts", "queued_calls", "messages", "call_contexts", "ivr_calls",
            "case_outcomes"} <= set(out["unreachable"])
    assert [r["call_id"] for r in out["sources"]["call_records"]] == ["c-rec"]
    assert "message_spool" in out["sources"]  # a folder: readable without Redis


async def test_purge_removes_what_has_no_ttl_past_retention(redis: RedisServer,
                                                            tmp_path: Path) -> None:
    recording = tmp_path / "absent-c-old.wav"
    recording.write_bytes(b"RIFF")
    spool = tmp_path / "spool"
    await seed(redis.url, spool, recording)
    client = redis_client(redis.url)
    try:
        now = time.time()
        done = await purge_redis(client, now, pseudonymise_after_days=90,
                                 delete_after_days=365, spool=spool)
        assert (done.messages_deleted, done.spooled_deleted, done.queued_blanked,
                done.outcomes_deleted) == (1, 1, 0, 0)
        assert not recording.exists()
        left = await export_redis(client, NUMBER, ["c-rec"], spool)
        assert [x["call_id"] for x in left.sections["messages"]] == ["c-ivr"]
        assert left.sections["message_spool"] == []
        assert len(left.sections["case_outcomes"]) == 1

        later = now + 400 * DAY  # a year on: the rest is past retention too
        done = await purge_redis(client, later, pseudonymise_after_days=90,
                                 delete_after_days=365, spool=spool)
        assert (done.messages_deleted, done.queued_blanked, done.outcomes_deleted) == (2, 2, 1)
        assert await client.hget("vaxel:acd-call:c-queue", "caller") == ""
        assert await client.hget("vaxel:acd-call:c-queue", "callback") == "1"
        assert await client.xlen("vaxel:outcomes") == 0
        assert await client.hlen("vaxel:outcomes:by-call") == 0
        left = await export_redis(client, NUMBER, ["c-rec"], spool)
        assert left.sections["messages"] == [] and left.sections["queued_calls"] == []
        again = await purge_redis(client, later, pseudonymise_after_days=90,
                                  delete_after_days=365, spool=spool)
        assert str(again) == ("0 messages deleted (0 spooled), 0 queued callers blanked, "
                              "0 case outcomes deleted")
    finally:
        await client.aclose()


async def _cli(argv: list[str]) -> int:
    """`vaxel` runs its own event loop: in a thread, away from the test's."""
    import asyncio

    return await asyncio.to_thread(main, argv)

"""Queue statistics from the event stream: pure folding, then through a real Redis and CLI."""

from __future__ import annotations

import json

import pytest

from reports.stats import render, summarise
from routing.model import Agent, Call
from routing.store import RoutingStore


def enq(call_id: str, at: float, queue: str = "kontaktcenter",
        skills: tuple[str, ...] = ()) -> dict[str, str]:
    return {"kind": "call_enqueued", "at": repr(at), "call_id": call_id, "queue": queue,
            "priority": "0", "requirements": json.dumps(list(skills))}


def ev(kind: str, call_id: str, at: float, agent: str = "") -> dict[str, str]:
    e = {"kind": kind, "at": repr(at), "call_id": call_id}
    if agent:
        e["agent_id"] = agent
    return e


def test_given_answers_abandons_and_leaves_then_service_level_counts_each_by_the_definition():
    entries = [
        enq("a", 0), ev("call_offered", "a", 1, "anna"), ev("call_answered", "a", 10, "anna"),
        ev("call_ended", "a", 70),                           # 10 s wait, in target, 60 s talk
        enq("b", 0), ev("call_answered", "b", 90, "bo"), ev("call_ended", "b", 100),  # 90 s
        enq("c", 0), ev("call_abandoned", "c", 3),           # short abandon: not counted in SL
        enq("d", 0), ev("call_abandoned", "d", 40),          # abandoned after 40 s
        enq("e", 0), ev("call_left_queue", "e", 200),        # to the fallback
        enq("f", 5),                                         # still waiting
        ev("agent_state", "", 1),                            # not a call: ignored
    ]
    r = summarise(entries, {"kontaktcenter": 60})
    f = r.queues["kontaktcenter"]
    assert (f.offered, f.answered, f.answered_in_target, f.abandoned, f.short_abandoned,
            f.left, f.open) == (6, 2, 1, 1, 1, 1, 1)
    assert f.service_level == pytest.approx(1 / 4)        # a / (a, b, d, e)
    assert f.asa_s == pytest.approx(50)
    assert f.max_wait_s == pytest.approx(90)
    assert f.aht_s == pytest.approx(35)
    assert r.agents == {"anna": 1, "bo": 1}


def test_given_district_and_topic_requirements_then_calls_are_attributed_to_them():
    entries = [enq("a", 0, skills=("topic:bygglov", "district:bromma")),
               ev("call_answered", "a", 5, "anna"), ev("call_ended", "a", 65),
               enq("b", 0, skills=("district:bromma",)), ev("call_abandoned", "b", 30),
               enq("c", 0, queue="operators")]
    r = summarise(entries)
    assert r.districts["bromma"].offered == 2 and r.districts["bromma"].answered == 1
    assert r.districts["-"].offered == 1
    assert r.topics["bygglov"].answered == 1 and r.topics["-"].offered == 2
    assert set(r.queues) == {"kontaktcenter", "operators"}
    text = render(r)
    assert "bromma" in text and "Stadsdel (district)" in text and "anna" in text


def test_given_a_period_then_only_calls_enqueued_in_it_count():
    entries = [enq("old", 10), ev("call_answered", "old", 200, "anna"),
               enq("new", 100), ev("call_answered", "new", 110, "bo"),
               enq("late", 500)]
    r = summarise(entries, since=50, until=400)
    assert r.queues["kontaktcenter"].offered == 1 and r.agents == {"bo": 1}


def test_given_a_bad_time_in_an_entry_then_the_error_names_the_entry():
    with pytest.raises(ValueError, match=r"stream entry 1 \(call_answered a\): at"):
        summarise([enq("a", 0), {"kind": "call_answered", "call_id": "a", "at": "soon"}])


def test_given_no_calls_then_service_level_is_unknown_not_zero():
    r = summarise([])
    assert r.queues == {} and "Kö (queue)" in render(r)
    assert summarise([enq("a", 0)]).queues["kontaktcenter"].service_level is None


async def test_given_calls_through_the_store_then_the_stream_carries_what_stats_need(
        store: RoutingStore):
    await store.login(Agent("anna", "e1", "Local/2001@sim-phones", {"topic:bygglov": 3},
                            frozenset({"kontaktcenter"})), now=0.0)
    await store.enqueue(Call("c1", "kontaktcenter", ("topic:bygglov", "district:bromma"),
                             enqueued_at=100.0))
    await store.claim("c1", "anna", 105.0)
    await store.answer("c1", "anna", 112.0)
    await store.finish("c1", 172.0, "call_ended")
    await store.enqueue(Call("c2", "kontaktcenter", ("district:kista",), enqueued_at=120.0))
    await store.finish("c2", 150.0, "call_abandoned")
    entries = [fields for _id, fields in await store.events()]
    r = summarise(entries, {"kontaktcenter": 10})
    f = r.queues["kontaktcenter"]
    assert (f.offered, f.answered, f.answered_in_target, f.abandoned) == (2, 1, 0, 1)
    assert f.asa_s == pytest.approx(12) and f.aht_s == pytest.approx(60)
    assert r.districts["bromma"].answered == 1 and r.districts["kista"].abandoned == 1


async def answered_by_anna(store: RoutingStore, queue: str, skills: tuple[str, ...],
                           now: float) -> None:
    """Through the store's scripts: anna logs in, call c1 is enqueued at ``now``, offered to
    her 1 s later and answered after 30 s."""
    await store.login(Agent("anna", "e1", "Local/2001@sim-phones", {}, frozenset({queue})),
                      now=now)
    await store.enqueue(Call("c1", queue, skills, enqueued_at=now))
    await store.claim("c1", "anna", now + 1)
    await store.answer("c1", "anna", now + 30)


async def test_vaxel_stats_prints_json_and_a_table_from_the_stream(
        store: RoutingStore, redis_url: str, prefix: str, tmp_path, capsys):
    import asyncio
    import time

    from vaxel.cli import main

    now = time.time()
    await answered_by_anna(store, "kc", ("district:bromma",), now)
    config = tmp_path / "vaxel.toml"
    config.write_text('[queues.kc]\nservice_level_s = 20\n')
    args = ["stats", "--redis", redis_url, "--prefix", prefix, "--config", str(config)]
    rc = await asyncio.to_thread(main, [*args, "--json"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    kc = report["queues"]["kc"]
    assert kc["answered"] == 1 and kc["answered_in_target"] == 0 and kc["target_s"] == 20.0
    assert report["districts"]["bromma"]["answered"] == 1
    assert await asyncio.to_thread(main, [*args, "--since", "all"]) == 0
    assert "kc" in capsys.readouterr().out
    assert await asyncio.to_thread(main, [*args, "--since", "igår"]) == 2
    assert "--since: not a date or time: 'igår'" in capsys.readouterr().err

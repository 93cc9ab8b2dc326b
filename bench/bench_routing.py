"""Routing benchmark: decision latency and assignments per second.

2,000 agents, 50 skills (30 topics, 5 languages, 15 districts), 5,000 waiting calls
with the issue's escalation steps. Measures, in one run and printed as a table:

* the pure decision "agent frees up -> which call" through the signature index
  (`CallIndex`) and through the naive linear scan (`matcher.select_call_for_agent`);
* "call arrives -> which agent" with all 2,000 agents free, through `AgentPool` and
  through the linear scan (`matcher.select_agent_for_call`);
* the whole engine step (`Engine.handle(CallEnded)` -> agent free -> `OfferCall`);
* assignments through Redis (a redis-server started on a free loopback port):
  one Lua claim per round trip, pipelined claims, and engine decisions plus
  pipelined claims end to end.

Run: ``.venv/bin/python bench/bench_routing.py`` (``--quick`` for a smaller run).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from routing import messages as m
from routing.engine import Engine
from routing.index import AgentPool, CallIndex
from routing.matcher import select_agent_for_call, select_call_for_agent
from routing.model import (
    Agent,
    AgentState,
    Call,
    EscalationStep,
    QueueConfig,
    Requirement,
)
from routing.store import RoutingStore
from routing.testing import redis_server

KC = "kontaktcenter"
TOPICS = [f"topic:t{i:02d}" for i in range(30)]
LANGS = ["lang:sv", "lang:en", "lang:ar", "lang:fi", "lang:so"]
DISTRICTS = [f"district:d{i:02d}" for i in range(15)]
ESCALATION = (
    EscalationStep(0, (Requirement("topic", 3), Requirement("lang", 1),
                       Requirement("district", 1))),
    EscalationStep(30, (Requirement("topic", 1), Requirement("lang", 1))),
    EscalationStep(90, (Requirement("lang", 1),)),
    EscalationStep(240, ()),
)
QUEUE = QueueConfig(KC, escalation=ESCALATION, wrap_up_s=0, callback_after_s=None,
                    max_wait_s=None, announce_every_s=10_000)
NOW = 600.0


def make_agents(rng: random.Random, n: int) -> list[Agent]:
    agents = []
    for i in range(n):
        skills = {t: rng.randint(1, 5) for t in rng.sample(TOPICS, rng.randint(2, 3))}
        skills |= {lang: rng.randint(1, 5) for lang in rng.sample(LANGS, rng.randint(1, 2))}
        skills |= {d: rng.randint(1, 5) for d in rng.sample(DISTRICTS, rng.randint(0, 2))}
        agents.append(Agent(f"a{i:04d}", f"e{i:04d}", f"PJSIP/{i:04d}", skills,
                            frozenset({KC}), AgentState.AVAILABLE, idle_since=rng.random()))
    return agents


def make_calls(rng: random.Random, n: int) -> list[Call]:
    calls = []
    for i in range(n):
        needs = [rng.choice(TOPICS), rng.choice(LANGS[:3])]
        if rng.random() < 0.5:
            needs.append(rng.choice(DISTRICTS))
        calls.append(Call(f"c{i:05d}", KC, tuple(needs), rng.choice([0] * 6 + list(range(10))),
                          enqueued_at=rng.uniform(0, NOW), caller=f"07{i:08d}", seq=i,
                          escalation=ESCALATION))
    return calls


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Latencies in microseconds of `runs` calls of `fn`.

    The state built so far is moved out of the garbage collector's generations first
    (`gc.freeze`), as a long-running controller does after loading its state, so that
    a full collection of 100,000 long-lived objects does not land inside one decision."""
    gc.collect()
    gc.freeze()
    out = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - start) / 1000)
    return out


def row(name: str, method: str, lat_us: list[float]) -> tuple[str, ...]:
    lat = sorted(lat_us)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    rate = len(lat) / (sum(lat) / 1e6)
    return (name, method, str(len(lat)), f"{statistics.median(lat):.1f}", f"{p99:.1f}",
            f"{rate:,.0f}")


def pure_rows(agents: list[Agent], calls: list[Call], runs: int, naive_runs: int
              ) -> Iterable[tuple[str, ...]]:
    index, pool = CallIndex(), AgentPool()
    for c in calls:
        index.add(c, NOW)
    for a in agents:
        pool.add(a)
    probe_agents = (agents * (runs // len(agents) + 1))[:runs]
    it = iter(probe_agents)
    yield row("agent frees up -> call", "signature index", timed(
        lambda: index.best_for(next(it)), runs))
    it = iter(probe_agents)
    yield row("agent frees up -> call", "linear scan", timed(
        lambda: select_call_for_agent(next(it), calls, NOW), naive_runs))
    # A call that arrives is at its first escalation step (it has not waited yet).
    fresh = [replace(c, enqueued_at=NOW) for c in calls]
    probe_calls = (fresh * (runs // len(fresh) + 1))[:runs]
    ic = iter(probe_calls)
    yield row("new call -> agent (2000 free)", "skill pool", timed(
        lambda: pool.best_for(next(ic), NOW), runs))
    ic = iter(probe_calls)
    yield row("new call -> agent (2000 free)", "linear scan", timed(
        lambda: select_agent_for_call(next(ic), agents, NOW), naive_runs))
    print(f"  ({index.buckets()} requirement signatures among {len(calls)} waiting calls)")


def busy_engine(agents: list[Agent], calls: list[Call]) -> Engine:
    """An engine where every agent is on a call and `calls` wait (enqueued at their times)."""
    engine = Engine([QUEUE])
    for a in agents:
        engine.handle(m.AgentLoggedIn(a.id, a.employee_id, a.device, a.skills, a.queues), 0.0)
        engine.handle(m.CallEnqueued(f"busy-{a.id}", KC, ()), 0.0)
        engine.handle(m.OfferAnswered(f"busy-{a.id}", a.id), 0.0)
    for c in sorted(calls, key=lambda c: c.enqueued_at):
        engine.handle(m.CallEnqueued(c.id, KC, c.requirements, c.priority, c.caller),
                      c.enqueued_at)
    while (deadline := engine.next_deadline()) is not None and deadline <= NOW:
        engine.handle(m.TimerFired(), deadline)
    return engine


def engine_row(agents: list[Agent], calls: list[Call], runs: int) -> tuple[str, ...]:
    engine = busy_engine(agents, calls)
    ended = iter([f"busy-{a.id}" for a in agents][:runs])
    lat = timed(lambda: engine.handle(m.CallEnded(next(ended)), NOW), min(runs, len(agents)))
    return row("engine: call ended -> next offer", "Engine.handle", lat)


async def redis_rows(url: str, agents: list[Agent], calls: list[Call]
                     ) -> list[tuple[str, ...]]:
    rows = []
    for method, batch in (("Lua claim, 1 round trip each", 1),
                          ("Lua claims, pipelined x100", 100),
                          ("engine decides + pipelined x100", 100)):
        store = RoutingStore.from_url(url, prefix=f"bench{len(rows)}")
        await load(store, agents, calls)
        if method.startswith("engine"):
            engine = busy_engine(agents, calls)
            start = time.perf_counter()
            won = await engine_claims(store, engine, agents, batch)
        else:
            pairs = greedy_pairs(agents, calls)
            start = time.perf_counter()
            won = await claims(store, pairs, batch)
        elapsed = time.perf_counter() - start
        rows.append(("assignments through Redis", method, str(won), f"{elapsed * 1e3:.0f} ms",
                     "", f"{won / elapsed:,.0f}"))
        await store.close()
    return rows


async def load(store: RoutingStore, agents: list[Agent], calls: list[Call]) -> None:
    for start in range(0, max(len(agents), len(calls)), 50):
        await asyncio.gather(*(store.login(a, 0.0) for a in agents[start:start + 50]),
                             *(store.enqueue(c) for c in calls[start:start + 50]))


def greedy_pairs(agents: list[Agent], calls: list[Call]) -> list[tuple[str, str]]:
    index = CallIndex()
    for c in calls:
        index.add(c, NOW)
    pairs = []
    for a in agents:
        found = index.best_for(a)
        if found is not None:
            index.remove(found.id)
            pairs.append((found.id, a.id))
    return pairs


async def claims(store: RoutingStore, pairs: list[tuple[str, str]], batch: int) -> int:
    won = 0
    for start in range(0, len(pairs), batch):
        chunk = pairs[start:start + batch]
        if batch == 1:
            await store.claim(*chunk[0], NOW)
            won += 1
        else:
            won += sum(r is None for r in await store.claim_many(chunk, NOW))
    return won


async def engine_claims(store: RoutingStore, engine: Engine, agents: list[Agent],
                        batch: int) -> int:
    won = 0
    for start in range(0, len(agents), batch):
        offers = [o for a in agents[start:start + batch]
                  for o in engine.handle(m.CallEnded(f"busy-{a.id}"), NOW)
                  if isinstance(o, m.OfferCall)]
        results = await store.claim_many([(o.call_id, o.agent_id) for o in offers], NOW)
        won += sum(r is None for r in results)
    return won


def print_table(rows: list[tuple[str, ...]]) -> None:
    head = ("what", "method", "n", "p50 µs", "p99 µs", "per second")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (for CI smoke tests)")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    agents, calls = make_agents(rng, 2000), make_calls(rng, 5000)
    runs, naive_runs = (500, 50) if args.quick else (5000, 300)
    print(f"routing benchmark: {len(agents)} agents, "
          f"{len(TOPICS) + len(LANGS) + len(DISTRICTS)} skills, {len(calls)} waiting calls")
    rows = list(pure_rows(agents, calls, runs, naive_runs))
    rows.append(engine_row(agents, calls, runs))
    with tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as url:
        rows += asyncio.run(redis_rows(url, agents, calls))
    print_table(rows)


if __name__ == "__main__":
    main()

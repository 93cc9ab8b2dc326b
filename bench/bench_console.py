"""Console benchmark: AMI event -> WebSocket delivery with many clients while calls flow.

Starts Redis, an Asterisk 22 test instance and the console (``vaxel console`` in its own
process, so its CPU and memory are its own). Calls flow: the harness originates calls to
simulated phones (``Local/<ext>@sim-phones``, answered, 2 s long) at ``--rate`` per second,
and each call is also queued and finished in the routing store, so every client gets the
wallboard snapshots as well. WebSocket clients (an API token) note the wall time each
``ami`` event arrives; latency = arrival - the event's ``Timestamp`` (Asterisk's clock,
the same machine). Two phases in one run, printed side by side: 1 client (the baseline)
and ``--clients`` (200). Target: p99 < 100 ms with 200 clients.

Run: ``.venv/bin/python bench/bench_console.py`` (``--quick``: shorter phases).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis.asyncio as aioredis
import websockets

from console.auth import Role
from console.users import UserStore
from infra.asterisk.provision import provision
from routing.model import Call
from routing.store import RoutingStore
from vaxel.testing.calls import Harness
from vaxel.testing.services import TEST_FALLBACK, AsteriskServer, RedisServer, free_port

#: Processes the clients are spread over (each its own event loop, like separate browsers).
WORKERS = 4


class Client:
    """One WebSocket client: arrival times of the raw messages (parsed after the run)."""

    def __init__(self) -> None:
        self.got: list[tuple[float, str]] = []
        self.task: asyncio.Task[None] | None = None

    async def run(self, url: str) -> None:
        async with websockets.connect(url, max_size=None, open_timeout=30) as ws:
            async for text in ws:
                self.got.append((time.time(), str(text)))

    def latencies(self) -> list[tuple[float, float]]:
        """(AMI event -> client, AMI event -> console) in ms, per ``ami`` message."""
        out = []
        for at, text in self.got:
            data = json.loads(text)
            for msg in data if isinstance(data, list) else [data]:
                stamp = msg["event"].get("Timestamp") if msg["type"] == "ami" else None
                if stamp:
                    out.append(((at - float(stamp)) * 1000, (msg["at"] - float(stamp)) * 1000))
        return out


async def flow_calls(harness: Harness, store: RoutingStore, rate: float, seconds: float,
                     tag: str) -> int:
    """Originate ``rate`` calls per second for ``seconds``; each also queued and finished."""
    count, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        count += 1
        ext = f"{4700 + count % 90}"
        await harness.action({"Action": "Originate", "Channel": f"Local/{ext}@sim-phones",
                              "Application": "Wait", "Data": "2", "Async": "true",
                              "ChannelId": f"bench-{tag}-{count}",
                              "OtherChannelId": f"bench-{tag}-{count}-2"})
        call_id = f"bench-{tag}-{count}"
        await store.enqueue(Call(call_id, "kontaktcenter", (), 0, time.time(), caller="0701"))
        asyncio.get_running_loop().call_later(
            1.5, lambda c=call_id: asyncio.ensure_future(store.finish(c, time.time(),
                                                                       "call_abandoned")))
        await asyncio.sleep(max(0.0, count / rate - (time.monotonic() - started)))
    await asyncio.sleep(3)   # the last calls end
    return count


def run_clients(url: str, count: int, seconds: float
                ) -> tuple[int, list[tuple[float, float]]]:
    """In a worker process: ``count`` clients listen for ``seconds``; returns how many got
    messages and their AMI-event latencies (ms)."""

    async def listen() -> tuple[int, list[tuple[float, float]]]:
        group = [Client() for _ in range(count)]
        for c in group:
            c.task = asyncio.create_task(c.run(url))
        await asyncio.sleep(seconds)
        for c in group:
            assert c.task is not None
            c.task.cancel()
        await asyncio.gather(*(c.task for c in group if c.task), return_exceptions=True)
        return sum(1 for c in group if c.got), [x for c in group for x in c.latencies()]

    return asyncio.run(listen())


async def phase(url: str, clients: int, harness: Harness, store: RoutingStore,
                console: psutil.Process, rate: float, seconds: float, tag: str
                ) -> dict[str, Any]:
    """``clients`` WebSocket clients in up to ``WORKERS`` processes (like separate browsers)
    while calls flow."""
    workers = min(WORKERS, clients)
    settle = 1.0 + clients / 100
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(workers) as pool:
        shares = [clients // workers + (1 if i < clients % workers else 0)
                  for i in range(workers)]
        listening = [loop.run_in_executor(pool, run_clients, url, n, settle + seconds + 4)
                     for n in shares]
        await asyncio.sleep(settle)
        cpu0, wall0 = console.cpu_times(), time.monotonic()
        load0 = os.getloadavg()[0]
        calls = await flow_calls(harness, store, rate, seconds, tag)
        cpu1, wall1 = console.cpu_times(), time.monotonic()
        rss = console.memory_info().rss / 2**20
        results = await asyncio.gather(*listening)
    pairs = [x for _n, part in results for x in part]
    lat = sorted(total for total, _ in pairs)
    to_console = sorted(console_at for _, console_at in pairs)
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (wall1 - wall0) * 100
    return {"clients": clients, "connected": sum(n for n, _ in results), "calls": calls,
            "deliveries": len(lat), "p50": _pct(lat, 50), "p99": _pct(lat, 99),
            "max": lat[-1] if lat else float("nan"), "cpu": cpu, "rss": rss,
            "in_p99": _pct(to_console, 99),
            "load": max(load0, os.getloadavg()[0])}


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p / 100))]


async def main(args: argparse.Namespace) -> None:
    runtime = provision()
    with RedisServer() as redis_server, \
            AsteriskServer(runtime, free_port(), **TEST_FALLBACK) as asterisk, \
            tempfile.TemporaryDirectory() as tmp:
        p = asterisk.params
        port = free_port()
        cfg = Path(tmp) / "vaxel.toml"
        cfg.write_text(f'[ami]\nport = {p.ami_port}\nusername = "{p.ami_user}"\n'
                       f'secret = "{p.ami_secret}"\n[redis]\nurl = "{redis_server.url}"\n'
                       f'[directory]\nurl = "sqlite:///{tmp}/d.db"\n'
                       f'[queues.kontaktcenter]\ngroup = "contact_center"\n'
                       f'[groups.contact_center]\nmembers = ["Local/2000@sim-phones"]\n')
        client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
        token = await UserStore(client).create_token("bench", Role.SUPERVISOR)
        proc = subprocess.Popen([sys.executable, "-m", "vaxel", "console", "--config", str(cfg),
                                 "--port", str(port)], stderr=subprocess.STDOUT,
                                stdout=open(Path(tmp) / "console.log", "w"))  # noqa: SIM115
        try:
            await _wait_up(f"http://127.0.0.1:{port}/api/openapi.json")
            url = f"ws://127.0.0.1:{port}/api/events?token={token}"
            await _wait_ami(url)
            console = psutil.Process(proc.pid)
            store = RoutingStore(client)
            async with Harness(p.ami_port, p.harness_user, p.harness_secret) as harness:
                results = [await phase(url, n, harness, store, console, args.rate,
                                       args.seconds, f"c{n}") for n in (1, args.clients)]
        finally:
            proc.terminate()
            proc.wait(10)
            log_lines = (Path(tmp) / "console.log").read_text().splitlines()
            refused = [line for line in log_lines if "refused" in line or "rror" in line]
            if refused:
                print("console log:", *refused[:5], sep="\n  ")
            await client.aclose()
    print(f"\nconsole: AMI event -> WebSocket delivery, calls at {args.rate}/s for "
          f"{args.seconds:.0f} s per phase (2-core machine, load shown)")
    print(f"{'clients':>8} {'calls':>6} {'deliveries':>11} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'CPU %':>7} {'RSS MB':>7} {'load':>5} {'AMI->console p99':>17}")
    for r in results:
        print(f"{r['connected']:>8} {r['calls']:>6} {r['deliveries']:>11} {r['p50']:>8.1f} "
              f"{r['p99']:>8.1f} {r['max']:>8.1f} {r['cpu']:>7.1f} {r['rss']:>7.1f} "
              f"{r['load']:>5.1f} {r['in_p99']:>17.1f}")
    verdict = "met" if results[-1]["p99"] < 100 else "NOT met"
    print(f"target p99 < 100 ms with {args.clients} clients: {verdict}")
    print(f"(median of p50 over phases: {statistics.median(r['p50'] for r in results):.1f} ms)")


async def _wait_up(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"console did not start ({url})")


async def _wait_ami(url: str) -> None:
    for _ in range(100):
        async with websockets.connect(url) as ws:
            hello = json.loads(await ws.recv())
            if hello["health"]["ami"]:
                return
        await asyncio.sleep(0.2)
    raise SystemExit("console has no AMI link")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=3.0, help="calls per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of calls per phase")
    parser.add_argument("--quick", action="store_true", help="5 s phases")
    ns = parser.parse_args()
    if ns.quick:
        ns.seconds = 5.0
    asyncio.run(main(ns))

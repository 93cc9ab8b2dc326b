"""Call-flow benchmark: the city flow through the controller and through a dialplan twin.

One run, one Asterisk, one Redis: callers (AMI-originated Local channels, as the
integration tests place them) phone the city number and press ``#`` (Swedish), ``1``
(an extension) and ``4711#`` when the IVR listens; the directory lookup finds 4711,
whose simulated phone answers. The same calls go to the pure-dialplan twin
(`callflow_twin.py`: the same prompts, keys, lookup result and transfer, with no
controller). For each offered rate (calls per second, each for ``--seconds``) it
prints offered, completed, fallen back (to the operators), lost, the time of an IVR
step (end of the caller's input -> the next command, Asterisk's timestamps) and the
controller's CPU and memory; last, the highest lossless rate of each and their ratio.
A rate that loses calls twice in a row ends the stepping for that side.

``--soak`` runs 100 calls/s for 10 minutes (``--soak-rate``, ``--soak-minutes``) through
the controller and prints its memory over time.

Run: ``.venv/bin/python bench/bench_callflow.py`` (``--rates 25,50`` for a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from callflow_ami import Ami, Caller, Callers  # noqa: E402
from callflow_procs import Controller, cpu_seconds, start_recorder  # noqa: E402
from callflow_twin import CALLER_CONTEXT, TWIN_CONTEXT, install_twin  # noqa: E402

from infra.asterisk.provision import provision  # noqa: E402
from infra.config import EVENT_LOOPS  # noqa: E402
from tests.integration.controller import make_test_dialplans, seed_directory  # noqa: E402
from vaxel.testing.services import (  # noqa: E402
    TEST_FALLBACK,
    AsteriskServer,
    RedisServer,
    free_port,
)

#: Calls a controller gets, unmeasured, at the start of its slot (see `step_rates`).
WARM_RATE, WARM_S = 10, 2.0
RATES = (25, 50, 100, 125, 150, 175, 200, 250, 300, 400)
CITY = "4000"
STEPS = ["#", "1", "4711#"]
#: Seconds after the last call of a rate was placed before a call still up counts as lost.
DRAIN_S = 45.0


@dataclass
class RateResult:
    side: str
    rate: int
    offered: int
    completed: int
    fallback: int
    lost: int
    p50_ms: float | None
    p99_ms: float | None
    cpu_pct: float | None
    rss_mb: float | None
    #: CPU milliseconds per offered call: Asterisk, Redis, the controller (None for the twin).
    ast_ms: float | None = None
    redis_ms: float | None = None
    ctl_ms: float | None = None
    rec_ms: float | None = None

    @property
    def lossless(self) -> bool:
        return self.offered > 0 and self.completed == self.offered


class Bench:
    def __init__(self, ami: Ami, controller: Controller, asterisk_pid: int = 0,
                 redis_pid: int = 0) -> None:
        self.ami = ami
        self.controller = controller
        self.asterisk_pid = asterisk_pid
        self.redis_pid = redis_pid
        self.recorder_pid = 0
        self.callers: Callers | None = None
        self._serial = 0

    async def settle(self, idle_share: float = 0.1, most_s: float = 30.0) -> None:
        """Until Asterisk is idle (under ``idle_share`` of a core over half a second: the
        last run's calls hung up, its fallbacks rung out), at most ``most_s``."""
        await asyncio.sleep(2)
        for _ in range(int(most_s * 2)):
            before = cpu_seconds([self.asterisk_pid])
            await asyncio.sleep(0.5)
            if cpu_seconds([self.asterisk_pid]) - before < idle_share * 0.5:
                return

    def on_event(self, event: dict[str, str]) -> None:
        if self.callers is not None:
            self.callers.feed(event)

    async def run_rate(self, side: str, rate: int, seconds: float,
                       report: float | None = None) -> RateResult:
        callers = self.callers = Callers(self.ami, "4711")
        context = TWIN_CONTEXT if side == "dialplan" else "vaxel-inbound"
        loop = asyncio.get_running_loop()
        cpu0, wall0 = self.controller.cpu_seconds(), time.monotonic()
        ast0, redis0 = cpu_seconds([self.asterisk_pid]), cpu_seconds([self.redis_pid])
        rec0 = cpu_seconds([self.recorder_pid]) if self.recorder_pid else 0.0
        rss = [self.controller.rss_mb()]
        total = int(rate * seconds)
        start = loop.time()
        next_report = start + (report or 1e18)
        for i in range(total):
            due = start + i / rate
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            self._place(callers, context)
            if i % max(rate // 2, 1) == 0:
                rss.append(self.controller.rss_mb())
            if loop.time() >= next_report:
                next_report += report or 1e18
                self._soak_line(callers, loop.time() - start)
        await callers.wait_all(DRAIN_S)
        ctl_s = self.controller.cpu_seconds() - cpu0
        cpu = ctl_s / (time.monotonic() - wall0) * 100
        rss.append(self.controller.rss_mb())
        result = self._result(side, rate, callers, cpu, max(rss))
        per_call = 1e3 / max(total, 1)
        result.ast_ms = (cpu_seconds([self.asterisk_pid]) - ast0) * per_call
        result.redis_ms = (cpu_seconds([self.redis_pid]) - redis0) * per_call
        result.ctl_ms = ctl_s * per_call if side != "dialplan" else None
        if self.recorder_pid and side != "dialplan":
            result.rec_ms = (cpu_seconds([self.recorder_pid]) - rec0) * per_call
        return result

    def _place(self, callers: Callers, context: str) -> None:
        self._serial += 1
        call_id = f"bench{os.getpid()}-{self._serial}"
        callers.add(Caller(call_id, list(STEPS), time.monotonic()))
        self.ami.send({
            "Action": "Originate", "Channel": f"Local/{CITY}@{context}/n",
            "Context": CALLER_CONTEXT, "Exten": "s", "Priority": "1",
            "CallerID": f'"Bench" <07{self._serial % 10**8:08d}>', "ChannelId": call_id,
            "OtherChannelId": f"{call_id}-2", "Timeout": "30000", "Async": "true",
        })

    def _soak_line(self, callers: Callers, elapsed: float) -> None:
        done = [c.outcome for c in callers.calls.values() if c.ended]
        print(f"  {elapsed / 60:5.1f} min  controller RSS {self.controller.rss_mb():6.1f} MB  "
              f"calls up {callers.open:5d}  completed {done.count('completed'):7d}  "
              f"fallen back {done.count('fallback'):5d}  lost {done.count('lost'):5d}",
              flush=True)

    @staticmethod
    def _result(side: str, rate: int, callers: Callers, cpu: float, rss: float) -> RateResult:
        outcomes = [c.outcome for c in callers.calls.values()]
        steps = sorted(ms for c in callers.calls.values() for ms in c.step_ms)
        p50 = statistics.median(steps) if steps else None
        p99 = steps[min(len(steps) - 1, int(len(steps) * 0.99))] if steps else None
        own = side != "dialplan"
        return RateResult(side, rate, len(outcomes), outcomes.count("completed"),
                          outcomes.count("fallback"), outcomes.count("lost"), p50, p99,
                          cpu if own else None, rss if own else None)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


HEADER = (f"{'side':<11}{'calls/s':>8}{'offered':>9}{'completed':>10}{'fell back':>10}"
          f"{'lost':>6}{'step p50 ms':>12}{'step p99 ms':>12}{'ctl CPU %':>10}{'ctl RSS MB':>11}"
          f"  {'CPU ms/call: ast':>16}{'redis':>6}{'ctl':>6}{'rec':>6}")


def row(r: RateResult) -> str:
    return (f"{r.side:<11}{r.rate:>8}{r.offered:>9}{r.completed:>10}{r.fallback:>10}"
            f"{r.lost:>6}{_fmt(r.p50_ms, '.2f'):>12}{_fmt(r.p99_ms, '.2f'):>12}"
            f"{_fmt(r.cpu_pct, '.0f'):>10}{_fmt(r.rss_mb, '.0f'):>11}"
            f"  {_fmt(r.ast_ms, '.1f'):>16}{_fmt(r.redis_ms, '.2f'):>6}{_fmt(r.ctl_ms, '.1f'):>6}"
            f"{_fmt(r.rec_ms, '.1f'):>6}")


def highest_lossless(results: list[RateResult], side: str) -> int:
    """The highest rate up to which every rate of ``side`` was lossless (a lossless rate
    above a lossy one does not count)."""
    best = 0
    for r in sorted((r for r in results if r.side == side), key=lambda r: r.rate):
        if not r.lossless:
            break
        best = r.rate
    return best


async def step_rates(bench: Bench, sides: dict[str, Controller], rates: list[int],
                     seconds: float, results: list[RateResult]) -> None:
    """Each rate on every side in turn (twin, before, controller), so that the sides meet
    the machine in the same state; a controller runs only in its own slot (an idle one still
    reads the twin's AMI events), warmed up first. A side stops after two lossy rates in a row."""
    lossy = dict.fromkeys(sides, 0)
    for rate in rates:
        for side, runner in sides.items():
            if lossy[side] >= 2:
                continue
            bench.controller = runner
            overloads = runner.overloads()
            if side != "dialplan":
                runner.start()
            try:
                if side != "dialplan":
                    # Not measured: a fresh controller's first calls open its Redis and
                    # database connections and fill its directory memo.
                    await bench.run_rate(side, WARM_RATE, WARM_S)
                result = await bench.run_rate(side, rate, seconds)
            finally:
                if side != "dialplan":
                    runner.stop()
            results.append(result)
            overloads = runner.overloads() - overloads
            print(row(result) + (f"  overloaded x{overloads}"
                                 if side != "dialplan" and overloads else ""), flush=True)
            lossy[side] = 0 if result.lossless else lossy[side] + 1
            await bench.settle()
        if all(n >= 2 for n in lossy.values()):
            return


async def run(args: argparse.Namespace, workdir: Path) -> None:
    runtime = provision()
    with RedisServer() as redis, AsteriskServer(runtime, free_port(),
                                                **TEST_FALLBACK) as asterisk:
        params = asterisk.params
        url = f"sqlite:///{workdir / 'directory.db'}"
        seed_directory(url)
        config = {
            "fastagi": {"port": params.fastagi_port},
            "ami": {"port": params.ami_port, "secret": params.ami_secret},
            "redis": {"url": redis.url}, "directory": {"url": url},
            "prompts": {"asterisk_dir": asterisk.instance.sounds_path},
            "dialplans": str(make_test_dialplans(workdir / "dialplans")),
            "groups": {"operators": {"members": ["Local/1000@sim-phones"], "timeout": 10},
                       "contact_center": {"members": ["Local/2000@sim-phones"],
                                          "timeout": 10}},
            "log_format": "json", "event_loop": args.event_loop,
        }
        recorder = None
        if args.recorder == "process":
            # The recommended deployment at high rates: the controllers answer callers only.
            config["reports"] = {"recorder": False}
            recorder = start_recorder(workdir, redis.url, url)
        controller = Controller(workdir, config, args.workers, nice=args.nice)
        sides = {"dialplan": controller, "controller": controller}
        if args.before:
            (workdir / "before").mkdir()
            # Its own database (the records' migrations may differ) and, as it was, the
            # recorder inside the controller.
            before_url = f"sqlite:///{workdir / 'before' / 'directory.db'}"
            seed_directory(before_url)
            before_config = {**config, "directory": {"url": before_url},
                             "reports": {"recorder": True}}
            before_config.pop("event_loop")   # unknown to the code before this key
            before = Controller(workdir / "before", before_config, 1, args.before.resolve(),
                                args.nice)
            sides = {"dialplan": controller, "before": before, "controller": controller}
        status = asterisk.instance.status()
        bench = Bench(Ami(lambda e: bench.on_event(e)), controller, status.pid or 0,
                      redis.pid)
        bench.recorder_pid = recorder.pid if recorder is not None else 0
        try:
            await bench.ami.connect(params.ami_port, params.harness_user, params.harness_secret)
            await install_twin(bench.ami, asterisk.instance.sounds_path)
            print(f"machine: {os.cpu_count()} cores, load {_load()} at start; "
                  f"{args.seconds:g} s per rate", flush=True)
            if args.soak:
                controller.start()
                await soak(bench, args.soak_minutes, args.soak_rate)
                return
            results: list[RateResult] = []
            print(HEADER)
            rates = [int(r) for r in args.rates.split(",")]
            chosen = {side: runner for side, runner in sides.items()
                      if side in args.sides.split(",")}
            await step_rates(bench, chosen, rates, args.seconds, results)
            summary(results, args)
        finally:
            await bench.ami.close()
            for runner in sides.values():
                runner.stop()
            if recorder is not None:
                recorder.terminate()
                recorder.wait(timeout=30)


async def soak(bench: Bench, minutes: float, rate: int) -> None:
    print(f"soak: {rate} calls/s for {minutes:g} min through the controller; memory over time")
    result = await bench.run_rate("controller", rate, minutes * 60, report=30.0)
    print(HEADER)
    print(row(result))
    print(f"load at end: {_load()}")


def summary(results: list[RateResult], args: argparse.Namespace) -> None:
    dialplan = highest_lossless(results, "dialplan")
    print(f"\nload at end: {_load()}")
    for side in ("before", "controller") if args.before else ("controller",):
        best = highest_lossless(results, side)
        print(f"highest lossless rate: dialplan {dialplan} calls/s, {side} {best} calls/s, "
              f"ratio {best / dialplan if dialplan else 0:.2f}")
        at50 = [r for r in results if r.side == side and r.rate == 50]
        if at50 and at50[0].p99_ms is not None:
            print(f"{side} step p99 at 50 calls/s: {at50[0].p99_ms:.2f} ms "
                  f"(dialplan twin: {_twin_p99(results):s})")


def _twin_p99(results: list[RateResult]) -> str:
    at50 = [r for r in results if r.side == "dialplan" and r.rate == 50]
    return _fmt(at50[0].p99_ms if at50 else None, ".2f") + " ms"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rates", default=",".join(map(str, RATES)))
    p.add_argument("--seconds", type=float, default=5.0, help="seconds of calls per rate")
    p.add_argument("--workers", type=int, default=1, help="controller processes")
    p.add_argument("--before", type=Path, help="a source tree of the code before (git "
                   "worktree): its controller runs too, between the twin and this one")
    p.add_argument("--nice", type=int, default=0, help="the controllers' nice value (a "
                   "negative one needs root): a call controller may run ahead of the media")
    p.add_argument("--sides", default="dialplan,before,controller",
                   help="which of dialplan, before (with --before) and controller to run")
    p.add_argument("--recorder", choices=("process", "controller"), default="process",
                   help="where the call recorder runs: its own process (vaxel report record, "
                        "the default; its CPU is the rec column) or inside the controller")
    p.add_argument("--event-loop", choices=EVENT_LOOPS, default="auto",
                   help="the controller's event loop (its event_loop setting; auto: uvloop "
                        "when installed, as vaxel serve)")
    p.add_argument("--soak", action="store_true", help="100 calls/s for --soak-minutes")
    p.add_argument("--soak-minutes", type=float, default=10.0)
    p.add_argument("--soak-rate", type=int, default=100, help="calls/s of the soak")
    args = p.parse_args()
    # SIGTERM stops the run like Ctrl-C: Asterisk, Redis and the controller are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="vaxel-bench-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()

"""Load through the whole cluster: SIPp callers into Kamailio, spread over both Asterisk
instances, each call answered and held in the IVR (controllers, Redis through Sentinel,
the directory on PostgreSQL) until the caller hangs up.

Prints offered / completed / lost per minute (SIPp's own periodic statistics), and the
resident memory of every process (its whole session: Kamailio's and PostgreSQL's worker
processes included) at the start and at the end. The baseline, in the same run, is the
same load sent straight to one Asterisk (no Kamailio, one instance) for ``--baseline-minutes``.

    .venv/bin/python bench/bench_cluster.py                 # 100 calls/s for 10 minutes
    .venv/bin/python bench/bench_cluster.py --minutes 2 --rate 20
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from cluster import stack
from cluster.load import SippResult, run_sipp
from infra.asterisk.provision import provision


def session_rss_kib(leader: int) -> int:
    """Resident memory (KiB) of every process in ``leader``'s session."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != leader:  # field 6 of /proc/pid/stat: session id
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def memory(state: stack.ClusterState) -> dict[str, int]:
    return {name: session_rss_kib(pid) for name, pid in state.pids.items()}


def per_period(result: SippResult) -> list[tuple[str, int, int, int]]:
    """(elapsed time, offered, completed, failed) of each of SIPp's periodic dumps (one a
    minute; the first at the start, the last when SIPp ends)."""
    rows = []
    for row in result.stats:
        offered = int(row.get("OutgoingCall(P)") or 0)
        completed = int(row.get("SuccessfulCall(P)") or 0)
        failed = int(row.get("FailedCall(P)") or 0)
        elapsed = (row.get("ElapsedTime(C)") or "").split(":")[:3]
        if offered or completed or failed:
            rows.append((":".join(elapsed), offered, completed, failed))
    return rows


def report(title: str, result: SippResult, seconds: float) -> None:
    print(f"\n{title}: offered {result.offered}, completed {len(result.completed)}, "
          f"lost {result.lost} in {seconds:.0f} s")
    print(f"{'until':>9} {'offered':>8} {'completed':>10} {'failed':>7}")
    for until, offered, completed, failed in per_period(result):
        print(f"{until:>9} {offered:>8} {completed:>10} {failed:>7}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="new calls per second")
    parser.add_argument("--hold-ms", type=int, default=3000, help="how long each caller stays")
    parser.add_argument("--baseline-minutes", type=float, default=1.0,
                        help="minutes of the same load straight to one Asterisk (0: none)")
    args = parser.parse_args()
    calls = int(args.rate * args.minutes * 60)
    runtime = provision()
    workdir = Path(tempfile.mkdtemp(prefix="vaxel-bench-cluster-"))
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"at start; {calls} calls at {args.rate:g}/s, each held {args.hold_ms} ms")
    state = stack.up(workdir / "cluster", f"bench{os.getpid()}", runtime, say=lambda _t: None)
    try:
        start_mem = memory(state)
        entry = f"{state.plan.bind}:{state.plan.kamailio_port}"
        t0 = time.monotonic()
        result = run_sipp(entry, calls, args.rate, args.hold_ms, workdir / "cluster-sipp",
                          stat_period_s=60, max_concurrent=int(args.rate * 30))
        elapsed = time.monotonic() - t0
        end_mem = memory(state)
        report("through Kamailio into both Asterisk instances", result, elapsed)
        print(f"\n{'process':14} {'RSS start MiB':>14} {'RSS end MiB':>12}")
        for name in start_mem:
            print(f"{name:14} {start_mem[name] / 1024:>14.1f} {end_mem.get(name, 0) / 1024:>12.1f}")
        if args.baseline_minutes > 0:
            first = state.plan.asterisks[0]
            base_calls = int(args.rate * args.baseline_minutes * 60)
            t0 = time.monotonic()
            base = run_sipp(f"{state.plan.bind}:{first.sip_port}", base_calls, args.rate,
                            args.hold_ms, workdir / "baseline-sipp", stat_period_s=60,
                            max_concurrent=int(args.rate * 30))
            report("baseline: the same load straight to one Asterisk (no Kamailio)", base,
                   time.monotonic() - t0)
        load = os.getloadavg()
        print(f"\nload at end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    finally:
        stack.down(state, runtime)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

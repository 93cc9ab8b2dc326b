"""SIPp callers through the SIP entry, and what became of their calls.

:func:`run_sipp` places ``calls`` calls at ``rate`` per second with the scenario
``cluster/sipp/city_call.xml`` (INVITE, stay ``hold_ms``, BYE along the Record-Route)
and reads SIPp's message log back: which Asterisk answered each call (the Contact of its
200 OK) and which calls ended properly (200 OK to the BYE). A call is *lost* when it was
offered and did not end properly: no answer, or its Asterisk gone before the BYE. With
``stat_period_s`` SIPp also writes its periodic statistics (the benchmark's per-minute
figures) instead of the message log, which would be too large for a long run.
"""

from __future__ import annotations

import csv
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cluster.processes import free_ports, free_udp_range

SCENARIO = Path(__file__).parent / "sipp" / "city_call.xml"
#: Seconds SIPp waits for a call's next message before it counts the call as failed.
CALL_TIMEOUT_S = 20

_BLOCK = re.compile(r"^-{10,}.*$", re.MULTILINE)


@dataclass
class SippResult:
    """What happened to the calls of one SIPp run."""

    offered: int
    answered: dict[str, int] = field(default_factory=dict)
    """Call-ID -> SIP port of the Asterisk whose 200 OK answered it."""
    completed: set[str] = field(default_factory=set)
    """Call-IDs whose BYE got a 200 OK."""
    returncode: int = 0
    stats: list[dict[str, str]] = field(default_factory=list)
    """SIPp's periodic statistics rows (with ``stat_period_s``)."""

    @property
    def lost(self) -> int:
        return self.offered - len(self.completed)

    def by_asterisk(self) -> Counter[int]:
        return Counter(self.answered.values())

    def __repr__(self) -> str:
        return (f"<SippResult offered {self.offered}, completed {len(self.completed)}, "
                f"lost {self.lost}, answered by {dict(self.by_asterisk())}>")


def sipp_command(target: str, calls: int, rate: float, hold_ms: int, workdir: Path,
                 service: str = "4000", stat_period_s: int | None = None,
                 max_concurrent: int | None = None) -> list[str]:
    sip_port = free_ports(1)[0]
    media_port = free_udp_range(4)
    command = ["sipp", target, "-sf", str(SCENARIO), "-s", service, "-m", str(calls),
               "-r", f"{rate:g}", "-d", str(hold_ms), "-i", "127.0.0.1", "-p", str(sip_port),
               "-mp", str(media_port), "-nostdin", "-timeout_error",
               "-recv_timeout", str(CALL_TIMEOUT_S * 1000),
               "-timeout", str(int(calls / max(rate, 0.01)) + hold_ms // 1000 + 60)]
    if max_concurrent is not None:
        command += ["-l", str(max_concurrent)]
    if stat_period_s is not None:
        command += ["-trace_stat", "-stf", str(workdir / "stats.csv"), "-fd", str(stat_period_s)]
    else:
        command += ["-trace_msg", "-message_file", str(workdir / "messages.log")]
    return command


def start_sipp(target: str, calls: int, rate: float, hold_ms: int, workdir: Path,
               **options: object) -> subprocess.Popen[bytes]:
    """Start SIPp in the background (collect with :func:`collect`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = sipp_command(target, calls, rate, hold_ms, workdir, **options)  # type: ignore[arg-type]
    with open(workdir / "sipp.out", "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=workdir)


def collect(proc: subprocess.Popen[bytes], calls: int, workdir: Path,
            timeout: float | None = None) -> SippResult:
    """Wait for SIPp to end (it stops itself: ``-timeout`` covers the whole run) and read
    what became of the calls; with ``timeout``, SIPp still running then is killed."""
    try:
        returncode = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        returncode = proc.wait()
    result = SippResult(calls, returncode=returncode)
    messages = workdir / "messages.log"
    if messages.exists():
        result.answered, result.completed = parse_messages(messages.read_text(errors="replace"))
    stats = workdir / "stats.csv"
    if stats.exists():
        result.stats = read_stats(stats)
        if result.stats:
            # Without a message log, SIPp's own cumulative counts say what completed.
            done = int(result.stats[-1].get("SuccessfulCall(C)", "0") or 0)
            result.completed = {f"call-{i}" for i in range(done)}
    return result


def run_sipp(target: str, calls: int, rate: float, hold_ms: int, workdir: Path,
             **options: object) -> SippResult:
    proc = start_sipp(target, calls, rate, hold_ms, workdir, **options)
    return collect(proc, calls, workdir)


def parse_messages(text: str) -> tuple[dict[str, int], set[str]]:
    """From SIPp's message log: Call-ID -> answering Asterisk's port, and completed calls."""
    answered: dict[str, int] = {}
    completed: set[str] = set()
    for block in _BLOCK.split(text):
        if "message received" not in block:
            continue
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        start = next((i for i, line in enumerate(lines) if line.startswith("SIP/2.0 ")), None)
        if start is None or not lines[start].startswith("SIP/2.0 200"):
            continue
        headers = _headers(lines[start + 1:])
        call_id, cseq = headers.get("call-id", ""), headers.get("cseq", "")
        if cseq.endswith("INVITE"):
            port = re.search(r":(\d+)[;>]", headers.get("contact", "") + ">")
            if port:
                answered[call_id] = int(port.group(1))
        elif cseq.endswith("BYE"):
            completed.add(call_id)
    return answered, completed


def _headers(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            break
        out.setdefault(name.strip().lower(), value.strip())
    return out


def read_stats(path: Path) -> list[dict[str, str]]:
    """SIPp's -trace_stat CSV (semicolon separated) as rows of column -> value."""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return [dict(row) for row in csv.DictReader(f, delimiter=";")]

"""The call-flow benchmark's processes: the controller (or its workers) and the call recorder,
each in a process of its own, and their CPU and memory from /proc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class Controller:
    """The controller in its own process (bench/callflow_controller.py)."""

    def __init__(self, workdir: Path, config: dict[str, object], workers: int,
                 source: Path = REPO, nice: int = 0) -> None:
        self.path = workdir / "controller.json"
        self.path.write_text(json.dumps(config), encoding="utf-8")
        self.log = workdir / "controller.log"
        self.workers = workers
        self.source = source
        self.nice = nice
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # PYTHONPATH comes before the editable install: ``--before`` runs another tree's code.
        env = {**os.environ, "PYTHONPATH": str(self.source)}
        args = [sys.executable, str(self.source / "bench" / "callflow_controller.py"),
                str(self.path)]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        with open(self.log, "ab") as log:
            # Its own session, as a service would run: with the kernel's autogroup
            # scheduling the bench's own CPU would otherwise be taken from the controller.
            self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=log,
                                         start_new_session=True, preexec_fn=self._renice)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if b"ready" not in line:
            raise RuntimeError(f"controller did not start; see {self.log}")

    def _renice(self) -> None:
        if self.nice:
            os.setpriority(os.PRIO_PROCESS, 0, self.nice)

    def overloads(self) -> int:
        """How often the controller said it was overloaded (its log)."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return text.count('"controller.overloaded"')

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None
            if os.environ.get("VAXEL_BENCH_KEEP_LOG"):
                import shutil

                shutil.copy(self.log, os.environ["VAXEL_BENCH_KEEP_LOG"])

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        found = [self.proc.pid]
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        if children.exists():
            found += [int(p) for p in children.read_text().split()]
        return found

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids())

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (all their threads)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def start_recorder(workdir: Path, redis_url: str, directory_url: str) -> subprocess.Popen[bytes]:
    """`vaxel report record` in its own process (the controllers run without the recorder)."""
    path = workdir / "recorder.toml"
    path.write_text(f'log_format = "json"\n[redis]\nurl = "{redis_url}"\n'
                    f'[directory]\nurl = "{directory_url}"\n', encoding="utf-8")
    with open(workdir / "recorder.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "vaxel", "report", "record", "--config",
                                 str(path)], stdout=subprocess.PIPE, stderr=log,
                                start_new_session=True)
    assert proc.stdout is not None
    if b"ready" not in proc.stdout.readline():
        raise RuntimeError(f"recorder did not start; see {workdir / 'recorder.log'}")
    return proc

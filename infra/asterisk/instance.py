"""One running Asterisk: its folder, its rendered config, its process.

An :class:`AsteriskInstance` owns ``<instances_dir>/<name>/`` with the folders
of :data:`params.FOLDERS`; nothing of one instance is shared with another, so
several run at once (each with its own ports). ``start()`` checks the ports,
renders the config (whole or not at all), starts ``asterisk -f -n`` as a child
with its console captured in ``log/console.log``, and returns only once
Asterisk is fully booted and the controller's AMI login works; otherwise it
stops what it started and raises with the log lines that say why. ``stop()``
asks Asterisk to stop, then escalates to SIGTERM and SIGKILL.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from infra.asterisk import ami_probe, sounds
from infra.asterisk.check import manager_problems
from infra.asterisk.errors import InstanceError, PortInUse, StartupFailed
from infra.asterisk.params import (
    FOLDERS,
    InstanceParams,
    params_from_json,
    params_to_json,
    template_values,
    validate,
)
from infra.asterisk.ports import Proto, first_taken
from infra.asterisk.provision import AsteriskRuntime
from infra.asterisk.render import render_tree, swap_in, write_tree
from infra.paths import prompts_dir, repo_root
from infra.tasks import die_with_parent as die_with_parent_fn

log = structlog.get_logger(__name__)

#: Seconds start() waits for Asterisk to be fully booted.
START_TIMEOUT = 60.0
#: Seconds stop() waits after `core stop now`, and again after SIGTERM.
STOP_TIMEOUT = 10.0
#: Console lines shown when start-up fails.
LOG_TAIL = 25
#: Name of the saved params file in the instance folder (mode 0600: holds secrets).
PARAMS_FILE = "instance.json"


@dataclass(frozen=True)
class InstanceStatus:
    """What status() found."""

    name: str
    running: bool
    pid: int | None
    detail: str

    def __str__(self) -> str:
        state = f"running (pid {self.pid})" if self.running else "stopped"
        return f"{self.name}: {state}{': ' + self.detail if self.detail else ''}"


class AsteriskInstance:
    """An Asterisk instance in its own folder; see the module docstring."""

    def __init__(self, runtime: AsteriskRuntime, params: InstanceParams) -> None:
        validate(params)
        self.runtime = runtime
        self.params = params
        self.dir = runtime.instances_dir / params.name
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<AsteriskInstance {self.params.name} in {self.dir}>"

    # -- paths ---------------------------------------------------------------
    def folder(self, key: str) -> Path:
        """Host path of one of the instance's folders (etc, run, log, ...)."""
        return self.dir / key

    def asterisk_view(self, key: str) -> str:
        """The same folder as Asterisk sees it (inside the chroot, if any)."""
        return self.runtime.asterisk_path(self.folder(key))

    @property
    def sounds_path(self) -> str:
        """Sounds folder as Asterisk sees it: play ``<sounds_path>/<lang>/<key>``."""
        return self.asterisk_view("sounds")

    @property
    def config_path(self) -> str:
        """asterisk.conf as Asterisk sees it (the ``-C`` argument)."""
        return self.asterisk_view("etc") + "/asterisk.conf"

    @property
    def console_log(self) -> Path:
        """Host path of the captured console output."""
        return self.folder("log") / "console.log"

    # -- files ---------------------------------------------------------------
    def save_params(self) -> Path:
        """Write the params (with secrets, mode 0600) so later commands find them."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / PARAMS_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(params_to_json(self.params))
        return path

    def render(self, template_dir: Path | None = None, prompts: Path | None = None) -> list[Path]:
        """Render the config into etc/ and copy prompts into sounds/; returns the files."""
        for key in FOLDERS:
            self.folder(key).mkdir(parents=True, exist_ok=True)
        folders = {key: self.asterisk_view(key) for key in FOLDERS}
        values = template_values(self.params, folders)
        written = render_tree(template_dir or repo_root() / "asterisk-config", values,
                              self.folder("etc"), check=_check_rendered)
        write_tree({"vaxel-tone.wav": sounds.hold_tone_wav()}, self.folder("moh"))
        self._copy_prompts(prompts if prompts is not None else prompts_dir())
        return written

    def _copy_prompts(self, source: Path) -> None:
        staging = self.dir / ".sounds.new"
        shutil.rmtree(staging, ignore_errors=True)
        if source.is_dir():
            shutil.copytree(source, staging)
        else:
            staging.mkdir()
        swap_in(staging, self.folder("sounds"))

    # -- process -------------------------------------------------------------
    def start(
        self, timeout: float = START_TIMEOUT, prompts: Path | None = None,
        die_with_parent: bool = False,
    ) -> None:
        """Check ports, render, start Asterisk and wait until it is fully booted.

        ``prompts`` is the folder copied into sounds/ (default: ``prompts_dir()``).
        ``die_with_parent`` makes the kernel stop Asterisk when this process dies
        (tests: a killed test run leaves no Asterisk holding its ports).
        """
        started = time.monotonic()
        log.info("asterisk.start.started", instance=self.params.name, dir=str(self.dir))
        try:
            self._start(timeout, prompts, die_with_parent)
        except InstanceError as exc:
            log.error("asterisk.start.failed", instance=self.params.name, error=str(exc),
                      elapsed_ms=round((time.monotonic() - started) * 1000))
            raise
        log.info("asterisk.start.complete", instance=self.params.name, pid=self._pid(),
                 elapsed_ms=round((time.monotonic() - started) * 1000))

    def _start(self, timeout: float, prompts: Path | None, die_with_parent: bool) -> None:
        if self.status().running:
            raise InstanceError(f"instance {self.params.name} is already running")
        self._check_ports()
        self.render(prompts=prompts)
        self.console_log.unlink(missing_ok=True)
        with open(self.console_log, "wb") as console:
            self._proc = subprocess.Popen(
                self.runtime.command(["asterisk", "-f", "-n", "-C", self.config_path]),
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=die_with_parent_fn if die_with_parent else None,
            )
        try:
            self._wait_booted(timeout)
        except BaseException:
            self._kill()
            raise

    def _check_ports(self) -> None:
        p = self.params
        wanted: list[tuple[str, Proto, int]] = [("AMI", "tcp", p.ami_port),
                                                ("SIP", "udp", p.sip_port)]
        wanted += [("RTP", "udp", port) for port in range(p.rtp_start, p.rtp_end + 1)]
        taken = first_taken(wanted)
        if taken is not None:
            raise PortInUse(p.name, taken[0], taken[2])

    def _wait_booted(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._ctl("core waitfullybooted", timeout=max(1.0, deadline - time.monotonic())):
            self._fail_if_exited()
            if time.monotonic() > deadline:
                raise StartupFailed(f"instance {self.params.name}: not fully booted after "
                                    f"{timeout:.0f} s", self._log_tail())
            time.sleep(0.1)
        self._fail_if_exited()
        error = ami_probe.login("127.0.0.1", self.params.ami_port, self.params.ami_user,
                                self.params.ami_secret, timeout=5.0)
        if error is not None:
            raise StartupFailed(f"instance {self.params.name}: AMI login failed: {error}",
                                self._log_tail())

    def _fail_if_exited(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise StartupFailed(
                f"instance {self.params.name}: Asterisk exited with status "
                f"{self._proc.returncode} during start-up; {self.console_log}:",
                self._log_tail(),
            )

    def _log_tail(self) -> list[str]:
        try:
            lines = self.console_log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        important = [line for line in lines if "ERROR" in line or "WARNING" in line]
        return (important or lines)[-LOG_TAIL:]

    def _ctl(self, command: str, timeout: float = 5.0) -> str | None:
        """Run a CLI command over the control socket; None when Asterisk doesn't answer."""
        if not (self.folder("run") / "asterisk.ctl").exists():
            return None
        try:
            done = subprocess.run(
                self.runtime.command(["asterisk", "-C", self.config_path, "-rx", command]),
                capture_output=True, text=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            return None
        if done.returncode != 0 or "Unable to connect" in done.stdout:
            return None
        return done.stdout

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop Asterisk; False when it was not running."""
        pid = self._pid()
        if pid is None:
            self._reap()
            return False
        started = time.monotonic()
        how = "core stop now"
        self._ctl(how, timeout=timeout)
        if not self._wait_gone(pid, timeout):
            how = "SIGTERM"
            os.kill(pid, signal.SIGTERM)
            if not self._wait_gone(pid, timeout):
                how = "SIGKILL"
                os.kill(pid, signal.SIGKILL)
                self._wait_gone(pid, timeout)
        self._reap()
        log.info("asterisk.stop.complete", instance=self.params.name, pid=pid, how=how,
                 elapsed_ms=round((time.monotonic() - started) * 1000))
        return True

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self._reap()

    def _reap(self) -> None:
        if self._proc is not None:
            try:
                self._proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.pid == pid:
                if self._proc.poll() is not None:
                    return True
            elif not process_alive(pid):
                return True
            time.sleep(0.05)
        return False

    def _pid(self) -> int | None:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc.pid
        try:
            pid = int((self.folder("run") / "asterisk.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if process_alive(pid) and _is_asterisk(pid) else None

    def remove(self) -> None:
        """Stop the instance and delete its folder (tests use this to leave nothing behind)."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def status(self) -> InstanceStatus:
        """Whether this instance runs, and its uptime when it does."""
        pid = self._pid()
        if pid is None:
            return InstanceStatus(self.params.name, False, None, "")
        uptime = self._ctl("core show uptime seconds") or ""
        detail = " ".join(line.strip() for line in uptime.splitlines() if line.strip())
        return InstanceStatus(self.params.name, True, pid, detail or "not answering on its socket")


def load_instance(runtime: AsteriskRuntime, name: str) -> AsteriskInstance | None:
    """The instance saved under ``name``, or None when it was never created."""
    path = runtime.instances_dir / name / PARAMS_FILE
    if not path.is_file():
        return None
    return AsteriskInstance(runtime, params_from_json(path.read_text(encoding="utf-8"), str(path)))


def _check_rendered(folder: Path) -> list[str]:
    manager = folder / "manager.conf"
    return manager_problems(manager) if manager.exists() else []


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie counts as gone (and is reaped if it is our child)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: its parent reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _is_asterisk(pid: int) -> bool:
    try:
        return b"asterisk" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False

"""Find or build the Asterisk that Vaxel runs: a system one, or a cached root.

A system ``asterisk`` of version 20 or newer on PATH is used as is. Otherwise an
Asterisk 22 root is built with debootstrap from Debian unstable into
``cache_dir()/asterisk-root`` (so ``VAXEL_CACHE`` moves it). Invariants: the
root is built in a temporary sibling and renamed into place only once it
works, so a half-built root is never used; a marker file plus a working
``asterisk -V`` make a root valid and reused; an ``fcntl.flock`` lock lets two
processes provision at once (the second waits, then reuses the first's root).
The result is an :class:`AsteriskRuntime`: how to run a command in that
Asterisk's world and how host paths look from inside it.

Nothing is mounted into the root: debootstrap creates the /dev nodes Asterisk
uses (null, random, urandom, ptmx...), and Asterisk 22 starts, loads every
module Vaxel lists and places calls without /proc, so no mount can be left
behind. A cold build took 59 s here (two processes racing: the second waited on
the lock and reused the root); a warm ``provision()`` takes about 0.2 s.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.asterisk.errors import ProvisionError
from infra.paths import cache_dir

#: Oldest system Asterisk Vaxel accepts instead of building its own root.
MIN_SYSTEM_MAJOR = 20
#: Packages installed into the root besides debootstrap's minimal base.
ROOT_PACKAGES = ("asterisk", "asterisk-core-sounds-en-gsm")
#: Debian suite with Asterisk 22 (Debian 12 has no asterisk package).
ROOT_SUITE = "sid"
#: File inside a finished root; its presence (with a working binary) makes the root valid.
MARKER = ".vaxel-asterisk-root"
#: Where instances live inside a root (as Asterisk sees it).
ROOT_INSTANCES = "var/lib/vaxel/instances"
#: Lines of the debootstrap log shown when a build fails.
LOG_TAIL = 20

_VERSION = re.compile(r"Asterisk (\d+)\.(\d+)")


@dataclass(frozen=True)
class AsteriskRuntime:
    """A usable Asterisk: ``root`` is its chroot, or None for a system Asterisk."""

    root: Path | None
    """The chroot folder, or None when Asterisk runs directly on the host."""
    version: str
    """What ``asterisk -V`` printed, for example ``Asterisk 22.10.1``."""
    instances_dir: Path
    """Host folder under which instances keep their files."""

    def command(self, args: Sequence[str]) -> list[str]:
        """``args`` as a command line run in this Asterisk's world (chroot or not)."""
        return ["chroot", str(self.root), *args] if self.root is not None else list(args)

    def asterisk_path(self, host_path: Path) -> str:
        """How Asterisk sees ``host_path`` (which must be inside the root, if any)."""
        if self.root is None:
            return str(host_path)
        try:
            return "/" + str(host_path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            raise ProvisionError(f"{host_path} is outside the Asterisk root {self.root}") from None

    def host_path(self, asterisk_path: str) -> Path:
        """The host path of a path as Asterisk sees it."""
        if self.root is None:
            return Path(asterisk_path)
        return self.root / asterisk_path.lstrip("/")


def parse_version(text: str) -> tuple[int, int] | None:
    """(major, minor) from ``asterisk -V`` output, or None when it is not one."""
    match = _VERSION.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def provision(
    env: Mapping[str, str] | None = None, log: Callable[[str], None] | None = None
) -> AsteriskRuntime:
    """Return a usable Asterisk, building and caching a root when there is none."""
    env = os.environ if env is None else env
    say = log or (lambda _msg: None)
    system = _system_asterisk(env)
    if system is not None:
        say(f"using system {system}")
        return AsteriskRuntime(None, system, cache_dir(env) / "instances")
    cache = cache_dir(env)
    root = cache / "asterisk-root"
    _require_root_user("running Asterisk in its chroot")
    version = _root_version(root)
    if version is None:
        version = _build_locked(cache, root, say, env.get("PATH"))
    else:
        say(f"reusing {version} in {root}")
    return AsteriskRuntime(root, version, root / ROOT_INSTANCES)


def _system_asterisk(env: Mapping[str, str]) -> str | None:
    binary = shutil.which("asterisk", path=env.get("PATH"))
    if binary is None:
        return None
    text = _run_version([binary])
    parsed = parse_version(text or "")
    return text if parsed and parsed[0] >= MIN_SYSTEM_MAJOR else None


def _run_version(command: list[str]) -> str | None:
    try:
        done = subprocess.run(
            [*command, "-V"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and parse_version(text) else None


def _root_version(root: Path) -> str | None:
    if not (root / MARKER).is_file():
        return None
    return _run_version(["chroot", str(root), "asterisk"])


def _require_root_user(why: str) -> None:
    if os.geteuid() != 0:
        raise ProvisionError(
            f"{why} needs root (debootstrap and chroot); run it with sudo, "
            f"or install Asterisk {MIN_SYSTEM_MAJOR}+ on the system"
        )


def _build_locked(cache: Path, root: Path, say: Callable[[str], None], path: str | None) -> str:
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "asterisk-root.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another process is building the Asterisk root; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        version = _root_version(root)  # another process may have built it meanwhile
        if version is not None:
            say(f"reusing {version} in {root} (built by another process)")
            return version
        return _build(cache, root, say, path)


def _build(cache: Path, root: Path, say: Callable[[str], None], path: str | None) -> str:
    debootstrap = shutil.which("debootstrap", path=path)
    if debootstrap is None:
        raise ProvisionError("debootstrap is not installed: apt-get install debootstrap")
    for stale in cache.glob("asterisk-root.build-*"):  # left by a crashed build; we hold the lock
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix="asterisk-root.build-", dir=cache))
    try:
        version = _debootstrap(debootstrap, staging, cache / "asterisk-root.build.log", say)
        (staging / MARKER).write_text(version + "\n", encoding="utf-8")
        (staging / ROOT_INSTANCES).mkdir(parents=True, exist_ok=True)
        os.chmod(staging, 0o755)
        if root.exists():  # an invalid leftover: replace it
            shutil.rmtree(root)
        staging.rename(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    say(f"built {version} in {root}")
    return version


def _debootstrap(binary: str, target: Path, log_path: Path, say: Callable[[str], None]) -> str:
    command = [
        binary, "--variant=minbase", f"--include={','.join(ROOT_PACKAGES)}",
        ROOT_SUITE, str(target),
    ]
    say(f"building the Asterisk root (about a minute): {' '.join(command)}")
    with open(log_path, "w") as log_file:
        done = subprocess.run(command, stdout=log_file, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise ProvisionError(
            f"debootstrap failed with status {done.returncode}; last lines of {log_path}:\n  "
            + "\n  ".join(_tail(log_path))
        )
    version = _run_version(["chroot", str(target), "asterisk"])
    if version is None:
        raise ProvisionError(f"the new root in {target} has no working asterisk; see {log_path}")
    return version


def _tail(path: Path, lines: int = LOG_TAIL) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return []

"""A whole cluster (`vaxel cluster up`) per test, in the test's temp folder, stopped after.

Each test gets its own: the fault tests kill parts of it. Skipped when Kamailio or
redis-sentinel is missing (bin/setup installs them).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster import stack
from cluster.stack import ClusterState
from infra.asterisk.errors import PortInUse
from infra.asterisk.provision import AsteriskRuntime, provision

_names = itertools.count(1)

needs_cluster = pytest.mark.skipif(
    any(shutil.which(b) is None for b in ("kamailio", "redis-sentinel", "sipp")),
    reason="needs kamailio, redis-sentinel and sipp (bin/setup installs them)")


@pytest.fixture(scope="session")
def runtime() -> AsteriskRuntime:
    return provision()


def _up(folder: Path, runtime: AsteriskRuntime, test_mode: bool = False) -> ClusterState:
    """`stack.up`, once more on fresh ports when a port the OS called free was taken in
    between (other test runs share the machine)."""
    for attempt in (1, 2):
        try:
            return stack.up(folder / str(attempt), f"t{os.getpid()}-{next(_names)}", runtime,
                            say=lambda _text: None, test_mode=test_mode)
        except PortInUse:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@pytest.fixture
def cluster(tmp_path: Path, runtime: AsteriskRuntime) -> Iterator[ClusterState]:
    state = _up(tmp_path / "cluster", runtime)
    try:
        yield state
    finally:
        stack.down(state, runtime)


@pytest.fixture
def acd_cluster(tmp_path: Path, runtime: AsteriskRuntime) -> Iterator[ClusterState]:
    """A cluster whose Asterisk instances run in test mode: simulated agent phones
    (``Local/<ext>@sim-phones`` on both, as a phone registered with both would be) and
    the harness AMI user that places test callers."""
    state = _up(tmp_path / "cluster", runtime, test_mode=True)
    try:
        yield state
    finally:
        stack.down(state, runtime)


def entry(state: ClusterState) -> str:
    return f"{state.plan.bind}:{state.plan.kamailio_port}"


def console(state: ClusterState, runtime: AsteriskRuntime, node: str) -> str:
    """The Asterisk instance's console log (verbose: every dialplan step)."""
    path = stack.asterisk_instance(state, runtime, node).console_log
    return path.read_text(errors="replace")


def dialplan_steps(text: str) -> Counter[str]:
    """How often each (context, application, first argument) ran: the fallback's first
    step, AGI calls per controller port."""
    counts: Counter[str] = Counter()
    for match in re.finditer(r"Executing \[([^@]+)@([a-z-]+):\d+\] (\w+)\(\"[^\"]*\", \"([^\"]*)",
                             text):
        _exten, context, app, args = match.groups()
        if app == "AGI":
            port = re.search(r":(\d+)/(\w+)", args)
            if port:
                counts[f"AGI:{port.group(1)}/{port.group(2)}"] += 1
        counts[f"{context}:{app}"] += 1
    return counts


def controller_log(state: ClusterState, name: str) -> str:
    return (state.folder / name / "controller.log").read_text(errors="replace")


def _session_pids(leader: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == leader:
                pids.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def _socket_table() -> dict[str, tuple[str, str, int]]:
    """inode -> (protocol, local address, port) of every listening TCP / bound UDP socket."""
    table = {}
    for proto in ("tcp", "udp", "tcp6", "udp6"):
        lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if proto.startswith("tcp") and state != "0A":  # LISTEN
                continue
            address, port = local.split(":")
            if len(address) == 8:
                octets = bytes.fromhex(address)[::-1]
                host = ".".join(str(b) for b in octets)
            else:
                host = "::1" if address.endswith("01000000") and set(address[:24]) == {"0"} \
                    else f"ipv6:{address}"
            table[inode] = (proto, host, int(port, 16))
    return table


def listening_sockets(leaders: dict[str, int]) -> dict[str, set[tuple[str, str, int]]]:
    """For each named process (its whole session): the sockets it listens on."""
    table = _socket_table()
    out: dict[str, set[tuple[str, str, int]]] = {}
    for name, leader in leaders.items():
        found = out.setdefault(name, set())
        for pid in _session_pids(leader):
            try:
                fds = list(Path(f"/proc/{pid}/fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    entry = table.get(target[8:-1])
                    if entry is not None:
                        found.add(entry)
    return out

"""`vaxel cluster up|down|status`: the whole cluster on one machine, on loopback.

Up starts, in order, PostgreSQL (directory with the demo city), the Redis master and
replica, the three Sentinels, the two Asterisk instances (each sending calls to its
controller first and to the other one second), the two controllers (through Sentinel,
each logged in to one Asterisk's AMI) and Kamailio in front. Each process is started in
its own session and checked to answer before the next; a failure stops everything
started so far and raises with the log lines that say why. The state file (mode 0600:
it holds the plan's secrets) records every pid, so `down` and `status` work from
another process. Nothing is written into the repository.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from cluster import postgres
from cluster.processes import (
    Daemon,
    ProcessFailed,
    alive,
    free_ports,
    free_udp_range,
    redis_ping,
    sip_options,
    spawn,
    stop_pid,
    tcp_open,
)
from cluster.render import (
    controller_env,
    controller_toml,
    dispatcher_list,
    kamailio_cfg,
    redis_conf,
    sentinel_conf,
)
from cluster.topology import (
    ASTERISKS,
    RTP_PORTS,
    ClusterPlan,
    plan_cluster,
    plan_from_json,
    plan_to_json,
    ports_needed,
)
from infra.asterisk.instance import AsteriskInstance
from infra.asterisk.params import new_params
from infra.asterisk.provision import AsteriskRuntime

STATE_FILE = "state.json"


@dataclass
class ClusterState:
    """A cluster's folder, plan and the pid of each process (by name)."""

    folder: Path
    plan: ClusterPlan
    name: str
    pids: dict[str, int] = field(default_factory=dict)
    postgres_root: str = ""
    clock: str = "open"
    """The controllers' clock: ``open`` (a weekday 10:00, menus open) or ``now``."""
    harness_secret: str = ""
    """Tests only: the Asterisk instances run in test mode (simulated phones, the harness
    AMI user with this secret). Empty: production configuration."""

    def __repr__(self) -> str:
        running = sum(1 for pid in self.pids.values() if alive(pid))
        return f"<Cluster {self.name}: {running} of {len(self.pids)} processes running>"

    def asterisk_instance_name(self, node_name: str) -> str:
        return f"cl-{self.name}-{node_name}"

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"name": self.name, "pids": self.pids, "postgres_root": self.postgres_root,
                "clock": self.clock, "harness_secret": self.harness_secret,
                "plan": json.loads(plan_to_json(self.plan))}
        write_secret(self.folder / STATE_FILE, json.dumps(data, indent=2) + "\n")


def write_secret(path: Path, text: str) -> None:
    """Write a file only its owner can read (mode 0600 from its creation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, 0o600)


def load_state(folder: Path) -> ClusterState | None:
    path = folder / STATE_FILE
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    plan = plan_from_json(json.dumps(raw["plan"]), str(path))
    return ClusterState(folder, plan, raw["name"], {k: int(v) for k, v in raw["pids"].items()},
                        raw.get("postgres_root", ""), raw.get("clock", "open"),
                        raw.get("harness_secret", ""))


def new_plan() -> ClusterPlan:
    """A plan on ports and RTP ranges the OS says are free, with fresh secrets."""
    ports = free_ports(ports_needed())
    rtp: list[int] = []
    while len(rtp) < ASTERISKS:
        first = free_udp_range(RTP_PORTS)
        taken = [*ports, *(p for start in rtp for p in range(start, start + RTP_PORTS))]
        if not any(first <= p < first + RTP_PORTS for p in taken):
            rtp.append(first)
    return plan_cluster(ports, rtp, secrets.token_urlsafe(24),
                        [secrets.token_urlsafe(18) for _ in range(ASTERISKS)])


def up(folder: Path, name: str, runtime: AsteriskRuntime, dialplans: Path | None = None,
       say: Callable[[str], object] = print, clock: str = "open",
       test_mode: bool = False) -> ClusterState:
    """Start the cluster in ``folder``; on any failure stop what was started and raise.
    ``test_mode``: simulated phones and a harness AMI user on each Asterisk (tests)."""
    old = load_state(folder)
    if old is not None and any(alive(pid) for pid in old.pids.values()):
        raise ProcessFailed(f"cluster {name!r} is already up ({old!r}); "
                            "run `vaxel cluster down` first")
    state = ClusterState(folder, new_plan(), name, clock=clock,
                         harness_secret=secrets.token_urlsafe(18) if test_mode else "")
    folder.mkdir(parents=True, exist_ok=True)
    # Sentinels rewrite their file (as 0644): the folder keeps every secret to its owner.
    folder.chmod(0o700)
    state.save()
    try:
        _start_all(state, runtime, dialplans, say)
    except BaseException:
        down(state, runtime)
        raise
    state.save()
    return state


def _start_all(state: ClusterState, runtime: AsteriskRuntime, dialplans: Path | None,
               report: Callable[[str], object]) -> None:
    plan, folder = state.plan, state.folder
    t0 = time.monotonic()
    state.postgres_root = str(postgres.data_root(folder))
    state.pids["postgres"] = postgres.start(Path(state.postgres_root), plan.bind,
                                            plan.postgres_port)
    state.save()
    postgres.create_database(plan.bind, plan.postgres_port, "vaxel")
    _seed_directory(plan.postgres_url())
    report(f"postgres: {plan.bind}:{plan.postgres_port} (directory: demo city)")
    for i in range(len(plan.redis_ports)):
        start_redis(state, i)
    report(f"redis: master {plan.redis_ports[0]}, replica {plan.redis_ports[1]} (AOF)")
    for i in range(len(plan.sentinel_ports)):
        start_sentinel(state, i)
    report(f"sentinels: {', '.join(map(str, plan.sentinel_ports))}")
    for node in plan.asterisks:
        start_asterisk(state, runtime, node.name)
        report(f"{node.name}: SIP {node.sip_port}, AMI {node.ami_port}, "
               f"FastAGI {node.fastagi_port} then {node.fastagi_backup_port}")
    for ctl in plan.controllers:
        start_controller(state, runtime, ctl.name, dialplans)
        report(f"{ctl.name}: FastAGI {ctl.fastagi_port}, AMI of {ctl.asterisk}")
    start_kamailio(state)
    report(f"kamailio: SIP entry udp {plan.bind}:{plan.kamailio_port}; "
           f"up in {time.monotonic() - t0:.1f} s")


def _seed_directory(url: str) -> None:
    from directory import demo
    from directory.api import Directory

    d = Directory.open(url)
    try:
        d.create_schema()
        if not d.unit_ids():
            demo.seed(d, size="small")
    finally:
        d.close()


def start_redis(state: ClusterState, index: int) -> None:
    """Start the Redis master (index 0) or replica (1) of the plan."""
    conf = redis_conf(state.plan, index, str(state.folder / f"redis-{index + 1}"))
    _start_redis_kind(state, f"redis-{index + 1}", "redis-server", "redis.conf", conf,
                      state.plan.redis_ports[index])


def start_sentinel(state: ClusterState, index: int) -> None:
    """Start one Sentinel (it rewrites its file as it learns the others)."""
    conf = sentinel_conf(state.plan, index, str(state.folder / f"sentinel-{index + 1}"))
    _start_redis_kind(state, f"sentinel-{index + 1}", "redis-sentinel", "sentinel.conf", conf,
                      state.plan.sentinel_ports[index])


def _start_redis_kind(state: ClusterState, name: str, binary: str, conf_name: str, text: str,
                      port: int) -> None:
    plan = state.plan
    where = state.folder / name
    conf = where / conf_name
    write_secret(conf, text)
    state.pids[name] = spawn(Daemon(name, (binary, str(conf)), where / "stdout.log",
                                    partial(redis_ping, plan.bind, port, plan.redis_password)))
    state.save()


def asterisk_instance(state: ClusterState, runtime: AsteriskRuntime,
                      node_name: str) -> AsteriskInstance:

    node = next(a for a in state.plan.asterisks if a.name == node_name)
    index = [a.name for a in state.plan.asterisks].index(node_name)
    params = new_params(state.asterisk_instance_name(node_name), ami_port=node.ami_port,
                        sip_port=node.sip_port, rtp_start=node.rtp_start, rtp_end=node.rtp_end,
                        fastagi_host=state.plan.bind, fastagi_port=node.fastagi_port,
                        fastagi_backup_port=node.fastagi_backup_port,
                        ami_secret=state.plan.ami_secrets[index], system_name=node_name,
                        test_mode=bool(state.harness_secret),
                        harness_secret=state.harness_secret or "unused")
    return AsteriskInstance(runtime, params)


def start_asterisk(state: ClusterState, runtime: AsteriskRuntime, node_name: str) -> None:
    instance = asterisk_instance(state, runtime, node_name)
    instance.start(die_with_parent=False)
    state.pids[node_name] = instance.status().pid or 0
    state.save()


def controller_daemon(state: ClusterState, runtime: AsteriskRuntime, node_name: str,
                      dialplans: Path | None) -> Daemon:
    plan = state.plan
    node = next(c for c in plan.controllers if c.name == node_name)
    where = state.folder / node_name
    asterisk = asterisk_view_of_sounds(state, runtime, node.asterisk)
    text = controller_toml(plan, node, asterisk, plan.postgres_url())
    if dialplans is not None:
        text = f'dialplans = "{dialplans}"\n' + text
    (where / "vaxel.toml").parent.mkdir(parents=True, exist_ok=True)
    (where / "vaxel.toml").write_text(text, encoding="utf-8")
    env = {**controller_env(plan, node), "VAXEL_LOG_FORMAT": "json"}
    return Daemon(node_name, (sys.executable, "-m", "vaxel", "serve", "--config",
                              str(where / "vaxel.toml"), "--clock", state.clock),
                  where / "controller.log", lambda: tcp_open(plan.bind, node.fastagi_port),
                  env=env)


def asterisk_view_of_sounds(state: ClusterState, runtime: AsteriskRuntime,
                            node_name: str) -> str:
    return str(asterisk_instance(state, runtime, node_name).sounds_path)


def start_controller(state: ClusterState, runtime: AsteriskRuntime, node_name: str,
                     dialplans: Path | None = None) -> None:
    state.pids[node_name] = spawn(controller_daemon(state, runtime, node_name, dialplans))
    state.save()


def start_kamailio(state: ClusterState) -> None:
    plan = state.plan
    where = state.folder / "kamailio"
    where.mkdir(parents=True, exist_ok=True)
    (where / "dispatcher.list").write_text(dispatcher_list(plan), encoding="utf-8")
    (where / "kamailio.cfg").write_text(kamailio_cfg(plan, str(where / "dispatcher.list")),
                                        encoding="utf-8")
    state.pids["kamailio"] = spawn(Daemon(
        "kamailio", ("kamailio", "-f", str(where / "kamailio.cfg"), "-DD", "-E", "-m", "64",
                     "-M", "8", "-Y", str(where), "-w", str(where),
                     "-P", str(where / "kamailio.pid")),
        where / "kamailio.log", lambda: sip_options(plan.bind, plan.kamailio_port) == 200))
    state.save()


def down(state: ClusterState, runtime: AsteriskRuntime) -> list[str]:
    """Stop every process of the cluster, Kamailio first, PostgreSQL last; what happened."""
    done = []
    order = ["kamailio", *[c.name for c in state.plan.controllers],
             *[a.name for a in state.plan.asterisks],
             *[f"sentinel-{i + 1}" for i in range(len(state.plan.sentinel_ports))],
             "redis-2", "redis-1"]
    for name in order:
        if name in [a.name for a in state.plan.asterisks]:
            instance = asterisk_instance(state, runtime, name)
            stopped = instance.stop() if instance.status().running else False
            done.append(f"{name}: {'stopped' if stopped else 'not running'}")
            continue
        pid = state.pids.get(name)
        if pid:
            done.append(f"{name}: {stop_pid(pid)}")
    if state.postgres_root:
        postgres.stop(Path(state.postgres_root))
        postgres.remove_temp_root(Path(state.postgres_root))
        done.append("postgres: stopped")
    state.pids.clear()
    state.save()
    return done


def status(state: ClusterState) -> list[str]:
    """One line per process: running or not, and whether it answers on its port."""
    plan = state.plan
    probes: dict[str, Callable[[], bool]] = {
        "kamailio": lambda: sip_options(plan.bind, plan.kamailio_port) == 200,
        "postgres": lambda: tcp_open(plan.bind, plan.postgres_port),
    }
    for i, port in enumerate(plan.redis_ports):
        probes[f"redis-{i + 1}"] = partial(redis_ping, plan.bind, port, plan.redis_password)
    for i, port in enumerate(plan.sentinel_ports):
        probes[f"sentinel-{i + 1}"] = partial(redis_ping, plan.bind, port, plan.redis_password)
    for a in plan.asterisks:
        probes[a.name] = partial(_sip_ok, plan.bind, a.sip_port)
    for c in plan.controllers:
        probes[c.name] = partial(tcp_open, plan.bind, c.fastagi_port)
    lines = []
    for name, probe in probes.items():
        pid = state.pids.get(name)
        running = pid is not None and alive(pid)
        answers = probe()
        what = ("up" if running and answers else "running, not answering" if running
                else "down")
        lines.append(f"{name:14} {what}{f' (pid {pid})' if running else ''}")
    return lines


def _sip_ok(host: str, port: int) -> bool:
    return sip_options(host, port) == 200

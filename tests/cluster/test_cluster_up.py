"""`vaxel cluster up` on one machine: every process answers, and SIP calls through
Kamailio reach both Asterisk instances, whose controllers (Redis through Sentinel, the
directory on PostgreSQL) run the IVR for them."""

from __future__ import annotations

import os
import stat

import pytest

from cluster import stack
from cluster.load import run_sipp
from tests.cluster.conftest import (
    console,
    dialplan_steps,
    entry,
    listening_sockets,
    needs_cluster,
)

pytestmark = [pytest.mark.integration, pytest.mark.serial, needs_cluster]


def test_given_the_cluster_up_then_every_process_answers_on_loopback_only_and_the_state_is_private(  # noqa: E501
        cluster):
    lines = stack.status(cluster)
    assert len(lines) == 12 and any(line.startswith("console ") for line in lines), lines
    assert all(" up (pid " in line for line in lines), lines
    mode = stat.S_IMODE(os.stat(cluster.folder / stack.STATE_FILE).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(cluster.folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cluster.folder / "redis-1" / "redis.conf").st_mode) == 0o600
    # AMI, FastAGI, Redis, Sentinel, PostgreSQL and SIP: nothing listens on a public
    # address. (Asterisk's resolver keeps an unconnected UDP client socket on a random
    # port; no service answers there, so TCP listeners and the services' ports count.)
    sockets = listening_sockets(cluster.pids)
    assert all(sockets[name] for name in cluster.pids), (sockets, cluster.pids)
    service_ports = set(cluster.plan.ports().values())
    outside = {name: {s for s in found if s[1] not in ("127.0.0.1", "::1")
                      and (s[0].startswith("tcp") or s[2] in service_ports)}
               for name, found in sockets.items()}
    assert not any(outside.values()), {k: v for k, v in outside.items() if v}
    plan = cluster.plan
    assert ("tcp", "127.0.0.1", plan.redis_ports[0]) in sockets["redis-1"]
    assert ("tcp", "127.0.0.1", plan.sentinel_ports[0]) in sockets["sentinel-1"]
    assert ("tcp", "127.0.0.1", plan.postgres_port) in sockets["postgres"]
    assert ("udp", "127.0.0.1", plan.kamailio_port) in sockets["kamailio"]
    for node in plan.asterisks:
        assert ("tcp", "127.0.0.1", node.ami_port) in sockets[node.name]
        assert ("udp", "127.0.0.1", node.sip_port) in sockets[node.name]
    for ctl in plan.controllers:
        assert ("tcp", "127.0.0.1", ctl.fastagi_port) in sockets[ctl.name]
    assert ("tcp", "127.0.0.1", plan.console_port) in sockets["console"]


def test_given_the_cluster_up_then_the_console_logs_the_admin_in_through_sentinel(cluster):
    """The console runs on the cluster's Redis (through the Sentinels): the generated
    admin logs in, and the queues page lists the cluster's ACD queue."""
    import httpx

    base = f"http://{cluster.plan.bind}:{cluster.plan.console_port}"
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.post("/api/login", json={"name": "admin",
                                               "password": "wrong"}).status_code == 401
        reply = client.post("/api/login", json={"name": "admin",
                                                "password": cluster.console_password})
        assert reply.status_code == 200, reply.text


def test_given_calls_through_kamailio_then_both_asterisks_take_them_and_the_ivr_runs(
        cluster, runtime, tmp_path):
    result = run_sipp(entry(cluster), calls=10, rate=5, hold_ms=2500, workdir=tmp_path / "sipp")
    assert result.lost == 0, result
    ports = {a.sip_port for a in cluster.plan.asterisks}
    assert set(result.by_asterisk()) == ports, result
    for node in cluster.plan.asterisks:
        steps = dialplan_steps(console(cluster, runtime, node.name))
        # Every call it took ran its first controller's IVR and none needed a human.
        assert steps[f"AGI:{node.fastagi_port}/inbound"] == result.by_asterisk()[node.sip_port]
        assert steps["vaxel-fallback:Dial"] == 0

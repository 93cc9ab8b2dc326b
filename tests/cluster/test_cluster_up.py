"""`vaxel cluster up` on one machine: every process answers, and SIP calls through
Kamailio reach both Asterisk instances, whose controllers (Redis through Sentinel, the
directory on PostgreSQL) run the IVR for them."""

from __future__ import annotations

import os
import stat

import pytest

from cluster import stack
from cluster.load import run_sipp
from tests.cluster.conftest import console, dialplan_steps, entry, needs_cluster

pytestmark = [pytest.mark.integration, needs_cluster]


def test_given_the_cluster_up_then_every_process_answers_and_the_state_is_private(cluster):
    lines = stack.status(cluster)
    assert len(lines) == 11
    assert all(" up (pid " in line for line in lines), lines
    mode = stat.S_IMODE(os.stat(cluster.folder / stack.STATE_FILE).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(cluster.folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cluster.folder / "redis-1" / "redis.conf").st_mode) == 0o600


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

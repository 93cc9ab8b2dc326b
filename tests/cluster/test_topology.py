"""The cluster plan: ports laid out once each, secrets kept out of repr, a round trip."""

from __future__ import annotations

import pytest

from cluster.topology import (
    MASTER_NAME,
    PlanError,
    plan_cluster,
    plan_from_json,
    plan_to_json,
    ports_needed,
)

PASSWORD = "p" * 20


def make_plan():
    ports = list(range(30000, 30000 + ports_needed()))
    return plan_cluster(ports, [40000, 41000], PASSWORD, ["ami-a", "ami-b"])


def test_given_ports_then_every_process_gets_its_own():
    plan = make_plan()
    assert len(set(plan.ports().values())) == ports_needed()
    assert [a.name for a in plan.asterisks] == ["asterisk-1", "asterisk-2"]
    assert plan.asterisks[0].rtp_end < plan.asterisks[1].rtp_start


def test_each_asterisk_has_a_first_controller_and_the_other_as_backup():
    plan = make_plan()
    first = [a.fastagi_port for a in plan.asterisks]
    backup = [a.fastagi_backup_port for a in plan.asterisks]
    assert sorted(first) == sorted(c.fastagi_port for c in plan.controllers)
    assert backup == list(reversed(first))


def test_the_controllers_redis_url_goes_through_the_three_sentinels():
    plan = make_plan()
    url = plan.redis_url()
    assert url.startswith(f"redis+sentinel://:{PASSWORD}@")
    assert url.endswith(f"/{MASTER_NAME}/0")
    assert url.count(",") == 2


def test_secrets_are_not_in_repr():
    assert PASSWORD not in repr(make_plan()) and "ami-a" not in repr(make_plan())


def test_the_plan_survives_json():
    plan = make_plan()
    assert plan_from_json(plan_to_json(plan), "plan.json") == plan


@pytest.mark.parametrize("ports, starts, password, match", [
    ([1, 2], [1, 2], PASSWORD, "ports: need"),
    ([5] * ports_needed(), [1, 2], PASSWORD, "each must differ"),
    (list(range(1, ports_needed() + 1)), [1], PASSWORD, "one per Asterisk"),
    (list(range(1, ports_needed() + 1)), [1000, 2000], "short", "redis_password"),
    (list(range(1, ports_needed() + 1)), [1000, 1100], PASSWORD, "overlap"),
    (list(range(30000, 30000 + ports_needed())), [29990, 40000], PASSWORD, "overlap"),
])
def test_given_a_bad_layout_then_the_error_names_it(ports, starts, password, match):
    with pytest.raises(PlanError, match=match):
        plan_cluster(ports, starts, password, ["a", "b"])


def test_a_broken_plan_file_is_named():
    with pytest.raises(PlanError, match="plan.json"):
        plan_from_json('{"bind": "x"}', "plan.json")

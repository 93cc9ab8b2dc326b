"""Rendered configuration: dispatcher probing, AOF, Sentinel quorum, no secret in the TOML."""

from __future__ import annotations

import tomllib

from cluster.render import (
    controller_env,
    controller_toml,
    dispatcher_list,
    kamailio_cfg,
    redis_conf,
    sentinel_conf,
)
from cluster.topology import PROBE_INTERVAL_S
from infra.config import parse_config
from tests.cluster.test_topology import PASSWORD, make_plan


def test_kamailio_listens_on_its_port_and_probes_with_options():
    plan = make_plan()
    cfg = kamailio_cfg(plan, "/x/dispatcher.list")
    assert f"listen=udp:127.0.0.1:{plan.kamailio_port}" in cfg
    assert f'"ds_ping_interval", {PROBE_INTERVAL_S})' in cfg
    assert '"ds_ping_method", "OPTIONS"' in cfg
    assert 'ds_select_dst("1", "4")' in cfg and "ds_next_dst()" in cfg


def test_the_dispatcher_list_names_every_asterisk():
    plan = make_plan()
    lines = [line.split() for line in dispatcher_list(plan).splitlines()[1:]]
    assert [line[1] for line in lines] == [f"sip:127.0.0.1:{a.sip_port}" for a in plan.asterisks]


def test_redis_keeps_an_aof_every_second_and_the_replica_follows_the_master():
    plan = make_plan()
    master, replica = redis_conf(plan, 0, "/d0"), redis_conf(plan, 1, "/d1")
    for conf in (master, replica):
        assert "appendonly yes" in conf and "appendfsync everysec" in conf
        assert f"requirepass {PASSWORD}" in conf and "bind 127.0.0.1" in conf
    assert "replicaof" not in master
    assert f"replicaof 127.0.0.1 {plan.redis_ports[0]}" in replica


def test_each_sentinel_watches_the_master_with_a_quorum_of_two():
    plan = make_plan()
    for i in range(3):
        conf = sentinel_conf(plan, i, f"/s{i}")
        assert f"port {plan.sentinel_ports[i]}" in conf
        assert f"sentinel monitor vaxel 127.0.0.1 {plan.redis_ports[0]} 2" in conf
        assert f"sentinel auth-pass vaxel {PASSWORD}" in conf


def test_the_controller_toml_is_valid_and_holds_no_secret():
    plan = make_plan()
    node = plan.controllers[1]
    text = controller_toml(plan, node, "/sounds", "postgresql://vaxel@127.0.0.1:5/vaxel")
    assert PASSWORD not in text and "ami-b" not in text
    env = controller_env(plan, node)
    config = parse_config(tomllib.loads(text), "controller-2.toml", env=env)
    assert config.ami.port == plan.asterisks[1].ami_port
    assert config.ami.secret == "ami-b"
    assert config.redis.url == plan.redis_url()
    assert config.fastagi.port == node.fastagi_port and config.fastagi.host == "127.0.0.1"


def test_each_controller_reaches_the_other_asterisk_for_the_acd_with_its_secret_from_the_env():
    from infra.ami_settings import AmiPeer

    plan = make_plan()
    for own, other, secret in ((0, 1, "ami-b"), (1, 0, "ami-a")):
        node = plan.controllers[own]
        text = controller_toml(plan, node, "/sounds", "postgresql://vaxel@127.0.0.1:5/vaxel")
        assert "ami-a" not in text and "ami-b" not in text
        config = parse_config(tomllib.loads(text), "controller.toml",
                              env=controller_env(plan, node))
        assert config.ami.peer_nodes() == [AmiPeer(plan.asterisks[other].name, "127.0.0.1",
                                                   plan.asterisks[other].ami_port, secret)]
        assert config.queues["kontaktcenter"].group == "contact_center"

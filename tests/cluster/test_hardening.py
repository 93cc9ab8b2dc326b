"""Hardening without a running cluster: secrets only in 0600 files or the environment; the
generated AMI users get the least privilege their jobs need; control planes on loopback."""

from __future__ import annotations

import configparser

import pytest

from cluster.render import controller_toml, kamailio_cfg, redis_conf, sentinel_conf
from infra.asterisk.params import new_params, template_values
from infra.asterisk.render import render_text
from infra.config import ConfigError, load_config
from infra.paths import repo_root
from tests.cluster.test_topology import make_plan


def _write(tmp_path, text: str, mode: int):  # type: ignore[no-untyped-def]
    path = tmp_path / "vaxel.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("text, key", [
    ('[ami]\nsecret = "s3cret"\n', "ami.secret"),
    ('[redis]\nurl = "redis://:pw@127.0.0.1:6379/0"\n', "redis.url"),
    ('[redis]\nurl = "redis+sentinel://:pw@127.0.0.1:1,127.0.0.1:2/vaxel/0"\n', "redis.url"),
])
def test_given_a_secret_in_a_file_others_can_read_then_start_up_refuses_naming_it(
        tmp_path, text, key):
    with pytest.raises(ConfigError, match=key) as err:
        load_config(_write(tmp_path, text, 0o644), env={})
    assert "0600" in str(err.value) and "s3cret" not in str(err.value)


def test_given_the_same_secret_in_a_0600_file_or_the_environment_then_it_is_used(tmp_path):
    assert load_config(_write(tmp_path, '[ami]\nsecret = "s3cret"\n', 0o600),
                       env={}).ami.secret == "s3cret"
    open_file = _write(tmp_path, "[ami]\nport = 5038\n", 0o644)
    assert load_config(open_file, env={"VAXEL_AMI_SECRET": "e"}).ami.secret == "e"


def _manager_conf(test_mode: bool) -> configparser.ConfigParser:
    params = new_params("hardening", test_mode=test_mode)
    folders = {k: f"/x/{k}" for k in ("etc", "run", "spool", "log", "lib", "cache", "sounds",
                                      "moh")}
    text = (repo_root() / "asterisk-config" / "manager.conf.in").read_text()
    parser = configparser.ConfigParser(strict=False, comment_prefixes=(";",),
                                       inline_comment_prefixes=(";",))
    parser.read_string(render_text(text, template_values(params, folders)))
    return parser


def test_the_controllers_ami_user_has_the_least_privilege_its_jobs_need():
    conf = _manager_conf(test_mode=False)
    assert conf["general"]["bindaddr"] == "127.0.0.1"
    user = conf["vaxel"]
    write = set(user["write"].replace(" ", "").split(","))
    read = set(user["read"].replace(" ", "").split(","))
    # Originate and redirect calls (call, originate), agents and user events, and the
    # channel list after a reconnect (reporting); never command, config or system.
    assert write <= {"call", "originate", "agent", "user", "reporting"}
    assert not write & {"command", "config", "system", "all"}
    assert not read & {"command", "config", "all"}
    assert user["deny"].startswith("0.0.0.0") and user["permit"].startswith("127.0.0.1")
    assert [s for s in conf.sections() if s != "general"] == ["vaxel"]  # no harness user


def test_the_rendered_cluster_files_bind_loopback_and_hold_no_secret_the_controller_sees():
    plan = make_plan()
    assert "bind 127.0.0.1" in redis_conf(plan, 0, "/d")
    assert "bind 127.0.0.1" in sentinel_conf(plan, 0, "/d")
    assert "listen=udp:127.0.0.1:" in kamailio_cfg(plan, "/d/list")
    toml = controller_toml(plan, plan.controllers[0], "/s", "postgresql://vaxel@127.0.0.1:1/v")
    assert 'host = "127.0.0.1"' in toml and 'allow = ["127.0.0.1"]' in toml
    assert plan.redis_password not in toml

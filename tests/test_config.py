"""Configuration errors name the key; the environment overrides the file."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, load_config, parse_config
from infra.paths import repo_root


def test_example_config_is_valid():
    config = load_config(repo_root() / "docs" / "vaxel.example.toml", env={})
    assert config.groups["operators"].members == ("PJSIP/1000", "PJSIP/1001")
    assert config.fastagi.allow == ("127.0.0.1",)


def test_given_env_override_then_it_wins_and_is_converted():
    config = parse_config({"ami": {"port": 5038}}, "x.toml",
                          env={"VAXEL_AMI_PORT": "15038", "VAXEL_AMI_SECRET": "s3"})
    assert (config.ami.port, config.ami.secret) == (15038, "s3")


def test_given_several_bad_keys_then_all_named_at_once():
    with pytest.raises(ConfigError) as info:
        parse_config({"ami": {"port": "abc", "usr": "x"}, "fastagi": {"port": 70000},
                      "groups": {"operators": {"members": []}}, "colour": 1}, "vaxel.toml", env={})
    text = str(info.value)
    assert "vaxel.toml: ami.port: expected an integer, got 'abc'" in text
    assert "vaxel.toml: ami.usr: unknown key" in text
    assert "vaxel.toml: fastagi.port: expected a port 0-65535, got 70000" in text
    assert "groups.operators.members: a ring group needs at least one member" in text
    assert "vaxel.toml: colour: unknown key" in text


def test_given_bad_env_value_then_error_names_the_variable():
    with pytest.raises(ConfigError, match=r"ami.port \(from VAXEL_AMI_PORT\): expected an integer"):
        parse_config({}, "x.toml", env={"VAXEL_AMI_PORT": "five"})


def test_given_broken_toml_then_error_names_file(tmp_path):
    path = tmp_path / "vaxel.toml"
    path.write_text("[ami\nport = 1\n")
    with pytest.raises(ConfigError, match="vaxel.toml: not valid TOML"):
        load_config(path, env={})


def test_bad_smtp_settings_are_named_by_key_all_at_once():
    with pytest.raises(ConfigError) as info:
        parse_config({"smtp": {"mail_domain": "stad example", "sender": "vaxel",
                               "deliver_every_s": 0}}, "vaxel.toml", env={})
    text = str(info.value)
    for key in ("smtp.mail_domain", "smtp.sender", "smtp.deliver_every_s"):
        assert f"vaxel.toml: {key}: expected" in text


def test_load_limits_have_defaults_from_the_file_and_the_environment():
    """The Redis pool and the overload limits (see docs/vaxel.example.toml)."""
    config = load_config(repo_root() / "docs" / "vaxel.example.toml", env={})
    assert (config.redis.max_connections, config.redis.pool_timeout_ms) == (64, 2000)
    assert (config.fastagi.max_calls, config.fastagi.max_lag_ms) == (0, 1000)
    config = parse_config({}, "x.toml", env={"VAXEL_FASTAGI_MAX_CALLS": "40",
                                              "VAXEL_REDIS_MAX_CONNECTIONS": "16"})
    assert (config.fastagi.max_calls, config.redis.max_connections) == (40, 16)
    with pytest.raises(ConfigError, match="fastagi.max_lag_ms: expected an integer"):
        parse_config({"fastagi": {"max_lag_ms": "soon"}}, "x.toml", env={})


def test_ami_peers_are_parsed_and_bad_ones_named_with_their_key():
    from infra.ami_settings import AmiPeer

    config = parse_config({"ami": {"peers": ["asterisk-2=10.0.0.2:5038"]}}, "t.toml",
                          env={"VAXEL_AMI_PEER_SECRETS": "s2"})
    assert config.ami.peer_nodes() == [AmiPeer("asterisk-2", "10.0.0.2", 5038, "s2")]
    with pytest.raises(ConfigError) as info:
        parse_config({"ami": {"peers": ["asterisk 2", "b=h:99999", "b=h:1"]}}, "t.toml",
                     env={})
    text = str(info.value)
    assert "t.toml: ami.peers: expected name=host:port" in text and "'asterisk 2'" in text
    assert "port 99999 of 'b' is not a port number" in text
    assert "'b' is listed twice" in text
    assert "ami.peer_secrets: need one secret per peer (3), got 0" in text


def test_given_peer_secrets_in_a_readable_file_then_refused(tmp_path):
    path = tmp_path / "vaxel.toml"
    path.write_text('[ami]\npeers = ["b=h:1"]\npeer_secrets = ["s"]\n', encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="ami.peer_secrets: a secret in a file others"):
        load_config(path, env={})


def test_event_loop_is_auto_uvloop_or_asyncio_and_a_wrong_one_is_named():
    assert load_config(repo_root() / "docs" / "vaxel.example.toml", env={}).event_loop == "auto"
    assert parse_config({"event_loop": "asyncio"}, "x.toml", env={}).event_loop == "asyncio"
    with pytest.raises(ConfigError) as info:
        parse_config({"event_loop": "trio"}, "vaxel.toml", env={})
    assert "vaxel.toml: event_loop: expected auto, uvloop or asyncio, got 'trio'" in str(info.value)

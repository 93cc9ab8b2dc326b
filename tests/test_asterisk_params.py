"""Instance params: validation names every bad field; JSON round-trips; AMI check."""

from __future__ import annotations

import dataclasses

import pytest

from infra.asterisk.check import manager_problems
from infra.asterisk.errors import InstanceError
from infra.asterisk.params import new_params, params_from_json, params_to_json, validate


def test_fresh_params_have_distinct_random_secrets():
    a, b = new_params("a"), new_params("b")
    assert a.ami_secret != b.ami_secret and len(a.ami_secret) >= 20
    assert dict(a.phone_secrets).keys() == {"1000", "1001", "4711", "4712"}


def test_the_repr_shows_ports_and_hides_secrets():
    params = new_params("x", ami_port=6000, test_mode=True)
    assert repr(params) == ("<InstanceParams x: ami 6000, sip 5060, rtp 10000-10099, "
                            "fastagi 127.0.0.1:4573, test mode>")


def test_every_bad_field_is_named_at_once():
    params = new_params("Bad Name", ami_port=0, rtp_start=20, rtp_end=10,
                        fallback_dial="PJSIP/1000; drop", extra_modules=("../x.so",))
    with pytest.raises(InstanceError) as failure:
        validate(params)
    message = str(failure.value)
    for field in ("name 'Bad Name'", "ami_port 0", "rtp_start 20", "fallback_dial",
                  "extra_modules: '../x.so'"):
        assert field in message


def test_params_survive_a_json_round_trip():
    params = new_params("rt", test_mode=True, extra_modules=("app_queue.so",))
    assert params_from_json(params_to_json(params), "f.json") == params


def test_a_params_file_with_an_unknown_key_is_rejected_naming_it():
    text = params_to_json(new_params("rt")).replace('"ami_port"', '"ami_prot"')
    with pytest.raises(InstanceError, match="f.json: unknown keys ami_prot"):
        params_from_json(text, "f.json")


def test_a_broken_params_file_names_the_line():
    with pytest.raises(InstanceError, match="f.json:3: not valid JSON"):
        params_from_json('{\n  "name": \n}', "f.json")


def test_the_manager_check_accepts_the_loopback_least_privilege_config(tmp_path):
    path = tmp_path / "manager.conf"
    path.write_text("[general]\nbindaddr = 127.0.0.1\n\n[vaxel]\nsecret = s\n"
                    "deny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\n"
                    "read = system,call\nwrite = call,originate\n")
    assert manager_problems(path) == []


def test_the_manager_check_rejects_an_open_bind_and_command_rights(tmp_path):
    path = tmp_path / "manager.conf"
    path.write_text("[general]\nbindaddr = 0.0.0.0\n\n[ops]\nsecret = s\n"
                    "permit = 0.0.0.0/0.0.0.0\nread = all\nwrite = call,command\n")
    problems = manager_problems(path)
    assert f"{path}:1: [general]: bindaddr must be 127.0.0.1" in problems
    assert any("[ops]: needs deny" in p for p in problems)
    assert any("[ops]: needs permit" in p for p in problems)
    assert any("read grants all" in p for p in problems)
    assert any("line 8: write grants command" in p for p in problems)


def test_params_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        new_params("x").ami_port = 1  # type: ignore[misc]


def test_a_system_name_prefixes_uniqueids_and_a_bad_one_is_named():
    from infra.asterisk.params import FOLDERS, template_values
    from infra.asterisk.render import render_text
    from infra.paths import repo_root

    folders = {key: f"/{key}" for key in FOLDERS}
    text = (repo_root() / "asterisk-config" / "asterisk.conf.in").read_text()
    named = render_text(text, template_values(new_params("a", system_name="asterisk-2"),
                                              folders))
    assert "\nsystemname = asterisk-2\n" in named
    alone = render_text(text, template_values(new_params("a"), folders))
    assert "systemname =" not in alone
    with pytest.raises(InstanceError, match="system_name 'Asterisk 2' must match"):
        validate(new_params("a", system_name="Asterisk 2"))

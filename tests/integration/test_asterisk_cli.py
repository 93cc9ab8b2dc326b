"""`vaxel asterisk start|status|stop` drive an instance by name and keep its secrets."""

from __future__ import annotations

import os

import pytest

from infra.asterisk.instance import load_instance
from vaxel.cli import main
from vaxel.testing.services import free_port, free_udp_range

pytestmark = pytest.mark.integration


def test_given_a_new_name_when_started_stopped_and_started_again_then_secrets_are_kept(
    asterisk_root, capsys,
):
    name = f"cli-{os.getpid()}"
    rtp_start, rtp_end = free_udp_range(10)
    ports = ["--ami-port", str(free_port()), "--sip-port", str(free_port("udp")),
             "--rtp-start", str(rtp_start), "--rtp-end", str(rtp_end)]
    try:
        assert main(["asterisk", "start", "--name", name, *ports]) == 0
        assert f"{name}: running" in capsys.readouterr().out
        secret = load_instance(asterisk_root, name).params.ami_secret
        assert main(["asterisk", "status", "--name", name]) == 0
        assert f"{name}: running (pid" in capsys.readouterr().out
        assert main(["asterisk", "stop", "--name", name]) == 0
        assert capsys.readouterr().out == f"{name}: stopped\n"
        assert main(["asterisk", "start", "--name", name]) == 0
        assert load_instance(asterisk_root, name).params.ami_secret == secret
    finally:
        instance = load_instance(asterisk_root, name)
        if instance is not None:
            instance.remove()


def test_given_an_unknown_name_then_stop_is_a_one_line_user_error(asterisk_root, capsys):
    assert main(["asterisk", "stop", "--name", "no-such-instance"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vaxel: error: no instance named 'no-such-instance'")
    assert err.count("\n") == 1


def test_given_a_taken_port_then_start_fails_in_one_line_and_saves_nothing(asterisk, capsys):
    name = f"cli-taken-{os.getpid()}"
    code = main(["asterisk", "start", "--name", name, "--ami-port", str(asterisk.ami_port)])
    assert code == 2
    assert f"AMI port 127.0.0.1:{asterisk.ami_port} is already in use" in capsys.readouterr().err
    assert load_instance(asterisk.instance.runtime, name) is None

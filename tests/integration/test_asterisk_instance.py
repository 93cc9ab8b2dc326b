"""An Asterisk instance starts, stops, runs beside another, and fails clearly."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.asterisk import ami_probe
from infra.asterisk.errors import PortInUse, StartupFailed
from infra.asterisk.instance import load_instance
from vaxel.testing.calls import Harness
from vaxel.testing.services import AsteriskServer, free_port, remove_stale_test_instances

pytestmark = pytest.mark.integration


def _login_error(server: AsteriskServer) -> str | None:
    p = server.params
    return ami_probe.login("127.0.0.1", p.ami_port, p.ami_user, p.ami_secret, timeout=5)


def test_given_an_instance_when_started_then_it_runs_and_when_stopped_then_it_is_gone(
    asterisk_root,
):
    server = AsteriskServer(asterisk_root, free_port())
    with server:
        status = server.instance.status()
        assert status.running and status.pid is not None
        assert _login_error(server) is None
        server.instance.stop()
        assert not server.instance.status().running
        assert _login_error(server) is not None  # nothing answers on the AMI port any more
    assert not server.instance.dir.exists()


def test_given_two_instances_when_both_started_then_both_answer_and_stopping_one_spares_the_other(
    asterisk_root,
):
    with AsteriskServer(asterisk_root, free_port()) as first, \
            AsteriskServer(asterisk_root, free_port()) as second:
        assert first.instance.status().pid != second.instance.status().pid
        assert _login_error(first) is None and _login_error(second) is None
        first.instance.stop()
        assert _login_error(second) is None
        assert second.instance.status().running


def test_given_a_wrong_secret_then_ami_login_is_refused(asterisk):
    p = asterisk.params
    assert ami_probe.login("127.0.0.1", p.ami_port, p.ami_user, "wrong", timeout=5) is not None


def test_given_the_ami_port_taken_when_starting_then_the_error_names_the_port(asterisk_root):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = AsteriskServer(asterisk_root, free_port(), ami_port=port)
        with pytest.raises(PortInUse, match=f"AMI port 127.0.0.1:{port} is already in use"):
            server.start()
    assert not server.instance.status().running


def test_given_the_sip_port_taken_when_starting_then_the_error_names_the_port(asterisk_root):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        port = blocker.getsockname()[1]
        server = AsteriskServer(asterisk_root, free_port(), sip_port=port)
        with pytest.raises(PortInUse, match=f"SIP port 127.0.0.1:{port}"):
            server.start()


def test_given_a_missing_module_when_starting_then_the_error_shows_its_log_lines(asterisk_root):
    server = AsteriskServer(asterisk_root, free_port(), extra_modules=("app_vaxel_missing.so",))
    with pytest.raises(StartupFailed) as failure:
        server.start()
    assert any("app_vaxel_missing.so" in line for line in failure.value.log_lines)
    assert "Asterisk exited" in str(failure.value)
    assert not server.instance.status().running


def test_given_a_running_instance_when_started_again_then_it_refuses(asterisk):
    with pytest.raises(Exception, match="already running"):
        asterisk.instance.start()


def test_given_saved_params_when_loaded_by_name_then_the_same_instance_is_found(asterisk):
    path = asterisk.instance.save_params()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    found = load_instance(asterisk.instance.runtime, asterisk.params.name)
    assert found is not None and found.params == asterisk.params
    assert found.status().running  # found through its pid file, not our child handle


def test_given_a_test_run_killed_hard_then_its_asterisk_stops_and_its_folder_is_cleaned(
    asterisk_root,
):
    script = (
        "import sys, time\n"
        "from infra.asterisk.provision import provision\n"
        "from vaxel.testing.services import AsteriskServer, free_port\n"
        "server = AsteriskServer(provision(), free_port()).start()\n"
        "print('READY', server.params.name, server.instance.status().pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    line = ""
    while not line.startswith("READY"):
        line = child.stdout.readline()
        assert line, "the child test process ended before its Asterisk was up"
    _, name, pid = line.split()
    child.kill()
    child.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), "Asterisk outlived the killed test process"
    assert (asterisk_root.instances_dir / name).exists()
    assert name in remove_stale_test_instances(asterisk_root)
    assert not (asterisk_root.instances_dir / name).exists()


async def test_the_controller_user_may_list_channels_and_originate_but_not_run_cli_commands(
    asterisk,
):
    p = asterisk.params
    async with Harness(p.ami_port, p.ami_user, p.ami_secret) as controller:
        listed = await controller.action({"Action": "CoreShowChannels"})
        assert listed["Response"] == "Success"
        command = await controller.action({"Action": "Command", "Command": "core show version"})
        assert command["Response"] == "Error" and "Permission denied" in command["Message"]
        put = await controller.action({"Action": "DBPut", "Family": "f", "Key": "k", "Val": "v"})
        assert put["Response"] == "Error"  # AstDB writes are the harness's, not the controller's

"""Provisioning: version parsing, path mapping, and its errors (no network needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infra.asterisk.errors import ProvisionError
from infra.asterisk.provision import AsteriskRuntime, parse_version, provision


def test_the_version_is_read_from_asterisk_v_output():
    assert parse_version("Asterisk 22.10.1+dfsg+~cs6.17.60671434-1\n") == (22, 10)
    assert parse_version("Asterisk GIT-master-abc") is None


def test_a_chroot_runtime_maps_host_paths_both_ways(tmp_path):
    runtime = AsteriskRuntime(tmp_path, "Asterisk 22.1.0", tmp_path / "var/lib/vaxel/instances")
    inst = tmp_path / "var/lib/vaxel/instances/a/etc"
    assert runtime.asterisk_path(inst) == "/var/lib/vaxel/instances/a/etc"
    assert runtime.host_path("/var/lib/vaxel/instances/a/etc") == inst
    assert runtime.command(["asterisk", "-V"]) == ["chroot", str(tmp_path), "asterisk", "-V"]
    with pytest.raises(ProvisionError, match="outside the Asterisk root"):
        runtime.asterisk_path(Path("/etc"))


def test_a_system_runtime_runs_commands_directly():
    runtime = AsteriskRuntime(None, "Asterisk 22.1.0", Path("/c/instances"))
    assert runtime.command(["asterisk", "-V"]) == ["asterisk", "-V"]
    assert runtime.asterisk_path(Path("/c/instances/a")) == "/c/instances/a"


def _fake_tools(folder: Path, debootstrap: str | None) -> str:
    folder.mkdir()
    if debootstrap is not None:
        script = folder / "debootstrap"
        script.write_text(debootstrap)
        script.chmod(0o755)
    return str(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="the build path starts only as root")
def test_without_debootstrap_the_build_says_what_to_install(tmp_path):
    env = {"VAXEL_CACHE": str(tmp_path / "cache"), "PATH": _fake_tools(tmp_path / "bin", None)}
    with pytest.raises(ProvisionError, match="debootstrap is not installed"):
        provision(env)
    assert not (tmp_path / "cache/asterisk-root").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the build path starts only as root")
def test_a_failed_debootstrap_shows_its_last_log_lines_and_leaves_nothing(tmp_path):
    failing = ("#!/bin/sh\necho 'I: Retrieving InRelease'\n"
               "echo 'E: download of packages failed'\nexit 1\n")
    env = {"VAXEL_CACHE": str(tmp_path / "cache"), "PATH": _fake_tools(tmp_path / "bin", failing)}
    with pytest.raises(ProvisionError) as failure:
        provision(env)
    assert "debootstrap failed with status 1" in str(failure.value)
    assert "E: download of packages failed" in str(failure.value)
    leftovers = [p.name for p in (tmp_path / "cache").iterdir()]
    assert sorted(leftovers) == ["asterisk-root.build.log", "asterisk-root.lock"]


def test_as_a_normal_user_the_chroot_path_asks_for_root(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    env = {"VAXEL_CACHE": str(tmp_path), "PATH": _fake_tools(tmp_path / "bin", None)}
    with pytest.raises(ProvisionError, match="needs root"):
        provision(env)


def _fake_asterisk(folder: Path, version: str) -> str:
    folder.mkdir()
    script = folder / "asterisk"
    script.write_text(f"#!/bin/sh\necho 'Asterisk {version}'\n")
    script.chmod(0o755)
    return str(folder)


def test_a_system_asterisk_20_or_newer_is_used_without_a_root(tmp_path):
    env = {"VAXEL_CACHE": str(tmp_path / "cache"),
           "PATH": _fake_asterisk(tmp_path / "bin", "22.5.0")}
    runtime = provision(env)
    assert runtime == AsteriskRuntime(None, "Asterisk 22.5.0", tmp_path / "cache/instances")


@pytest.mark.skipif(os.geteuid() != 0, reason="the build path starts only as root")
def test_a_system_asterisk_older_than_20_is_ignored(tmp_path):
    env = {"VAXEL_CACHE": str(tmp_path / "cache"),
           "PATH": _fake_asterisk(tmp_path / "bin", "18.9.0")}
    with pytest.raises(ProvisionError, match="debootstrap is not installed"):
        provision(env)  # went on to build a root, which needs debootstrap

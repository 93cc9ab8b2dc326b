"""Start-up checks everything first: a bad flow, group or config stops it, nothing half-started."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys

import pytest

from infra.config import ConfigError, parse_config
from infra.paths import repo_root
from ivr.errors import FlowFileError
from vaxel.service import start_controller
from vaxel.testing.services import free_port

GROUPS = {"operators": {"members": ["Local/1000@sim-phones"]},
          "contact_center": {"members": ["Local/2000@sim-phones"]}}


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def config_for(tmp_path, dialplans, **extra):
    return parse_config({"fastagi": {"port": extra.pop("port", free_port())},
                         "directory": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
                         "dialplans": str(dialplans), "groups": GROUPS, **extra}, "test", env={})


async def test_given_broken_flow_file_then_start_fails_naming_file_and_line(tmp_path):
    folder = tmp_path / "dialplans"
    shutil.copytree(repo_root() / "dialplans", folder)
    flow = folder / "city-main.yaml"
    flow.write_text(flow.read_text().replace("next: find_person", "next: find_persn"))
    port = free_port()
    with pytest.raises(FlowFileError) as info:
        await start_controller(config_for(tmp_path, folder, port=port))
    assert any(p.file.endswith("city-main.yaml") and p.line and "find_persn" in p.message
               for p in info.value.problems)
    assert port_is_free(port)


async def test_given_flow_dialling_an_unconfigured_group_then_start_fails_naming_it(tmp_path):
    config = parse_config({"dialplans": str(repo_root() / "dialplans"),
                           "groups": {"operators": GROUPS["operators"]}}, "test", env={})
    with pytest.raises(ConfigError, match="dials group 'contact_center'"):
        await start_controller(config)


async def test_given_redis_unreachable_then_start_fails_naming_redis_url_and_not_listening(
        tmp_path):
    port = free_port()
    config = config_for(tmp_path, repo_root() / "dialplans", port=port,
                        redis={"url": f"redis://127.0.0.1:{free_port()}/0"})
    with pytest.raises(ConfigError, match="redis.url: cannot reach Redis"):
        await start_controller(config)
    assert port_is_free(port)


def test_serve_with_bad_config_exits_2_and_names_the_key(tmp_path):
    bad = tmp_path / "vaxel.toml"
    bad.write_text("[ami]\nport = 'x'\n")
    out = subprocess.run([sys.executable, "-m", "vaxel", "serve", "--config", str(bad)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "vaxel.toml: ami.port: expected an integer, got 'x'" in out.stderr


async def test_cancel_bounded_gives_up_on_a_task_that_ignores_cancellation():
    import asyncio

    from structlog.testing import capture_logs

    from infra.tasks import cancel_bounded
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                pass

    async def polite() -> None:
        await asyncio.sleep(60)

    stuck = asyncio.create_task(stubborn(), name="stubborn")
    ends = asyncio.create_task(polite(), name="polite")
    await asyncio.sleep(0)
    with capture_logs() as logs:
        async with asyncio.timeout(2):
            await cancel_bounded([stuck, None, ends], 0.2)
    assert ends.cancelled()
    assert [(e["event"], e["task"]) for e in logs] == [("task.stuck", "stubborn")]
    assert "test_serve.py" in logs[0]["waits_at"] and "stubborn" in logs[0]["waits_at"]
    release.set()
    await stuck


async def test_cancel_bounded_cancels_again_a_task_whose_cancellation_was_lost():
    """Python 3.11 can lose a cancellation inside a task (wait_for, a timeout expiring at the
    same moment); the task then runs on. A second cancel ends it; the stop does not hang."""
    import asyncio

    from structlog.testing import capture_logs

    from infra.tasks import cancel_bounded
    rounds: list[int] = []

    async def loses_one() -> None:
        lost = False
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if lost:
                    raise
                lost = True       # swallowed once, as a lost cancellation is
                asyncio.current_task().uncancel()  # type: ignore[union-attr]
            rounds.append(1)

    task = asyncio.create_task(loses_one(), name="loses-one")
    await asyncio.sleep(0.05)
    with capture_logs() as logs:
        await cancel_bounded([task], 2.0)
    assert task.cancelled()
    assert logs == []


async def test_stop_during_ami_state_rebuild_starts_no_recorders(tmp_path):
    """A stop that lands while the controller rebuilds its AMI state (the cancellation lost,
    as Python 3.11's wait_for could) ends the connect task without starting the recorders."""
    import asyncio

    from vaxel.service import Controller

    rebuilding = asyncio.Event()
    answer = asyncio.Event()
    closed: list[str] = []

    class Ami:
        connected = True

        async def connect(self, retry: bool = False) -> None:
            pass

        async def core_show_channels(self):  # type: ignore[no-untyped-def]
            rebuilding.set()
            try:
                await answer.wait()
            except asyncio.CancelledError:
                await answer.wait()   # the reply arrived with the cancellation: lost
            return []

        async def close(self) -> None:
            closed.append("ami")

    class Closable:
        def __init__(self, name: str) -> None:
            self.name = name

        async def close(self) -> None:
            closed.append(self.name)

    config = config_for(tmp_path, repo_root() / "dialplans")
    controller = Controller(config, deps=None, server=Closable("fastagi"),  # type: ignore[arg-type]
                            store=Closable("redis"), ami=Ami(),  # type: ignore[arg-type]
                            contexts=object(), idle=object())  # type: ignore[arg-type]
    controller.ami_task = asyncio.create_task(controller.connect_ami())
    await rebuilding.wait()
    closing = asyncio.create_task(controller.close())
    await asyncio.sleep(0.05)
    answer.set()
    async with asyncio.timeout(5):
        await closing
    assert controller.ami_task.done()
    assert controller.recorder_task is None and controller.idle_task is None
    assert closed == ["fastagi", "ami", "redis"]


@pytest.mark.parametrize(("kind", "module"), [("asyncio", "asyncio"), ("uvloop", "uvloop"),
                                              ("auto", "uvloop")])
def test_run_uses_the_event_loop_the_configuration_names(kind, module):
    import asyncio

    from infra.tasks import run

    async def which() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__.split(".")[0]

    assert run(which(), kind) == module


def test_run_on_uvloop_without_the_package_says_how_to_fix_it(monkeypatch):
    import sys

    from infra.errors import UserError
    from infra.tasks import run
    monkeypatch.setitem(sys.modules, "uvloop", None)   # import uvloop raises ImportError

    async def nothing() -> None:
        return None

    coro = nothing()
    with pytest.raises(UserError, match='event_loop = "uvloop": the uvloop package is not'):
        run(coro, "uvloop")
    coro.close()
    assert run(nothing(), "auto") is None   # auto falls back to asyncio's loop


async def test_cancel_bounded_lets_a_task_finish_its_clean_up_before_cancelling_again():
    import asyncio

    from infra.tasks import cancel_bounded
    cleaned: list[str] = []

    async def tidy() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(0.3)      # e.g. releasing a lease in Redis
            cleaned.append("released")
            raise

    task = asyncio.create_task(tidy(), name="tidy")
    await asyncio.sleep(0)
    await cancel_bounded([task], 2.0)
    assert task.cancelled() and cleaned == ["released"]

"""A Vaxel controller running in the test's event loop, against real Redis, SQLite and Asterisk.

``ControllerUnderTest`` binds the FastAGI port the test Asterisk points at, can be
stopped and started again (to show the fallback and the recovery), and pins the
clock so the flows' opening hours do not depend on when the suite runs.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from directory.api import Device, Directory
from infra.paths import repo_root
from routing.control import parse_config
from vaxel.service import Controller, start_controller

#: A Tuesday morning: the city number is open.
OPEN_HOURS = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
#: Ring times shortened for tests (seconds): a person's phone, and each group.
PERSON_RING_S = 4
GROUP_RING_S = 10


def make_test_dialplans(folder: Path) -> Path:
    """The shipped flows with shorter ring times, so no-answer tests take seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    shipped = repo_root() / "dialplans"
    for path in [*shipped.glob("*.yaml"), *shipped.glob("prompts/*/*.yaml")]:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(kind: transfer\n(?:    .*\n)*?    timeout: )\d+",
                      rf"\g<1>{PERSON_RING_S}", text)
        target = folder / path.relative_to(shipped)  # the translators' folders too
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


def seed_directory(url: str) -> Directory:
    """Employees whose phones are simulated: 4711 and 4712 answer as the test sets them."""
    d = Directory.open(url)
    d.create_schema()
    d.add_unit("u-bygglov", "Bygglovsenheten")
    for ext, given, family in (("4711", "Anna", "Ekström"), ("4712", "Björn", "Öberg")):
        d.add_employee(f"e{ext}", given, family, unit_id="u-bygglov", extension=ext,
                       devices=(Device("sip", f"Local/{ext}@sim-phones"),), languages=("sv",),
                       listed=True)
    d.add_employee("e4799", "Hemlig", "Person", unit_id="u-bygglov", extension="4799",
                   devices=(Device("sip", "Local/4799@sim-phones"),), languages=("sv",),
                   listed=False)
    return d


class ControllerUnderTest:
    def __init__(self, *, fastagi_port: int, redis_url: str, directory_url: str,
                 dialplans: Path, sounds_path: str, ami_port: int, ami_secret: str,
                 sounds_host_dir: Path | None = None,
                 clock_at: datetime = OPEN_HOURS) -> None:
        self.config = parse_config({
            "fastagi": {"port": fastagi_port},
            "ami": {"port": ami_port, "secret": ami_secret},
            "redis": {"url": redis_url},
            "directory": {"url": directory_url},
            "prompts": {"asterisk_dir": sounds_path,
                        "host_dir": str(sounds_host_dir) if sounds_host_dir else ""},
            "dialplans": str(dialplans),
            "groups": {
                "operators": {"members": ["Local/1000@sim-phones"],
                              "timeout": GROUP_RING_S},
                "contact_center": {"members": ["Local/2000@sim-phones"], "timeout": GROUP_RING_S},
            },
        }, "test", env={})
        self.clock_at = clock_at
        self.controller: Controller | None = None

    @classmethod
    def on(cls, tmp_path: Path, fastagi_port: int, redis_server: Any, asterisk: Any,
           directory_url: str) -> ControllerUnderTest:
        """A controller for the test's Asterisk and Redis, with the shipped flows' test copies."""
        return cls(
            fastagi_port=fastagi_port, redis_url=redis_server.url, directory_url=directory_url,
            dialplans=make_test_dialplans(tmp_path / "dialplans"),
            sounds_path=asterisk.instance.sounds_path,
            sounds_host_dir=asterisk.instance.folder("sounds"),
            ami_port=asterisk.params.ami_port, ami_secret=asterisk.params.ami_secret,
        )

    async def start(self) -> ControllerUnderTest:
        self.controller = await start_controller(self.config, clock=lambda: self.clock_at)
        return self

    async def stop(self) -> None:
        if self.controller is not None:
            await self.controller.close()
            self.controller = None

    async def saved_call(self, call_id: str):  # type: ignore[no-untyped-def]
        assert self.controller is not None
        return await self.controller.store.load(call_id)

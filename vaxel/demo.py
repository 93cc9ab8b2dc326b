"""`vaxel demo`: the whole switchboard on loopback, one demo call, then up for softphones.

Starts Redis, an Asterisk 22 instance named ``demo``, a SIPp phone that answers
as extension 4711 (a real SIP UAS on loopback, reached through PJSIP), the demo
city directory (SQLite) and the controller; places a call to the city number
that presses 1 and 4711#, prints its trace, and stays up until Ctrl-C (or exits
with ``--once``). Wiring only: every decision is in the packages it starts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from infra.errors import UserError
from infra.paths import cache_dir
from vaxel.demo_console import demo_console

#: The demo clock when ``--clock open``: a Tuesday at 10:00, so the menus are open.
DEMO_OPEN = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
CITY_NUMBER = "4000"


def register(sub: Any, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=__doc__)
    p.add_argument("--once", action="store_true", help="exit after the demo call")
    p.add_argument("--clock", choices=("open", "now"), default="open",
                   help="'open': pretend it is a weekday 10:00 (default); 'now': the real time")
    p.set_defaults(func=lambda args: asyncio.run(_demo(args)))


def _say(text: str) -> None:
    print(text, flush=True)


#: SIPp scenario of the demo's desk phone: rings for 2 s, then answers.
PHONE_SCENARIO = Path(__file__).parent / "sipp" / "demo_phone.xml"


class _SippPhone:
    """SIPp as a SIP phone on a loopback port: rings 2 s, then answers every call."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        sipp = shutil.which("sipp")
        if sipp is None:
            raise UserError("sipp is not installed (Debian package sip-tester); run bin/setup")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sipp, "-sf", str(PHONE_SCENARIO), "-i", "127.0.0.1", "-p", str(self.port), "-nostdin",
             "-nd", "-d", "1000"],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _directory_url() -> str:
    from directory.api import Directory
    from directory.demo import seed

    path = cache_dir() / "demo-directory.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    d = Directory.open(f"sqlite:///{path}")
    d.create_schema()
    summary = seed(d, size="small")
    _say(f"directory: demo city with {summary.employees} employees in {summary.units} units, "
         f"{summary.districts} districts ({path.name})")
    return f"sqlite:///{path}"


async def _demo_call(harness: Any, store: Any) -> None:
    call = await harness.call(CITY_NUMBER, caller_id="0701234567")
    await call.wait_listening()
    await call.send_digits("#")       # no language chosen: Swedish
    await call.wait_listening()
    await call.send_digits("1")       # reach a person by extension
    await call.wait_listening()
    await call.send_digits("4711#")
    begin = await call.wait_for(lambda e: e.get("Event") == "DialBegin"
                                and "PJSIP/4711" in e.get("DestChannel", ""), 20,
                                "the IVR to ring PJSIP/4711")
    started = time.monotonic()
    end = await call.wait_for(lambda e: e.get("Event") == "DialEnd"
                              and e.get("DestChannel") == begin.get("DestChannel"), 30,
                              "PJSIP/4711 to answer")
    took = time.monotonic() - started
    state = await store.load(f"{call.id}-2")
    path = " -> ".join(state.path) if state else "?"
    outcome = "answered" if end.get("DialStatus") == "ANSWER" else end.get("DialStatus", "?")
    _say(f"call 1 -> {state.flow if state else '?'}: {path} -> PJSIP/4711 {outcome} "
         f"after {took:.1f} s")
    await asyncio.sleep(1.0)
    await call.hangup()


async def _demo(args: argparse.Namespace) -> int:
    from infra.asterisk.provision import provision
    from infra.logs import configure
    from routing.control import parse_config
    from vaxel.service import start_controller
    from vaxel.testing.calls import Harness
    from vaxel.testing.services import AsteriskServer, RedisServer, free_port

    configure("console", logging.WARNING)
    t0 = time.monotonic()
    runtime = provision()
    fastagi_port, sip_phone_port = free_port(), free_port("udp")
    phone = _SippPhone(sip_phone_port, cache_dir() / "demo-sipp")
    with RedisServer() as redis, AsteriskServer(
        runtime, fastagi_port, name="demo",
        phone_contacts=(("4711", f"sip:4711@127.0.0.1:{sip_phone_port}"),),
        fallback_dial="PJSIP/1000&PJSIP/1001", fallback_timeout=20,
    ) as asterisk:
        params = asterisk.params
        _say(f"asterisk: instance 'demo' up (AMI 127.0.0.1:{params.ami_port}, "
             f"SIP udp 127.0.0.1:{params.sip_port}) in {time.monotonic() - t0:.1f} s")
        phone.start()
        config = parse_config({
            "fastagi": {"port": fastagi_port},
            "ami": {"port": params.ami_port, "secret": params.ami_secret},
            "redis": {"url": redis.url},
            "directory": {"url": _directory_url()},
            "prompts": {"asterisk_dir": asterisk.instance.sounds_path,
                        "host_dir": str(asterisk.instance.folder("sounds"))},
            "groups": {"operators": {"members": ["PJSIP/1000", "PJSIP/1001"], "timeout": 30},
                       "contact_center": {"members": ["PJSIP/1001", "PJSIP/1000"], "timeout": 30}},
            "queues": {"operators": {"group": "operators", "callback_after_s": 0},
                       "kontaktcenter": {"group": "contact_center"}},
        }, "demo", env={})
        clock = (lambda: DEMO_OPEN) if args.clock == "open" else (
            lambda: datetime.now(ZoneInfo("Europe/Stockholm")))
        controller = await start_controller(config, clock=clock)
        _say(f"controller: FastAGI 127.0.0.1:{fastagi_port}, Redis {redis.url}; "
             f"clock: {'a weekday 10:00' if args.clock == 'open' else 'real time'}")
        try:
            async with Harness(params.ami_port, params.harness_user,
                               params.harness_secret) as harness:
                await _demo_call(harness, controller.store)
            async with demo_console(config, _say):
                if not args.once:
                    _print_softphone(params)
                    await _wait_for_signal()
        finally:
            await controller.close()
            phone.stop()
    return 0


def _print_softphone(params: Any) -> None:
    secrets = dict(params.phone_secrets)
    _say("\nCall in with a softphone (SIP over UDP on this machine):")
    _say(f"  server 127.0.0.1:{params.sip_port}")
    for ext, role in (("1000", "operator"), ("1001", "operator"), ("4712", "employee")):
        _say(f"  user {ext} ({role}), password {secrets[ext]}")
    _say(f"  dial {CITY_NUMBER} for the city number; dial 4711 or 4712 for an employee.")
    _say("Ctrl-C stops the switchboard.")


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

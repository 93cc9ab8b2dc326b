"""Run a Vaxel controller for the call-flow benchmark in its own process.

``python bench/callflow_controller.py CONFIG.json`` reads the controller's
configuration (the same sections as vaxel.toml, as JSON), pins the flows' clock to
office hours (the city flow is closed at night and on Sundays, and the benchmark
must run the same flow whenever it runs) and serves until SIGTERM. Its own process,
so the benchmark measures the controller's CPU and memory apart from its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from infra.config import parse_config
from infra.logs import configure
from tests.integration.controller import OPEN_HOURS
from vaxel.service import start_controller


async def main(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    config = parse_config(raw, str(path), env={})
    configure(config.log_format, cache=True,
              level=int(os.environ.get("VAXEL_BENCH_LOG_LEVEL", "20")))
    controller = await start_controller(config, clock=lambda: OPEN_HOURS)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    try:
        await stop.wait()
    finally:
        await controller.close()


if __name__ == "__main__":
    profile = os.environ.get("VAXEL_BENCH_PROFILE")
    if profile:
        # cProfile follows coroutines where a sampling profiler under load does not.
        import cProfile

        cProfile.run("asyncio.run(main(Path(sys.argv[1])))", profile)
    else:
        asyncio.run(main(Path(sys.argv[1])))

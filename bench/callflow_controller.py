"""Run a Vaxel controller for the call-flow benchmark in its own process.

``python bench/callflow_controller.py CONFIG.json [--workers N]`` reads the controller's
configuration (the same sections as vaxel.toml, as JSON), pins the flows' clock to
office hours (the city flow is closed at night and on Sundays, and the benchmark
must run the same flow whenever it runs) and serves until SIGTERM. Its own process,
so the benchmark measures the controller's CPU and memory apart from its own. With
``--workers N`` it supervises N such processes on one FastAGI port (``vaxel.workers``,
as ``vaxel serve --workers N`` does) and prints ``ready`` once all of them listen.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
from pathlib import Path

from infra.config import parse_config
from infra.logs import configure
from tests.integration.controller import OPEN_HOURS
from vaxel.service import start_controller
from vaxel.workers import Supervisor


async def main(path: Path, reuse_port: bool) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    config = parse_config(raw, str(path), env={})
    configure(config.log_format, cache=True,
              level=int(os.environ.get("VAXEL_BENCH_LOG_LEVEL", "20")))
    controller = await start_controller(config, clock=lambda: OPEN_HOURS, reuse_port=reuse_port)
    gc.freeze()   # as vaxel.service.serve does
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    try:
        await stop.wait()
    finally:
        await controller.close()


def supervise(path: Path, workers: int) -> None:
    configure("json")   # the supervisor's own lines go to stderr, never before "ready"
    supervisor = Supervisor(lambda i: [sys.executable, __file__, str(path), "--worker", str(i)],
                            workers)
    supervisor.start()
    print("ready", flush=True)
    supervisor.run()


if __name__ == "__main__":
    config_path = Path(sys.argv[1])
    if "--workers" in sys.argv and int(sys.argv[sys.argv.index("--workers") + 1]) > 1:
        supervise(config_path, int(sys.argv[sys.argv.index("--workers") + 1]))
        sys.exit(0)
    worker = "--worker" in sys.argv
    profile = os.environ.get("VAXEL_BENCH_PROFILE")
    if profile:
        # cProfile follows coroutines where a sampling profiler under load does not.
        import cProfile

        cProfile.run(f"asyncio.run(main(Path({str(config_path)!r}), {worker}))", profile)
    else:
        # The loop the configuration names (top-level event_loop), as vaxel serve does; the
        # code before it had one, asyncio's.
        loop_kind = json.loads(config_path.read_text(encoding="utf-8")).get("event_loop")
        if loop_kind is None:
            asyncio.run(main(config_path, worker))
        else:
            from infra.tasks import run
            run(main(config_path, worker), loop_kind)

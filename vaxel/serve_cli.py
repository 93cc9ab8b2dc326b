"""`vaxel serve`: run the controller."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from infra.config import ConfigError
from infra.errors import UserError
from infra.logs import configure
from infra.tasks import run
from ivr.errors import FlowFileError
from routing.control import load_config


def register(sub: Any, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text)
    p.add_argument("--config", type=Path, help="TOML configuration (see docs/vaxel.example.toml)")
    p.add_argument("--clock", choices=("now", "open"), default="now",
                   help="time the flows' opening hours see: now (default), or open "
                        "(a weekday 10:00, for demos and tests)")
    p.add_argument("--workers", type=int, default=1,
                   help="controller processes sharing the FastAGI port (SO_REUSEPORT), "
                        "kept running by this one (default 1: this process serves)")
    p.add_argument("--worker", type=int, default=None, metavar="I",
                   help="(set by --workers) run as worker I: share the FastAGI port, "
                        "metrics on metrics_port + I, say 'ready' on standard output")
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from vaxel.service import serve

    try:
        config = load_config(args.config)
        configure(config.log_format, cache=True)
        if args.workers < 1:
            raise UserError(f"--workers: expected 1 or more, got {args.workers}")
        if args.workers > 1:
            return _supervise(args, config)
        clock = None
        if args.clock == "open":
            from vaxel.demo import DEMO_OPEN

            clock = DEMO_OPEN
        if args.worker is not None:
            run(_serve_worker(config, args.worker, clock), config.event_loop)
        else:
            run(serve(config) if clock is None else serve(config, clock=lambda: clock),
                config.event_loop)
    except (ConfigError, FlowFileError) as exc:
        raise UserError(str(exc)) from exc
    return 0


def _supervise(args: argparse.Namespace, config: Any) -> int:
    import sys

    from vaxel.workers import Supervisor, WorkerFailed, worker_argv

    if config.fastagi.port == 0:
        raise UserError("--workers: fastagi.port must be a fixed port (0 picks one per process)")
    argv = sys.argv[1:]
    supervisor = Supervisor(lambda i: worker_argv(argv, i), args.workers)
    try:
        supervisor.start()
    except WorkerFailed as exc:
        raise UserError(str(exc)) from exc
    supervisor.run()
    return 0


async def _serve_worker(config: Any, index: int, clock: Any) -> None:
    """One of ``--workers N``: shares the FastAGI port; metrics on ``metrics_port + index``."""
    import dataclasses

    from vaxel.service import serve
    from vaxel.workers import announce_ready

    if config.reports.metrics_port:
        config = dataclasses.replace(config, reports=dataclasses.replace(
            config.reports, metrics_port=config.reports.metrics_port + index))
    ready = asyncio.Event()
    task = asyncio.create_task(serve(config, ready, reuse_port=True)
                               if clock is None else
                               serve(config, ready, clock=lambda: clock, reuse_port=True))
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    if ready.is_set():
        announce_ready()
    else:
        waiter.cancel()
    await task

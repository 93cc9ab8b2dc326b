"""`vaxel serve`: run the controller."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from infra.config import ConfigError
from infra.errors import UserError
from infra.logs import configure
from ivr.errors import FlowFileError
from routing.control import load_config


def register(sub: Any, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text)
    p.add_argument("--config", type=Path, help="TOML configuration (see docs/vaxel.example.toml)")
    p.add_argument("--clock", choices=("now", "open"), default="now",
                   help="time the flows' opening hours see: now (default), or open "
                        "(a weekday 10:00, for demos and tests)")
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from vaxel.service import serve

    try:
        config = load_config(args.config)
        configure(config.log_format, cache=True)
        if args.clock == "open":
            from vaxel.demo import DEMO_OPEN

            asyncio.run(serve(config, clock=lambda: DEMO_OPEN))
        else:
            asyncio.run(serve(config))
    except (ConfigError, FlowFileError) as exc:
        raise UserError(str(exc)) from exc
    return 0

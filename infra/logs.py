"""structlog set-up: JSON lines in production, key=value on a terminal; call ids bound per call."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(fmt: str = "auto", level: int = logging.INFO, cache: bool = False) -> None:
    """Configure structlog once for the process (``fmt``: auto, json or console).

    ``cache`` keeps each module's logger once it has logged (the controller: otherwise each
    log call, even a filtered DEBUG one, builds its logger again, about 3% of its time
    under load; a cached logger keeps the stderr it first found); tests that capture logs
    later in the same process must not cache."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=cache,
    )


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    """A logger on the stderr of the moment (a test, or a daemon, may have swapped it)."""
    return structlog.PrintLogger(sys.stderr)

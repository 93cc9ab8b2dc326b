"""Log set-up: the controller caches its loggers; tests that capture logs must not."""

from __future__ import annotations

import structlog

from infra.logs import configure


def test_given_cache_then_loggers_are_kept_and_by_default_they_are_not():
    try:
        configure("json", cache=True)
        assert structlog.get_config()["cache_logger_on_first_use"] is True
        configure("json")
        assert structlog.get_config()["cache_logger_on_first_use"] is False
    finally:
        structlog.reset_defaults()

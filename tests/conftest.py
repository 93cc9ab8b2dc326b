"""What every test shares: each starts with structlog as the library sets it up.

A command run in one test configures logging for its process (level, stream, cached
loggers); without the reset, a later test in the same worker would see that level and
miss the DEBUG lines it captures, depending on test order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()

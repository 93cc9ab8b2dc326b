"""Where Vaxel keeps things outside the repository.

The cache folder holds what is expensive to build and safe to share between
checkouts: the Asterisk 22 root (debootstrap), synthesised prompts, Asterisk
instances. It is per user, overridable with ``VAXEL_CACHE``. Nothing here reads
configuration files; callers pass the environment in for tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: Environment variable that overrides the cache folder.
CACHE_ENV = "VAXEL_CACHE"


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user cache folder: $VAXEL_CACHE, else $XDG_CACHE_HOME/vaxel, else ~/.cache/vaxel."""
    env = os.environ if env is None else env
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV]).expanduser()
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vaxel"


def repo_root() -> Path:
    """The checkout this code runs from (holds dialplans/ and asterisk-config/)."""
    return Path(__file__).resolve().parent.parent


def prompts_dir(env: Mapping[str, str] | None = None) -> Path:
    """Synthesised and recorded prompts, laid out as ``<lang>/<key>.wav``."""
    return cache_dir(env) / "prompts"

"""The agent and operator commands run on the routing store: its Redis fixtures serve here too."""

from tests.routing.conftest import prefix, redis_url  # noqa: F401

"""The reports read the routing store: its Redis fixtures serve these tests too."""

from tests.routing.conftest import prefix, redis_url, store  # noqa: F401

"""Test support that needs real services: Redis and Asterisk on loopback, and a caller.

Used by the pytest fixtures in ``tests/integration/conftest.py`` and by the demo;
nothing here is imported by production code paths.
"""

"""The ground floor: what every part stands on and nothing feature-specific.

The AMI client, Asterisk provisioning, rendering and instances, the configuration file's
schema and loader, paths, task helpers, logging set-up and the error a user sees. It
imports no feature package (`tests/test_architecture.py` holds the floors).
"""

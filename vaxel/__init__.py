"""Vaxel wiring: configuration, the command line, Asterisk provisioning, the controller."""

"""Vaxel wiring: configuration, the command line, Asterisk provisioning and the controller service."""

"""Vaxel wiring: the command line, the controller service, the demo and the test harness."""

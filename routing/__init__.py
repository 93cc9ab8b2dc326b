"""Routing: skill-based queueing (ACD) for the contact center and the operators' queue."""

"""The error a user sees: raised for bad input (config, arguments, files), printed by the
`vaxel` command as one line without a traceback (exit status 2)."""

from __future__ import annotations


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""

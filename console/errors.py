"""Errors the console answers with: an HTTP status, a stable ``error_id``, a sentence a
person understands, and details (the field, the call). Adapters translate the engine's
errors (routing, switchboard, directory, AMI) into these at the boundary, keeping the cause.
"""

from __future__ import annotations

from typing import Any


class ConsoleError(Exception):
    """Base: ``status`` and ``error_id`` are stable; ``message`` is for people."""

    status = 400
    error_id = "bad-request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"error_id": self.error_id, "message": self.message, "details": self.details}


class NotLoggedIn(ConsoleError):
    status = 401
    error_id = "not-logged-in"


class Forbidden(ConsoleError):
    status = 403
    error_id = "forbidden"


class CsrfFailed(ConsoleError):
    status = 403
    error_id = "csrf-failed"


class NotFoundError(ConsoleError):
    status = 404
    error_id = "not-found"


class CallGone(ConsoleError):
    """The call the action was for has ended or moved on (409)."""

    status = 409
    error_id = "call-gone"


class Conflict(ConsoleError):
    status = 409
    error_id = "conflict"


class Invalid(ConsoleError):
    """Bad input: ``field`` names the place (422)."""

    status = 422
    error_id = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


class TooManyAttempts(ConsoleError):
    status = 429
    error_id = "too-many-attempts"


class Unavailable(ConsoleError):
    """Redis or AMI is down (503); the page says so and recovers when it returns."""

    status = 503
    error_id = "unavailable"

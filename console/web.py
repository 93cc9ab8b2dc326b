"""Request plumbing shared by every route: who is asking, may they, CSRF, errors as JSON.

``principal`` reads the session cookie (a browser) or an ``Authorization: Bearer`` API
token (a script). ``allowed(permission)`` is the dependency each route names; for state
changes (``changes=True``) a session must also send its CSRF token in ``X-CSRF-Token``.
Errors leave as ``{"error_id", "message", "details"}`` with the error's status; FastAPI's
own validation errors become 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from console.auth import Permission, Principal, check_csrf, require
from console.deps import ConsoleDeps
from console.errors import ConsoleError, NotLoggedIn

SESSION_COOKIE = "vaxel_session"
LANG_COOKIE = "vaxel_lang"


def deps_of(request: Request) -> ConsoleDeps:
    deps: ConsoleDeps = request.app.state.deps
    return deps


async def principal(request: Request) -> Principal:
    deps = deps_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return await deps.users.by_token(header[7:].strip())
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise NotLoggedIn("inte inloggad (not logged in)")
    return await deps.users.by_session(session)


def allowed(permission: Permission, *, changes: bool = False
            ) -> Callable[..., Awaitable[Principal]]:
    """The dependency a route names: the caller must hold ``permission``; a state change
    from a browser session must carry the CSRF token."""

    async def check(request: Request, who: Principal = Depends(principal)) -> Principal:
        require(who, permission)
        if changes:
            check_csrf(who, request.headers.get("x-csrf-token"))
        return who

    return check


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ConsoleError)
    async def console_error(_request: Request, exc: ConsoleError) -> JSONResponse:
        headers = {}
        if "retry_after_s" in exc.details:
            headers["Retry-After"] = str(exc.details["retry_after_s"])
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems: list[dict[str, Any]] = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            problems.append({"field": ".".join(loc) or "body", "message": err.get("msg", "")})
        first = problems[0] if problems else {"field": "body", "message": "invalid"}
        return JSONResponse({"error_id": "invalid",
                             "message": f"{first['field']}: {first['message']}",
                             "details": {"field": first["field"], "problems": problems}},
                            status_code=422)

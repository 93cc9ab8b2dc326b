"""The console's ASGI app: pages, the REST API (OpenAPI at /api/docs), the WebSocket feed.

``create_app(deps)`` wires the routers; the hub (``console.live``) starts with the app's
lifespan and stops with it. The app keeps nothing a restart loses: sessions, users,
outcomes and the audit log are in Redis, the calls in Asterisk and the routing store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import Depends, FastAPI, Form, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from console import api_admin, api_agent, api_operator
from console.auth import Permission, Principal, Role, same_origin
from console.calls import CallControl
from console.deps import ConsoleDeps
from console.errors import ConsoleError, NotLoggedIn
from console.live import Hub
from console.metrics import ConsoleMetrics, RequestMetrics
from console.strings import STRINGS, pick_language, table
from console.web import LANG_COOKIE, SESSION_COOKIE, install_error_handlers, principal

log = structlog.get_logger(__name__)
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
#: The page each role lands on after log-in.
HOME = {Role.OPERATOR: "/operator", Role.AGENT: "/agent", Role.SUPERVISOR: "/wallboard",
        Role.ADMIN: "/admin"}
#: Pages and the permission each needs.
PAGES = {"operator": Permission.OPERATE, "agent": Permission.AGENT,
         "wallboard": Permission.SUPERVISE, "admin": Permission.ADMIN}


#: How the console is served (uvicorn): per-message compression off, since it would
#: compress every message once per client (the feed sends the same text to all).
UVICORN_OPTIONS: dict[str, Any] = {"ws_per_message_deflate": False, "log_level": "warning"}


class LoginBody(BaseModel):
    name: str = Field(..., min_length=1, max_length=32)
    password: str = Field(..., min_length=1, max_length=200)


def create_app(deps: ConsoleDeps, *, start_hub: bool = True,
               metrics: ConsoleMetrics | None = None) -> FastAPI:
    """The app; its metrics (``app.state.metrics``) are ``metrics`` or its own."""
    metrics = metrics or ConsoleMetrics()
    hub = Hub(deps, metrics=metrics)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start_hub:
            await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = FastAPI(title="Vaxel console", version="1", lifespan=lifespan, docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None,
                  description="The switchboard's operator view, agent desktop, wallboard and "
                              "admin pages as an API. Log in with POST /api/login (a session "
                              "cookie; send its CSRF token as X-CSRF-Token on changes) or "
                              "use `Authorization: Bearer <token>` (`vaxel token create`). "
                              "Live events: WebSocket /api/events.")
    app.state.deps = deps
    app.state.hub = hub
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.state.calls = CallControl(deps, hub.devices)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (api_operator, api_agent, api_admin):
        app.include_router(module.router)
    _auth_routes(app, deps)
    _page_routes(app)
    _socket_route(app, hub)
    return app


def _cookie(response: Response, deps: ConsoleDeps, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict",
                        secure=deps.settings.secure_cookies, path="/")


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def _auth_routes(app: FastAPI, deps: ConsoleDeps) -> None:
    @app.post("/api/login", tags=["auth"], summary="log in; sets the session cookie")
    async def api_login(body: LoginBody, request: Request) -> JSONResponse:
        session, who = await _log_in(request, body.name, body.password)
        response = JSONResponse({"name": who.name, "role": who.role.value, "csrf": who.csrf,
                                 "home": HOME[who.role]})
        _cookie(response, deps, SESSION_COOKIE, session)
        return response

    @app.post("/api/logout", tags=["auth"], summary="end the session")
    async def api_logout(request: Request) -> JSONResponse:
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            await deps.users.log_out(session)
        response = JSONResponse({"done": "logout"})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/api/me", tags=["auth"], summary="who I am (and my CSRF token)")
    async def me(who: Principal = Depends(principal)) -> dict[str, Any]:
        return {"name": who.name, "role": who.role.value, "via": who.via, "csrf": who.csrf,
                "permissions": sorted(p.value for p in Permission if who.may(p))}

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_page(request: Request, lang: str | None = None, error: str = "") -> Any:
        return _render(request, "login.html", lang, error=error)

    @app.post("/login", include_in_schema=False)
    async def login_form(request: Request, name: str = Form(""), password: str = Form(""),
                         lang: str = Form("")) -> Any:
        try:
            session, who = await _log_in(request, name.strip(), password)
        except ConsoleError as exc:
            return _render(request, "login.html", lang or None, error=exc.message,
                           status=exc.status)
        response = RedirectResponse(HOME[who.role], status_code=303)
        _cookie(response, deps, SESSION_COOKIE, session)
        return response

    @app.get("/logout", include_in_schema=False)
    async def logout_page(request: Request) -> Any:
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            await deps.users.log_out(session)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


async def _log_in(request: Request, name: str, password: str) -> tuple[str, Principal]:
    """``users.log_in``, a refusal counted in the metrics by its status."""
    deps: ConsoleDeps = request.app.state.deps
    try:
        return await deps.users.log_in(name, password, _address(request))
    except ConsoleError as exc:
        request.app.state.metrics.login_failures.labels(str(exc.status)).inc()
        raise


def _render(request: Request, template: str, lang: str | None, status: int = 200,
            **context: Any) -> Response:
    language = pick_language(lang or request.cookies.get(LANG_COOKIE))
    response = templates.TemplateResponse(
        request, template, {"t": table(language), "lang": language, "strings": STRINGS,
                            **context}, status_code=status)
    if lang:
        response.set_cookie(LANG_COOKIE, language, samesite="strict", path="/")
    return response


def _page_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Any:
        try:
            who = await principal(request)
        except NotLoggedIn:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse(HOME[who.role], status_code=303)

    for page, permission in PAGES.items():
        app.add_api_route(f"/{page}", _page(page, permission), methods=["GET"],
                          include_in_schema=False, response_class=HTMLResponse)


def _page(page: str, permission: Permission) -> Any:
    async def show(request: Request, lang: str | None = None) -> Any:
        try:
            who = await principal(request)
        except NotLoggedIn:
            return RedirectResponse("/login", status_code=303)
        if not who.may(permission):
            return RedirectResponse(HOME[who.role], status_code=303)
        deps: ConsoleDeps = request.app.state.deps
        return _render(request, f"{page}.html", lang, who=who, page=page,
                       queues=sorted(deps.queues),
                       operators_queue=deps.settings.operators_queue,
                       pages=[p for p, perm in PAGES.items() if who.may(perm)])
    return show


def _socket_route(app: FastAPI, hub: Hub) -> None:
    @app.websocket("/api/events")
    async def events(socket: WebSocket) -> None:
        deps: ConsoleDeps = socket.app.state.deps
        try:
            who = await _socket_principal(socket, deps)
        except ConsoleError as exc:
            log.info("console.socket_refused", status=exc.status, reason=exc.message)
            await socket.close(code=4401 if exc.status == 401 else 4403, reason=exc.message)
            return
        await socket.accept()
        feed = hub.add_client()
        await socket.send_json({"type": "hello", "name": who.name, "role": who.role.value,
                                "now": hub.clock(), "health": hub.health})
        if hub.last_snapshot:
            await socket.send_json(hub.last_snapshot)
        reader = asyncio.create_task(_drain(socket))
        try:
            while not reader.done():
                taking = asyncio.ensure_future(feed.take())
                await asyncio.wait([taking, reader], return_when=asyncio.FIRST_COMPLETED)
                if not taking.done():
                    taking.cancel()
                    break
                batch = taking.result()
                if feed.dropped:
                    break  # too slow to keep up: dropped by the hub
                # One frame per wake-up: a burst of events (a call makes ~10 AMI events)
                # costs one send per client, not ten.
                await socket.send_text(batch[0] if len(batch) == 1
                                       else "[" + ",".join(batch) + "]")
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.remove_client(feed)
            reader.cancel()
            with contextlib.suppress(Exception):
                await socket.close()


async def _drain(socket: WebSocket) -> None:
    """Read (and ignore) what the client sends, to notice when it goes."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await socket.receive_text()


async def _socket_principal(socket: WebSocket, deps: ConsoleDeps) -> Principal:
    header = socket.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else \
        socket.query_params.get("token", "")
    if token:
        who = await deps.users.by_token(token)
    else:
        session = socket.cookies.get(SESSION_COOKIE)
        if not session:
            raise NotLoggedIn("inte inloggad (not logged in)")
        if not same_origin(socket.headers.get("origin"), socket.headers.get("host")):
            raise ConsoleError("cross-site WebSocket refused")
        who = await deps.users.by_session(session)
    if not who.may(Permission.VIEW):
        raise ConsoleError("no view permission")
    return who

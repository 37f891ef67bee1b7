"""app — the FastAPI app factory: routers, the static live view, and clear, counted 4xx errors."""
import html
import logging
import os
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from talkpuck.api.routers import (commands, devices, followup, hands, live, pages, retention, review, rooms, sessions,
                                   stats)
from talkpuck.auth import routes as auth_routes
from talkpuck.auth.config import AuthConfig
from talkpuck.auth.guard import Guard
from talkpuck.auth.ratelimit import FailureLimiter
from talkpuck.commands import Commander, SessionControl
from talkpuck.errors import ConfigError, NotFound, ProtocolError, TalkpuckError
from talkpuck.hands import HandQueue
from talkpuck.live import LiveHub
from talkpuck.store import Store

if TYPE_CHECKING:   # talkpuck.service imports this module (HostApp builds the app)
    from talkpuck.service.settings import Settings

log = logging.getLogger(__name__)
WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")


LIVE_PATH = re.compile(r"^/api/(devices|rooms)/([^/]+)/")


def live_changed(request: Request) -> tuple[str | None, str | None] | Literal[False] | None:
    """(device, room) a state-changing request changed, as the router said (deps.changed) or its path
    names (/api/devices/<id>/..., /api/rooms/<name>/...); None: it may have changed anything; False:
    nothing the live pages show (a login)."""
    said = getattr(request.state, "live_changed", None)
    if said is not None:
        return said
    if not request.url.path.startswith("/api/"):
        return False                       # /login, /logout: nothing the live pages show
    m = LIVE_PATH.match(request.url.path)
    if m is None:
        return None
    name = unquote(m.group(2))
    return (name, None) if m.group(1) == "devices" else (None, name)


def create_app(settings: "Settings", store: Store, commander: Commander | None = None, hands_queue: HandQueue | None = None,
               session_control: SessionControl | None = None, auth: AuthConfig | None = None,
               live_hub: LiveHub | None = None) -> FastAPI:
    """The HTTP app over one store; without a commander the command endpoints answer 503.

    Every route but /login and /healthz needs a session (talkpuck.auth.guard); `auth` is an
    AuthConfig (allowed Host names, HTTPS); by default one for the address the settings listen on.
    """
    # no /api/docs page: it loads script from a CDN, which the CSP refuses; the schema stays (logged in)
    app = FastAPI(title="talkpuck host", version="1", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    auth = auth or AuthConfig(listen_host=getattr(settings, "http_host", "127.0.0.1"))
    app.state.auth = auth
    app.state.login_limits = {"account": FailureLimiter(auth.login_failures_per_account, auth.login_window_s),
                              "address": FailureLimiter(auth.login_failures_per_address, auth.login_window_s)}
    app.state.settings = settings
    app.state.store = store
    app.state.commander = commander
    app.state.hands = hands_queue
    app.state.sessions = session_control
    # the server-sent event streams' one builder and fan-out; HostApp passes its own (ingest notifies it)
    app.state.live_hub = hub = live_hub or LiveHub(store, hands_queue)

    @app.middleware("http")
    async def count_client_errors(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if request.method not in ("GET", "HEAD") and response.status_code < 400:
            # a hand acknowledged, a session started: push it to the pages (only the rooms it changed)
            what = live_changed(request)
            if what is None:
                hub.notify()
            elif what:
                hub.notify(what[0], room=what[1])
        if 400 <= response.status_code < 500:
            try:
                store.incr("http:%d" % response.status_code)
            except Exception:
                log.exception("api: cannot count an HTTP error")
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        details = [dict(loc=list(e.get("loc", ())), msg=e.get("msg")) for e in errs]
        return JSONResponse(status_code=422, content={"error": "%s: %s" % (field or "request", first.get("msg", "invalid")),
                                                      "field": field, "details": details})

    @app.exception_handler(TalkpuckError)
    async def talkpuck_error(request: Request, exc: TalkpuckError) -> JSONResponse:
        if isinstance(exc, NotFound):
            code = 404
        elif isinstance(exc, (ProtocolError, ConfigError)):
            code = 422
        else:
            code = 400
        return JSONResponse(status_code=code, content={"error": str(exc)})

    for module in (live, rooms, devices, sessions, followup, hands, commands, stats, retention):
        app.include_router(module.router, prefix="/api")
    app.include_router(auth_routes.router)
    app.include_router(review.router)      # the review pages (issue 14): /sessions, /series
    app.include_router(pages.router)       # the rooms page (issue 14): /rooms

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)   # browsers ask for it; not a client error worth counting

    with open(os.path.join(WEB_DIR, "index.html"), encoding="utf-8") as f:
        index_html = f.read()

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        # the page carries its session's CSRF token for live.js (the X-CSRF-Token header) and the logout form
        page = index_html.replace("{{csrf}}", html.escape(request.state.web_session["csrf"]))
        page = page.replace("{{user}}", html.escape(request.state.user["name"]))
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    # outermost: nothing reaches a route (or a static file) without passing the guard
    app.add_middleware(Guard, store=store, config=auth)
    return app

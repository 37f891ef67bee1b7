"""routes — the login page (server-rendered, no script), login, one-time login links, logout, health, /api/me."""
import html
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from talkpuck.auth.config import AuthConfig
from talkpuck.auth.guard import LOGIN_CSRF_COOKIE, same_token
from talkpuck.auth.ratelimit import FailureLimiter
from talkpuck.auth.passwords import verify_password

router = APIRouter()

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>talkpuck — log in</title><link rel="stylesheet" href="/static/login.css"></head>
<body><header><h1>talkpuck <span class="sub">live rooms</span></h1></header>
<main>
<h2>Log in</h2>
{message}
<form method="post" action="/login" class="login">
<input type="hidden" name="csrf_token" value="{csrf}">
<p><label>User <input name="username" autocomplete="username" required maxlength="64"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label></p>
<p><button type="submit">Log in</button></p>
</form>
<p class="note">Only events reach this host: no audio ever leaves a puck.</p>
</main></body></html>
"""


def _cfg(request: Request) -> AuthConfig:
    return request.app.state.auth


def _limits(request: Request) -> dict[str, FailureLimiter]:
    return request.app.state.login_limits


def _page(request: Request, message: str = "", status: int = 200) -> HTMLResponse:
    # keep the browser's token if it has one: a second tab, or a reload of the login page,
    # must not invalidate the form already on screen
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
        token = secrets.token_urlsafe(24)
    msg = '<p class="error" role="alert">%s</p>' % html.escape(message) if message else ""
    r = HTMLResponse(PAGE.format(csrf=token, message=msg), status_code=status)
    r.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_cfg(request).https,
                 path="/login", max_age=3600)
    return r


def start_session(request: Request, user: str, response: Response) -> str:
    """Log `user` in on `response`: a new server-side session and its cookie; returns the session's CSRF token."""
    cfg, store = _cfg(request), request.app.state.store
    old = request.state.session_cookie
    if old:
        store.end_web_session(old)      # a new id at every login (no session fixation)
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = int(time.time() * 1000)
    store.create_web_session(sid, user, csrf, now, now + cfg.session_ttl_s * 1000)
    response.set_cookie(cfg.cookie_name, sid, httponly=True, samesite="strict", secure=cfg.https, path="/",
                        max_age=cfg.session_ttl_s)
    return csrf


@router.get("/healthz", include_in_schema=False, response_model=None)
def healthz() -> dict[str, Any]:
    return {"ok": True}


@router.get("/login", include_in_schema=False)
def login_page(request: Request) -> HTMLResponse:
    return _page(request)       # also when logged in: logging in again (as someone else) replaces the session


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))

    def field(k: str) -> str:
        return (form.get(k) or [""])[0]
    name, password = field("username")[:64], field("password")[:1024]
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not same_token(cookie, field("csrf_token")):
        request.app.state.store.incr("http:403")
        return _page(request, "The form expired: please try again.", 403)
    limits = _limits(request)
    addr = request.client.host if request.client else "?"
    if limits["account"].blocked(name) or limits["address"].blocked(addr):
        request.app.state.store.incr("http:429")
        r: Response = _page(request, "Too many failed logins: wait a few minutes.", 429)
        r.headers["Retry-After"] = str(_cfg(request).login_window_s)
        return r
    u = request.app.state.store.user(name)
    if not verify_password(u["pw_hash"] if u else None, password):
        limits["account"].fail(name)
        limits["address"].fail(addr)
        request.app.state.store.incr("http:401")
        return _page(request, "Wrong user or password.", 401)
    limits["account"].reset(name)
    r = RedirectResponse("/", status_code=303)
    start_session(request, name, r)
    r.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return r


@router.get("/login/link", include_in_schema=False)
def login_link(request: Request, token: str = "") -> Response:
    """A one-time login link (the demo prints one): the token works once, then never again."""
    limits, addr = _limits(request), (request.client.host if request.client else "?")
    if limits["address"].blocked(addr):
        request.app.state.store.incr("http:429")
        return _page(request, "Too many failed logins: wait a few minutes.", 429)
    user = request.app.state.store.use_login_token(token[:200], int(time.time() * 1000)) if token else None
    if user is None or request.app.state.store.user(user) is None:
        limits["address"].fail(addr)
        request.app.state.store.incr("http:401")
        return _page(request, "That login link was used already or has expired: log in with your password.", 401)
    r = RedirectResponse("/", status_code=303)
    start_session(request, user, r)
    return r


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> RedirectResponse:
    request.app.state.store.end_web_session(request.state.session_cookie)
    r = RedirectResponse("/login", status_code=303)
    r.delete_cookie(_cfg(request).cookie_name, path="/", secure=_cfg(request).https, httponly=True, samesite="strict")
    return r


@router.get("/api/me", tags=["auth"])
def me(request: Request) -> JSONResponse:
    u = request.state.user
    return JSONResponse({"name": u["name"], "role": u["role"], "rooms": u["rooms"],
                         "csrf_token": request.state.web_session["csrf"]})

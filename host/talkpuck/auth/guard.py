"""guard — ASGI middleware in front of every route: Host allow-list, body limit, JSON constants, session, CSRF, headers.

Order of checks for each HTTP request (each refusal is counted as `http:<code>`):
  1. `Host` must be one of the allowed names (DNS rebinding) .................... 400
  2. the body is read here, at most `max_body_bytes` (declared or chunked) ....... 413
  3. a JSON body may not contain NaN or Infinity (invalid JSON for every peer) ... 422
  4. every path but PUBLIC needs a live session cookie ... 401 (API, images, scripts) / 303 to /login (pages)
  5. a state-changing request must come from this origin (Origin, Referer,
     Sec-Fetch-Site) and carry the session's CSRF token (X-CSRF-Token header or
     `csrf_token` form field) ........................................................ 403
Every response gets the security headers (CSP without inline script, frame-ancestors none, ...).
"""
import hmac
import json
import logging
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from talkpuck.auth.config import AuthConfig
    from talkpuck.store import Store

log = logging.getLogger(__name__)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PUBLIC = {("GET", "/login"), ("HEAD", "/login"), ("POST", "/login"), ("GET", "/login/link"), ("GET", "/healthz"),
          ("HEAD", "/healthz"), ("GET", "/favicon.ico"), ("GET", "/static/login.css")}
LOGIN_CSRF_COOKIE = "talkpuck_login_csrf"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class Refused(Exception):
    def __init__(self, status: int, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location


def header(scope: Scope, name: str) -> str | None:
    key = name.encode()
    for k, v in scope.get("headers", ()):
        if k == key:
            return v.decode("latin-1")
    return None


def cookies(scope: Scope) -> dict[str, str]:
    raw = header(scope, "cookie")
    if not raw:
        return {}
    c: SimpleCookie = SimpleCookie()
    try:
        c.load(raw)
    except Exception:
        return {}
    return {k: m.value for k, m in c.items()}


def _is_navigation(scope: Scope) -> bool:
    """A page load (or a client that does not say): only those are sent to the login page. An image or a
    script (the favicon, say) gets 401: its redirect would load /login beside the form on screen and
    replace the form's login CSRF cookie, and the person's first login would fail as "form expired"."""
    dest = header(scope, "sec-fetch-dest")
    return dest is None or dest in ("document", "iframe")


def _no_constants(name: str) -> None:
    raise ValueError("%s is not JSON: send numbers only" % name)


class Guard:
    def __init__(self, app: ASGIApp, store: "Store", config: "AuthConfig", clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.store = store
        self.config = config
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})   # none are served
            return
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        send = self._with_headers(send)
        try:
            body = await self._check(scope, receive)
        except Refused as r:
            await self._refuse(scope, send, r)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()      # the disconnect, when it comes

        await self.app(scope, replay, send)

    # -- checks -------------------------------------------------------------------------------------
    async def _check(self, scope: Scope, receive: Receive) -> bytes:
        cfg = self.config
        method, path = scope["method"], scope["path"]
        host = (header(scope, "host") or "").lower()
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host.startswith("[") and "]:" in host:
            hostname = host[:host.index("]") + 1]
        if hostname not in cfg.allowed_hosts:
            raise Refused(400, "host %r is not served here" % hostname[:100])
        body = await self._read_body(scope, receive)
        ctype = (header(scope, "content-type") or "").lower()
        if body and "json" in ctype:
            try:
                json.loads(body, parse_constant=_no_constants)
            except ValueError as e:
                if "is not JSON" in str(e):       # ours, not a syntax error FastAPI reports itself
                    raise Refused(422, str(e))
            except RecursionError:
                raise Refused(422, "JSON nested too deeply")
        user, session = None, None
        sid = cookies(scope).get(cfg.cookie_name)
        if sid:
            session = self.store.web_session(sid, int(self.clock() * 1000))
            if session is not None:
                user = self.store.user(session["user"])
        state = scope.setdefault("state", {})
        state["user"], state["web_session"], state["session_cookie"] = user, session, sid if session else None
        if (method, path) in PUBLIC:
            if method not in SAFE_METHODS:
                self._check_origin(scope)     # login CSRF: the token is checked by the route
            return body
        if user is None or session is None:
            if method in SAFE_METHODS and not path.startswith("/api/") and _is_navigation(scope):
                raise Refused(303, "log in first", location="/login")
            raise Refused(401, "log in first")
        if method not in SAFE_METHODS:
            self._check_origin(scope)
            token = header(scope, "x-csrf-token")
            if token is None and "application/x-www-form-urlencoded" in ctype:
                given = parse_qs(body.decode("utf-8", "replace")).get("csrf_token")
                token = given[0] if given else None
            if not token or not same_token(token, session["csrf"]):
                raise Refused(403, "missing or wrong CSRF token")
        return body

    def _check_origin(self, scope: Scope) -> None:
        scheme = "https" if self.config.https else scope.get("scheme", "http")
        own = "%s://%s" % (scheme, (header(scope, "host") or "").lower())
        if (header(scope, "sec-fetch-site") or "same-origin") not in ("same-origin", "none"):
            raise Refused(403, "cross-site request refused")
        origin = header(scope, "origin")
        if origin is not None:
            if origin.lower() != own:
                raise Refused(403, "cross-site request refused (Origin %s)" % origin[:100])
            return
        referer = header(scope, "referer")
        if referer is not None:
            u = urlsplit(referer)
            if ("%s://%s" % (u.scheme, u.netloc)).lower() != own:
                raise Refused(403, "cross-site request refused (Referer)")

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.config.max_body_bytes
        declared = header(scope, "content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    raise Refused(413, "request body over %d bytes" % limit)
            except ValueError:
                raise Refused(400, "bad Content-Length")
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                raise Refused(400, "client went away")
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > limit:              # chunked bodies too: stop reading, refuse
                raise Refused(413, "request body over %d bytes" % limit)
            chunks.append(chunk)
            if not msg.get("more_body"):
                return b"".join(chunks)

    # -- responses ----------------------------------------------------------------------------------
    def _with_headers(self, send: Send) -> Send:
        https = self.config.https

        async def wrapped(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                have = {k.lower() for k, _ in msg.get("headers", [])}
                extra = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                         (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"),
                         (b"cross-origin-opener-policy", b"same-origin"),
                         (b"cross-origin-resource-policy", b"same-origin")]
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                if b"cache-control" not in have:
                    extra.append((b"cache-control", b"no-store"))
                msg = dict(msg, headers=list(msg.get("headers", [])) + [h for h in extra if h[0] not in have])
            await send(msg)
        return wrapped

    async def _refuse(self, scope: Scope, send: Send, r: Refused) -> None:
        if r.status >= 400:
            try:
                self.store.incr("http:%d" % r.status)
            except Exception:
                log.exception("auth: cannot count a refusal")
        body = json.dumps({"error": r.message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if r.location:
            headers.append((b"location", r.location.encode()))
        if r.status == 413:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": r.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def same_token(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(a.encode(), b.encode())

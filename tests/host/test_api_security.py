"""Logins for the web (issue 12): every route refuses anonymous and cross-site requests; rooms per role;
CSRF; login rate limits; sessions and one-time links; and each HTTP finding of the attack, fixed."""
import json
import time

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from talkpuck.api import create_app
from talkpuck.auth import AuthConfig
from talkpuck.service.settings import Settings
from talkpuck.store import Store
from conftest import record_puck
from webauth import BASE, PASSWORD, add_user, logged_in, login_form

B = "0000abcd"
T0 = int(time.time() * 1000) - 60000
PUBLIC = {"/login", "/login/link", "/healthz", "/favicon.ico", "/static/login.css"}     # the favicon: an empty 204, nothing to give away
EVIL = "http://evil.example"


def _info(store, device, room):
    record_puck(store, device, room, B, T0)


@pytest.fixture
def env(api_parts):
    app, store, sent = api_parts
    _info(store, "puck-1", "Room 1")
    _info(store, "puck-2", "Room 2")
    store.add_event("puck-1", B, 1, "hand", 2000, T0 + 2000, T0, {"action": "raise", "hand": 2, "waiting": 1})
    store.add_event("puck-2", B, 1, "hand", 2000, T0 + 2000, T0, {"action": "raise", "hand": 5, "waiting": 1})
    return app, store, sent


def _routes(routes, prefix=""):
    """Every concrete route under `routes` with its full path, through included routers (FastAPI may keep
    those as one lazy `_IncludedRouter` entry in app.routes, holding the prefix and the router's own routes)."""
    for r in routes:
        if hasattr(r, "original_router"):
            yield from _routes(r.original_router.routes, prefix + r.include_context.prefix)
        else:
            yield prefix + r.path, r


def _requests(app):
    """One concrete request per method of every route the app registers (app.routes, mounts included)."""
    out = []
    for path, r in _routes(app.routes):
        if isinstance(r, Mount):
            for f in ("live.js", "style.css", "index.html", "nope.txt", "login.css"):
                out.append(("GET", path + "/" + f))
        else:
            for name in getattr(r, "param_convertors", {}):
                path = path.replace("{%s}" % name, "1" if name.endswith("_id") else "puck-1")
            for m in sorted(r.methods or ()):
                out.append((m, path))
    return out


def test_every_route_refuses_anonymous_and_cross_site_requests(env):
    app, store, sent = env
    reqs = _requests(app)
    paths = {p for _, p in reqs}
    # the walk covers the HTML page, static files, the API (schema included) and the login routes
    assert {"/", "/static/live.js", "/api/live", "/api/openapi.json", "/api/commands", "/logout"} <= paths
    assert len(reqs) >= 30
    anon = TestClient(app, base_url=BASE)
    admin = logged_in(app, store)
    body = {"device": "puck-1", "verb": "identify", "limit_s": 60, "room": "Room 1", "name": "x", "add_s": 5}
    checked = 0
    for method, path in reqs:
        if path in PUBLIC:
            continue
        for headers in ({}, {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}):
            # a cross-site page's request carries no cookie (SameSite=Strict): same as anonymous
            r = anon.request(method, path, json=body if method in ("POST", "PUT") else None, headers=headers,
                             follow_redirects=False)
            assert r.status_code in (401, 403, 303), (method, path, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"] == "/login"
            assert "puck-1" not in r.text and "Room 1" not in r.text and len(r.content) < 200, (method, path)
            checked += 1
        if method not in ("GET", "HEAD"):
            # even with the session cookie (a browser without SameSite), a foreign Origin is refused
            r = admin.request(method, path, json=body if method in ("POST", "PUT") else None,
                              headers={"Origin": EVIL}, follow_redirects=False)
            assert r.status_code == 403, (method, path, r.status_code)
            r = admin.request(method, path, json=body if method in ("POST", "PUT") else None,
                              headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
            assert r.status_code == 403, (method, path, r.status_code)
    assert checked >= 60
    assert sent == [], "no refused request reached a puck"
    assert [h["state"] for h in store.hands()] == ["waiting", "waiting"]
    # the public ones give away nothing either
    assert anon.get("/healthz").json() == {"ok": True}
    assert "puck-1" not in anon.get("/login").text
    css = anon.get("/static/login.css")         # the login page's style, and nothing else, without a session
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert anon.get("/static/style.css", follow_redirects=False).status_code in (303, 401)
    assert anon.get("/login/link?token=guess", follow_redirects=False).status_code == 401


def test_cross_site_form_post_with_a_foreign_origin_is_refused(env):
    """Finding: cross-site form posts ended sessions, cleared and acknowledged hands."""
    app, store, sent = env
    client = logged_in(app, store)
    csrf = client.headers.pop("X-CSRF-Token")
    form = {"csrf_token": csrf}
    h = {"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"}
    assert client.post("/api/rooms/Room 1/hands/clear", data=form, headers=h).status_code == 403
    assert client.post("/api/devices/puck-1/session/end", data=form, headers=h).status_code == 403
    assert client.post("/api/hands/1/ack", data=form, headers={"Referer": EVIL + "/x"}).status_code == 403
    assert sent == [] and [h["state"] for h in store.hands()] == ["waiting", "waiting"]
    # from our own origin with the token, it works
    r = client.post("/api/hands/1/ack", headers={"Origin": BASE, "X-CSRF-Token": csrf})
    assert r.status_code == 200 and sent[-1][0].endswith("/cmd/hand_ack")


def test_csrf_token_is_required_for_every_state_change(env):
    app, store, sent = env
    client = logged_in(app, store)
    good = client.headers.pop("X-CSRF-Token")
    assert client.post("/api/hands/1/ack").status_code == 403
    assert client.post("/api/hands/1/ack", headers={"X-CSRF-Token": "x" + good}).status_code == 403
    assert client.put("/api/rooms/Room 1/min_break", json={"min_break_s": 5}).status_code == 403
    assert client.post("/logout").status_code == 403
    assert sent == []
    assert client.post("/api/hands/1/ack", headers={"X-CSRF-Token": good}).status_code == 200
    # the login form has its own token (login CSRF): a post without it is refused
    anon = TestClient(app, base_url=BASE)
    r = anon.post("/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "talkpuck_session" not in r.cookies
    # the token of one session is no good in another
    other = logged_in(app, store, "other", "admin")
    assert other.post("/api/hands/2/ack", headers={"X-CSRF-Token": good}).status_code == 403


def test_host_sees_and_runs_only_its_rooms(env):
    app, store, sent = env
    admin = logged_in(app, store)
    one = logged_in(app, store, "sam", "host", ["Room 1"])
    none = logged_in(app, store, "jo", "host", [])
    assert {r["room"] for r in admin.get("/api/live").json()["rooms"]} == {"Room 1", "Room 2"}
    assert [r["room"] for r in one.get("/api/live").json()["rooms"]] == ["Room 1"]
    assert none.get("/api/live").json()["rooms"] == []
    assert [d["id"] for d in one.get("/api/devices").json()] == ["puck-1"]
    assert [r["room"] for r in one.get("/api/rooms").json()] == ["Room 1"]
    assert {h["room"] for h in one.get("/api/hands").json()} == {"Room 1"}
    assert one.get("/api/devices/puck-2").status_code == 404        # same answer as a missing puck
    hand2 = [h for h in admin.get("/api/hands").json() if h["room"] == "Room 2"][0]["id"]
    # commands into another room are refused before anything is sent or stored
    for method, path, body in [("POST", "/api/hands/%d/ack" % hand2, None), ("POST", "/api/hands/%d/lower" % hand2, None),
                               ("POST", "/api/rooms/Room 2/hands/clear", None), ("PUT", "/api/rooms/Room 2/min_break", {"min_break_s": 1}),
                               ("POST", "/api/sessions", {"device": "puck-2", "limit_s": 60}),
                               ("POST", "/api/devices/puck-2/session/extend", {"add_s": 60}),
                               ("POST", "/api/devices/puck-2/session/end", None),
                               ("POST", "/api/commands", {"device": "puck-2", "verb": "identify"}),
                               ("POST", "/api/commands", {"device": "all", "verb": "identify"}),
                               ("POST", "/api/hands", {"room": "Room 2", "name": "Ann"}),
                               ("PUT", "/api/devices/puck-2/room", {"room": "Room 1"}),
                               ("PUT", "/api/devices/puck-1/room", {"room": "Room 2"})]:
        r = one.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    assert sent == [] and store.sessions() == [] and store.device("puck-1")["room"] == "Room 1"
    # in its own room it works, and its commands are the only ones it sees
    assert one.post("/api/commands", json={"device": "puck-1", "verb": "identify"}).status_code == 201
    assert admin.post("/api/commands", json={"device": "puck-2", "verb": "identify"}).status_code == 201
    assert [c["device"] for c in one.get("/api/commands").json()] == ["puck-1"]
    assert len(admin.get("/api/commands").json()) == 2
    cid = [c["id"] for c in admin.get("/api/commands").json() if c["device"] == "puck-2"][0]
    assert one.get("/api/commands/" + cid).status_code == 404
    r = one.post("/api/sessions", json={"device": "puck-1", "limit_s": 60})
    assert r.status_code == 201
    assert [s["device"] for s in one.get("/api/sessions").json()] == ["puck-1"]
    assert none.get("/api/sessions").json() == [] and none.get("/api/sessions/" + r.json()["session"]).status_code == 404
    assert none.get("/api/gaps").json() == []


class FewTries(AuthConfig):
    login_failures_per_account = 3
    login_failures_per_address = 6


def test_login_rate_limited_per_account_and_per_address(env):
    _, store, sent = env
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir="unused"), store, auth=FewTries())
    add_user(store, "sam", "host", ["Room 1"])
    c = TestClient(app, base_url=BASE)
    for _ in range(FewTries.login_failures_per_account):
        assert login_form(c, "sam", "wrong password!").status_code == 401
    r = login_form(c, "sam")               # the right password, too late
    assert r.status_code == 429 and "Retry-After" in r.headers and "talkpuck_session" not in r.cookies
    # other accounts from this address still work, until the address's own limit
    assert login_form(c, "admin-less", "nope nope nope").status_code == 401
    add_user(store, "ann", "admin")
    assert login_form(TestClient(app, base_url=BASE), "ann").status_code == 303
    for i in range(FewTries.login_failures_per_address):
        login_form(c, "user%d" % i, "wrong password!")
    assert login_form(TestClient(app, base_url=BASE), "ann").status_code == 429
    assert store.counter("http:429") >= 2


def test_sessions_expire_end_at_logout_and_cookies_are_strict(env, monkeypatch):
    app, store, sent = env
    add_user(store)
    c = TestClient(app, base_url=BASE)
    r = login_form(c, "admin")
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Secure" not in cookie
    assert c.get("/api/live").status_code == 200
    csrf = c.get("/api/me").json()["csrf_token"]
    # a second login gets a new session id (no fixation)
    sid = c.cookies["talkpuck_session"]
    login_form(c, "admin")
    assert c.cookies["talkpuck_session"] != sid
    assert store.web_session(sid, int(time.time() * 1000)) is None
    csrf = c.get("/api/me").json()["csrf_token"]
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    c.cookies.set("talkpuck_session", c.cookies.get("talkpuck_session") or "x")
    assert TestClient(app, base_url=BASE, cookies={"talkpuck_session": sid}).get("/api/live").status_code == 401
    # expiry: a session past its time is refused
    c2 = logged_in(app, store)
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + AuthConfig.session_ttl_s + 5)
    assert c2.get("/api/live").status_code == 401
    assert c2.get("/", follow_redirects=False).headers["location"] == "/login"


def test_images_are_not_sent_to_the_login_page(env):
    """The browser's favicon request beside the login form must not set a new login CSRF cookie: it did,
    and a person's first login then failed as "The form expired" (a CI failure in the browser test)."""
    app, _, _ = env
    c = TestClient(app, base_url=BASE)
    form = c.get("/login")
    token = c.cookies["talkpuck_login_csrf"]
    r = c.get("/favicon.ico", follow_redirects=False, headers={"Sec-Fetch-Dest": "image"})
    assert r.status_code == 204 and "set-cookie" not in r.headers
    r = c.get("/static/live.js", follow_redirects=False, headers={"Sec-Fetch-Dest": "script"})
    assert r.status_code == 401 and "set-cookie" not in r.headers
    # a page load is still sent to the form, and the form keeps the browser's token
    r = c.get("/sessions", follow_redirects=False, headers={"Sec-Fetch-Dest": "document"})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/login").cookies.get("talkpuck_login_csrf", token) == token and token in form.text


def test_one_time_login_link_works_once(env):
    from talkpuck.auth.links import demo_login_link
    app, store, sent = env
    link = demo_login_link(store, BASE + "/")
    path = link[len(BASE):]
    c = TestClient(app, base_url=BASE)
    r = c.get(path, follow_redirects=False)
    assert r.status_code == 303 and c.get("/api/live").status_code == 200
    assert c.get("/api/me").json()["role"] == "admin"
    again = TestClient(app, base_url=BASE)
    assert again.get(path, follow_redirects=False).status_code == 401
    assert again.get("/api/live").status_code == 401
    # a second demo run: same user, a new link that works
    link2 = demo_login_link(store, BASE + "/")
    assert link2 != link and [u["name"] for u in store.users()] == ["demo"]
    assert TestClient(app, base_url=BASE).get(link2[len(BASE):], follow_redirects=False).status_code == 303


def test_host_header_must_be_an_allowed_name(env):
    """Finding: the Host header was not checked (DNS rebinding)."""
    app, store, sent = env
    client = logged_in(app, store)
    assert client.get("/api/live").status_code == 200
    for host in ("evil.example", "evil.example:8080", "127.0.0.1.evil.example", ""):
        r = client.get("/api/live", headers={"Host": host})
        assert r.status_code == 400 and "puck-1" not in r.text, host
    assert client.get("/healthz", headers={"Host": "rebind.example"}).status_code == 400
    assert client.get("/api/live", headers={"Host": "localhost:8080"}).status_code == 200
    # a host listening on a LAN address also answers to that address and the names it is given
    app2 = create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(store.url)), store,
                      auth=AuthConfig(allowed_hosts=["talkpuck.lan"], https=True, listen_host="127.0.0.2"))
    anon = TestClient(app2, base_url="https://127.0.0.2")
    assert anon.get("/healthz").status_code == 200
    assert anon.get("/healthz", headers={"Host": "talkpuck.lan"}).status_code == 200
    assert anon.get("/healthz", headers={"Host": "other.lan"}).status_code == 400


def test_security_headers_on_every_response(env):
    """Finding: no security headers."""
    app, store, sent = env
    client = logged_in(app, store)
    anon = TestClient(app, base_url=BASE)
    for r in (client.get("/"), client.get("/api/live"), client.get("/static/live.js"), anon.get("/login"),
              anon.get("/api/live"), client.get("/api/hands/x/ack")):
        h = r.headers
        assert "script-src 'self'" in h["content-security-policy"] and "frame-ancestors 'none'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in h      # plain HTTP on localhost: no HSTS
    assert "<script>" not in client.get("/").text and "<script>" not in anon.get("/login").text
    https = create_app(Settings("mqtt://127.0.0.1:1", data_dir="unused"), store,
                       auth=AuthConfig(https=True))
    add_user(store, "h", "admin")
    c = TestClient(https, base_url="https://127.0.0.1")
    r = login_form(c, "h")
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert "Secure" in r.headers["set-cookie"] and r.headers["set-cookie"].startswith("__Host-talkpuck=")


def test_command_args_cannot_override_id_ts_or_ttl(env):
    """Finding: `args` could override a command's id, ts and ttl_s."""
    app, store, sent = env
    client = logged_in(app, store)
    for key, value in (("id", "forged"), ("ts", 1), ("ttl_s", 99999)):
        r = client.post("/api/commands", json={"device": "puck-1", "verb": "identify", "args": {key: value}})
        assert r.status_code == 422 and key in r.json()["error"], r.text
    assert sent == [] and store.commands() == []
    r = client.post("/api/commands", json={"device": "puck-1", "verb": "identify", "ttl_s": 40})
    assert r.status_code == 201 and json.loads(sent[-1][1])["ttl_s"] == 40


def test_huge_hand_id_is_a_client_error(env):
    """Finding: POST /api/hands/99999999999999999999/ack was a 500."""
    app, store, sent = env
    client = logged_in(app, store)
    for hid in ("99999999999999999999", str(2 ** 63), "-1", "0", "1e3"):
        for verb in ("ack", "lower"):
            assert client.post("/api/hands/%s/%s" % (hid, verb)).status_code == 422, hid
    assert client.post("/api/hands/%d/ack" % (2 ** 63 - 1)).status_code == 404
    assert sent == []


@pytest.mark.parametrize("device", ["Bad Device!", "../../etc", "all", "host", "x" * 33, "puck-9"])
def test_session_start_validates_before_storing(env, device):
    """Finding: POST /api/sessions stored device and session rows before validating."""
    app, store, sent = env
    client = logged_in(app, store)
    before = [d["id"] for d in store.devices()]
    r = client.post("/api/sessions", json={"device": device, "limit_s": 60})
    assert r.status_code in (404, 422), r.text
    assert [d["id"] for d in store.devices()] == before and store.sessions() == [] and sent == []


def test_room_of_an_unknown_device_is_404(env):
    """Finding: PUT /api/devices/<unknown>/room created devices."""
    app, store, sent = env
    client = logged_in(app, store)
    r = client.put("/api/devices/puck-new/room", json={"room": "Room 1"})
    assert r.status_code == 404
    assert store.device("puck-new") is None and len(store.devices()) == 2


@pytest.mark.parametrize("const", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_refused_in_every_json_body(env, const):
    """Finding: POST /api/commands with NaN in args was 201, published invalid JSON, then GET /api/commands was 500."""
    app, store, sent = env
    client = logged_in(app, store)
    h = {"Content-Type": "application/json"}
    raw = '{"device": "puck-1", "verb": "config", "args": {"x": %s}}' % const
    r = client.post("/api/commands", content=raw, headers=h)
    assert r.status_code == 422 and const.lstrip("-") in r.json()["error"]
    assert client.post("/api/hands", content='{"room": "Room 1", "name": "A", "n": %s}' % const, headers=h).status_code == 422
    assert client.put("/api/rooms/Room 1/min_break", content='{"min_break_s": %s}' % const, headers=h).status_code == 422
    assert sent == [] and store.commands() == []
    assert client.get("/api/commands").status_code == 200


def test_big_bodies_refused_while_reading(env):
    """Finding: 50 MB bodies were accepted."""
    app, store, sent = env
    client = logged_in(app, store)
    big = b'{"room": "Room 1", "name": "' + b"a" * (50 * 1024 * 1024) + b'"}'
    r = client.post("/api/hands", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    reads = []

    def chunks():                      # no Content-Length: chunked; refused once past the limit
        for _ in range(800):
            reads.append(1)
            yield b"a" * 1024

    r = client.post("/api/hands", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert client.post("/api/hands", json={"room": "Room 1", "name": "n" * 80}).status_code == 201
    assert store.counter("http:413") == 2


def test_migration_m002_adds_the_user_tables_to_an_existing_database(tmp_path):
    from sqlalchemy import inspect
    from talkpuck.store import migrations
    from talkpuck.store.engine import default_url, make_engine
    eng = make_engine(default_url(str(tmp_path)))
    saved = migrations.MIGRATIONS
    migrations.MIGRATIONS = saved[:1]
    try:
        assert migrations.migrate(eng) == 1
    finally:
        migrations.MIGRATIONS = saved
    assert not inspect(eng).has_table("users")
    assert [f.__name__ for f in saved[:2]] == ["m001_initial", "m002_users"]
    assert migrations.migrate(eng) >= 2
    assert {"users", "user_rooms", "web_sessions", "login_tokens"} <= set(inspect(eng).get_table_names())
    eng.dispose()


def test_user_command_adds_lists_assigns_and_removes(tmp_path, monkeypatch, capsys):
    import io
    from talkpuck.cli import main
    d = str(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "sam", "--role", "host", "--room", "Room 1", "--password-stdin", "--data-dir", d]) == 0
    assert main(["user", "add", "root", "--role", "admin", "--generate", "--data-dir", d]) == 0
    out = capsys.readouterr().out
    generated = out.split("password (shown once): ")[1].split()[0]
    assert main(["user", "add", "sam", "--role", "host", "--generate", "--data-dir", d]) == 2   # exists
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "kim", "--role", "host", "--password-stdin", "--data-dir", d]) == 2
    assert main(["user", "assign", "sam", "--room", "Room 2", "--unassign", "Room 1", "--data-dir", d]) == 0
    capsys.readouterr()
    assert main(["user", "list", "--json", "--data-dir", d]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"name": "root", "role": "admin", "rooms": []}, {"name": "sam", "role": "host", "rooms": ["Room 2"]}]
    store = Store(data_dir=d)
    try:
        from talkpuck.auth import verify_password
        assert verify_password(store.user("root")["pw_hash"], generated)
        assert verify_password(store.user("sam")["pw_hash"], PASSWORD)
        assert store.user("sam")["pw_hash"].startswith("$argon2id$") and PASSWORD not in store.user("sam")["pw_hash"]
    finally:
        store.close()
    assert main(["user", "remove", "sam", "--data-dir", d]) == 0
    assert main(["user", "remove", "sam", "--data-dir", d]) == 2


def test_user_commands_survive_a_user_removed_meanwhile(tmp_path, monkeypatch, capsys):
    """Store.users() reads the names, then each user: one removed in between comes back None. `user list`
    leaves it out and `user assign` says it is gone (exit 2), instead of a TypeError."""
    import io
    from talkpuck.cli import main
    d = str(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "sam", "--role", "host", "--room", "Room 1", "--password-stdin", "--data-dir", d]) == 0
    assert main(["user", "add", "root", "--role", "admin", "--generate", "--data-dir", d]) == 0
    real_user = Store.user
    monkeypatch.setattr(Store, "user", lambda self, name: None if name == "sam" else real_user(self, name))
    capsys.readouterr()
    assert main(["user", "list", "--json", "--data-dir", d]) == 0
    assert json.loads(capsys.readouterr().out) == [{"name": "root", "role": "admin", "rooms": []}]
    assert main(["user", "assign", "sam", "--room", "Room 2", "--data-dir", d]) == 2
    assert "no such user 'sam'" in capsys.readouterr().err

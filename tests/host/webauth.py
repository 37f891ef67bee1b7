"""Logging test clients in: a user in the store, then the real login form (TestClient) or a one-time link (urllib)."""
import http.cookiejar
import re
import time
import urllib.request

from fastapi.testclient import TestClient

from talkpuck.auth import hash_password
from talkpuck.auth.links import issue_login_link

PASSWORD = "correct horse battery"
BASE = "http://127.0.0.1"          # an allowed Host (TestClient's "testserver" is not one)


_HASHES = {}      # one real Argon2id hash per password for the whole run: hashing costs ~0.5 s on a busy box


def add_user(store, name="admin", role="admin", rooms=(), password=PASSWORD):
    if store.user(name) is None:
        if password not in _HASHES:
            _HASHES[password] = hash_password(password)
        store.add_user(name, role, _HASHES[password], int(time.time() * 1000), rooms)
    return name


def login_form(client, name, password=PASSWORD):
    """Log in through the HTML form like a browser (GET the page for its CSRF field, POST it); returns the response."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                       follow_redirects=False)


def logged_in(app, store, name="admin", role="admin", rooms=(), form=False):
    """A TestClient logged in as a (new) user, sending the session's CSRF token on every request.

    Through a one-time link by default (no password check: fast); `form=True` uses the login form."""
    add_user(store, name, role, rooms)
    client = TestClient(app, base_url=BASE)
    if form:
        r = login_form(client, name)
    else:
        r = client.get(issue_login_link(store, name, BASE)[len(BASE):], follow_redirects=False)
    assert r.status_code == 303, r.text
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    return client


def urllib_session(store, base_url, name="admin", role="admin", rooms=()):
    """An urllib opener logged in through a one-time link (a live HostApp); returns (opener, csrf token)."""
    import json
    add_user(store, name, role, rooms)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(issue_login_link(store, name, base_url)) as r:
        r.read()
    with opener.open(base_url.rstrip("/") + "/api/me") as r:
        me = json.loads(r.read())
    return opener, me["csrf_token"]

"""A fuzz of the HTTP API from its own OpenAPI schema (schemathesis), logged in as an admin: no 500, ever.

Valid and invalid requests for every operation the schema lists; each answer must be a non-5xx and,
when JSON, strict JSON (no NaN/Infinity). A few hundred cases by default, thousands with --run-slow.
"""
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings

from talkpuck.api import create_app
from talkpuck.commands import Commander, SessionControl
from talkpuck.hands import HandQueue
from talkpuck.service.settings import Settings
from talkpuck.store import Store
from webauth import BASE, logged_in

schemathesis = pytest.importorskip("schemathesis")
B = "0000abcd"


def _strict(text):
    def bad(name):
        raise ValueError(name)
    return json.loads(text, parse_constant=bad)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("fuzz"))
    store = Store(data_dir=d)
    sent = []
    commander = Commander(store, lambda topic, payload: sent.append((topic, payload)))
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=d), store, commander,
                     HandQueue(store, commander), SessionControl(store, commander))
    t0 = int(time.time() * 1000) - 60000
    for dev, room in (("puck-1", "Room 1"), ("a", "Room 2")):
        store.record_info(dev, {"v": 1, "boot": B, "ms": 0, "fw": "t", "board": "b", "leds": 16, "room": room,
                                "caps": [], "prev_boot": None, "prev_seq": 0}, t0, (t0, 0))
        store.add_event(dev, B, 1, "hand", 2000, t0 + 2000, t0, {"action": "raise", "hand": 1, "waiting": 1})
    client = logged_in(app, store)
    schema = schemathesis.openapi.from_dict(client.get("/api/openapi.json").json())
    yield client, schema, sent
    store.close()


def _run(api, mode, n):
    client, schema, sent = api
    seen = []

    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(schema.as_strategy(generation_mode=mode))
    def case_ok(case):
        kw = case.as_transport_kwargs(base_url=BASE)
        kw["headers"] = {k: v for k, v in kw["headers"].items() if k.lower() not in ("connection", "accept-encoding")}
        kw["headers"]["X-CSRF-Token"] = client.headers["X-CSRF-Token"]
        if "data" in kw:
            kw["content"] = kw.pop("data")
        kw.pop("cookies", None)
        r = client.request(**kw)
        seen.append((case.method, case.operation.path, r.status_code))
        assert r.status_code < 500, (case.method, kw["url"], kw.get("json", kw.get("content")), r.status_code, r.text[:300])
        assert r.status_code != 401, "the fuzzer stays logged in"
        if r.headers.get("content-type", "").startswith("application/json"):
            _strict(r.text)

    case_ok()
    return seen


def test_fuzz_api_from_its_schema_finds_no_500(api):
    seen = _run(api, schemathesis.GenerationMode.POSITIVE, 200) + _run(api, schemathesis.GenerationMode.NEGATIVE, 100)
    ops = {(m, p) for m, p, _ in seen}
    assert len(seen) >= 250 and len(ops) >= 15, (len(seen), len(ops))
    assert any(200 <= c < 300 for _, _, c in seen) and any(c == 422 for _, _, c in seen)
    client, _, _ = api
    assert client.get("/api/commands").status_code == 200 and client.get("/api/devices").status_code == 200


@pytest.mark.slow
def test_fuzz_api_long(api):
    seen = _run(api, schemathesis.GenerationMode.POSITIVE, 3000) + _run(api, schemathesis.GenerationMode.NEGATIVE, 2000)
    assert len(seen) >= 4000

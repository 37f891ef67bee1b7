"""The JSON API through FastAPI's TestClient (no MQTT): clear, counted 4xx errors; sessions, hands, commands."""
import time

import pytest

from talkpuck.api import create_app
from talkpuck.commands import Commander, SessionControl
from talkpuck.hands import HandQueue
from talkpuck.service.settings import Settings
from talkpuck.store import Store
from webauth import logged_in

B = "0000abcd"
T0 = int(time.time() * 1000) - 60000


@pytest.fixture
def env(tmp_path):
    store = Store(data_dir=str(tmp_path))
    sent = []
    commander = Commander(store, lambda topic, payload: sent.append((topic, payload)))
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path)), store, commander,
                     HandQueue(store, commander), SessionControl(store, commander))
    store.record_info("puck-1", {"v": 1, "boot": B, "ms": 0, "fw": "t", "board": "b", "leds": 16, "room": "Room 1",
                                 "caps": [], "prev_boot": None, "prev_seq": 0}, T0, (T0, 0))
    yield logged_in(app, store), store, sent
    store.close()


def test_bad_requests_are_clear_and_counted(env):
    client, store, sent = env
    r = client.post("/api/sessions", json={"device": "puck-1", "limit_s": -5})
    assert r.status_code == 422 and r.json()["error"].startswith("limit_s:")
    r = client.post("/api/sessions", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/commands", json={"device": "puck-1", "verb": "selfdestruct"})
    assert r.status_code == 422 and "selfdestruct" in r.json()["error"]
    r = client.post("/api/commands", json={"device": "puck-1", "verb": "config", "args": {"brightness": 999}})
    assert r.status_code == 422 and "brightness" in r.json()["error"]
    r = client.post("/api/commands", json={"device": "Bad Id", "verb": "identify"})
    assert r.status_code == 422 and "device id" in r.json()["error"]
    r = client.get("/api/sessions/nope")
    assert r.status_code == 404 and "no such session" in r.json()["error"]  # NotFound, one body shape
    assert client.post("/api/hands/999/ack").status_code == 404
    assert client.post("/api/hands", json={"room": "Room 1"}).status_code == 422
    assert sent == []
    st = client.get("/api/stats").json()
    assert st["http_rejected"] == {"422": 6, "404": 2}
    assert client.get("/api/stats").status_code == 200


def test_session_hands_and_commands_through_the_api(env):
    client, store, sent = env
    r = client.post("/api/sessions", json={"device": "puck-1", "limit_s": 180, "warn_s": 60, "purpose": "Check-in"})
    assert r.status_code == 201
    sid = r.json()["session"]
    assert sent[-1][0] == "talkpuck/v1/puck-1/cmd/session_start"
    assert client.post("/api/devices/puck-1/session/extend", json={"add_s": 300}).status_code == 200
    assert sent[-1][0].endswith("/cmd/session_extend")
    assert client.post("/api/devices/puck-1/session/end").status_code == 200
    assert sent[-1][0].endswith("/cmd/session_stop")
    store.add_event("puck-1", B, 1, "session", 1000, T0 + 1000, T0,
                    {"phase": "running", "session": sid, "limit_s": 180, "warn_s": 60, "remaining_s": 180, "cause": "cmd"})
    store.add_event("puck-1", B, 2, "hand", 2000, T0 + 2000, T0, {"action": "raise", "hand": 2, "waiting": 1})
    r = client.post("/api/hands", json={"room": "Room 1", "name": "Alex (remote)"})
    assert r.status_code == 201
    hands = client.get("/api/hands?room=Room 1").json()
    assert [h["position"] for h in hands] == [1, 2] and hands[1]["source"] == "host"
    assert client.post("/api/hands/%d/ack" % hands[0]["id"]).status_code == 200
    assert sent[-1][0].endswith("/cmd/hand_ack") and b'"hand":2' in sent[-1][1]
    n = len(sent)
    assert client.post("/api/hands/%d/ack" % hands[1]["id"]).status_code == 200
    assert len(sent) == n, "a remote participant has no puck to tell"
    # two voices, the second coming in as the first stops: the live view shows the balance so far
    store.add_event("puck-1", B, 3, "turn", 9000, T0 + 9000, T0,
                    {"start_ms": 3000, "end_ms": 9000, "voice": 1, "conf": 90, "level_db": -30})
    store.add_event("puck-1", B, 4, "turn", 11000, T0 + 11000, T0,
                    {"start_ms": 9000, "end_ms": 11000, "voice": 2, "conf": 80, "level_db": -31})
    live = client.get("/api/live").json()
    room = live["rooms"][0]
    assert room["room"] == "Room 1" and room["session"]["id"] == sid
    voices = room["session"]["voices"]
    assert voices["1"]["share"] == 0.75 and voices["2"]["share"] == 0.25
    assert voices["2"]["cut_ins"] == 1 and voices["1"]["cut_ins"] == 0 and voices["1"]["turns"] == 1
    assert [h["state"] for h in room["hands"]] == ["acked", "acked"]
    s = client.get("/api/sessions/" + sid).json()
    assert s["hand_raises"] == 2 and s["purpose"] == "Check-in"
    assert client.get("/api/commands").json()[0]["verb"] in ("session_stop", "hand_ack")
    r = client.put("/api/devices/puck-1/room", json={"room": "Big room"})
    assert r.status_code == 200 and r.json()["room"] == "Big room"
    assert client.post("/api/rooms/Room 1/hands/clear").json()["cleared"] == 0
    assert client.get("/").status_code == 200 and "live.js" in client.get("/").text

"""The live pages' push (issue 14): one in-process hub builds one snapshot per change and fans it out to
every open stream, filtered by room; slow clients are dropped and counted; the ingest path notifies it;
/api/live/stream carries a stored turn to a logged-in browser; /rooms shows every puck with its health;
the room's minimum break is pushed to its pucks; the ring is drawn by the firmware's renderer."""
import asyncio
import json
import threading
import time
import urllib.request

from fastapi.testclient import TestClient

from talkpuck.api import create_app
from talkpuck.commands import Commander, SessionControl
from talkpuck.hands import HandQueue
from talkpuck.live import LiveHub, mirror, snapshot
from talkpuck.service.settings import Settings
from talkpuck.store import Store
from webauth import BASE, logged_in, urllib_session

B = "0000abcd"
T0 = int(time.time() * 1000) - 60000


def _info(store, device, room, now=None):
    store.record_info(device, {"v": 1, "boot": B, "ms": 0, "fw": "1.2.3", "board": "b", "leds": 16, "room": room,
                               "caps": [], "prev_boot": None, "prev_seq": 0}, now or T0, (now or T0, 0))


def _fake_build(rooms_of_version):
    calls = []

    def build():
        calls.append(1)
        n = len(calls)
        return {"now_ms": n, "rooms": [{"room": r, "session": None, "hands": [], "devices": [], "n": n}
                                       for r in rooms_of_version]}
    return build, calls


def test_one_build_per_change_fanned_out_to_fifty_clients_by_room():
    build, calls = _fake_build(["Room 1", "Room 2"])
    hub = LiveHub(store=None, build=build)
    hub.min_interval_s = 0

    async def run():
        subs = []
        for i in range(50):
            who = {"name": "u%d" % i, "role": "host", "rooms": ["Room 1"] if i % 2 else ["Room 2"]}
            subs.append(await hub.subscribe(who))
        first = [s.queue.get_nowait() for s in subs]
        assert len(calls) == 1, "the first subscriber built it; the other 49 reused it"
        hub.notify("puck-1")
        await asyncio.sleep(0.3)
        second = [s.queue.get_nowait() for s in subs]
        assert len(calls) == 2, "one change, one build, whatever the number of clients"
        for i, (a, b) in enumerate(zip(first, second)):
            room = "Room 1" if i % 2 else "Room 2"
            assert [r["room"] for r in json.loads(b)["rooms"]] == [room]
            assert json.loads(a)["now_ms"] == 1 and json.loads(b)["now_ms"] == 2
        assert hub.sent == 100 and hub.dropped_clients == 0
        for s in subs:
            hub.unsubscribe(s)
    asyncio.run(run())


def test_pages_opening_together_share_one_build_and_do_not_block_the_loop():
    """Finding of bench/sse_bench.py: a lock held across the build's await froze the event loop when two
    pages opened at once; now they wait for the same build."""
    def slow():
        time.sleep(0.2)
        return {"now_ms": 1, "rooms": []}
    hub = LiveHub(store=None, build=slow)
    done = []

    async def run():
        subs = await asyncio.gather(*[hub.subscribe({"name": "a", "role": "admin", "rooms": []}) for _ in range(10)])
        done.append([s.queue.qsize() for s in subs])
        for s in subs:
            hub.unsubscribe(s)
    th = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    th.start()
    th.join(10)
    assert not th.is_alive(), "the event loop froze"
    assert done == [[1] * 10] and hub.builds == 1


def test_notify_from_another_thread_wakes_the_builder():
    build, calls = _fake_build(["Room 1"])
    hub = LiveHub(store=None, build=build)

    async def run():
        sub = await hub.subscribe({"name": "a", "role": "admin", "rooms": []})
        sub.queue.get_nowait()
        threading.Thread(target=hub.notify).start()
        text = await asyncio.wait_for(sub.queue.get(), 5)
        assert json.loads(text)["now_ms"] == 2
        hub.unsubscribe(sub)
    asyncio.run(run())


class _Counter:
    def __init__(self):
        self.counts = {}

    def incr(self, name, n=1):
        self.counts[name] = self.counts.get(name, 0) + n


def test_a_slow_client_is_dropped_and_counted_and_the_others_keep_going():
    build, calls = _fake_build(["Room 1"])
    store = _Counter()
    hub = LiveHub(store=store, build=build)
    hub.min_interval_s = 0
    hub.queue_max = 2

    async def run():
        admin = {"name": "a", "role": "admin", "rooms": []}
        slow = await hub.subscribe(admin)
        fast = await hub.subscribe(admin)
        got = [fast.queue.get_nowait()]
        for _ in range(4):
            hub.notify()
            await asyncio.sleep(0.05)
            while not fast.queue.empty():
                got.append(fast.queue.get_nowait())
        assert slow.dropped and hub.dropped_clients == 1 and store.counts == {"sse:dropped": 1}
        assert slow.queue.get_nowait() is None, "its stream is told to end"
        assert not fast.dropped and len(got) == 5 and hub.clients == 1
        hub.unsubscribe(fast)
    asyncio.run(run())


def test_identical_payloads_are_not_sent_twice():
    hub = LiveHub(store=None, build=lambda: {"now_ms": 1, "rooms": []})
    hub.min_interval_s = 0

    async def run():
        sub = await hub.subscribe({"name": "a", "role": "admin", "rooms": []})
        hub.notify()
        await asyncio.sleep(0.2)
        assert sub.queue.qsize() == 1 and hub.builds == 2
        hub.unsubscribe(sub)
    asyncio.run(run())


def test_ring_mirror_is_the_firmware_renderer():
    from puckcore.ring import Ring
    from puckcore.ringview import RingView
    v = mirror.view_from_state({"phase": "running", "limit_s": 1800, "remaining_s": 900, "hands": 0})
    frame = mirror.render(v, 16)
    # the same view through the firmware's Ring gives the same bytes
    ref = RingView()
    for k, val in vars(v).items():
        setattr(ref, k, val)
    out = bytearray(48)
    Ring(16).render(ref, 0, out)
    assert frame == bytes(out)
    lit = [i for i in range(16) if any(frame[3 * i:3 * i + 3])]
    assert 6 <= len(lit) <= 10, "half the time left: about half the ring"
    svg = mirror.ring_svg(frame)
    assert svg.count('class="led') == 16 and svg.count("led lit") == len(lit)
    idle = mirror.render(mirror.view_from_state(None), 16)
    assert sum(1 for i in range(16) if any(idle[3 * i:3 * i + 3])) == 1, "idle: one dim dot"


def test_health_problems():
    now = T0 + 10 * 60000
    base = {"online": True, "last_seen_ms": now, "tele": {}}
    assert snapshot.health(base, now) == []
    d = dict(base, online=False, last_seen_ms=now - 3 * 60000,
             tele={"outbox": 200, "dropped": 3, "rejected": 2, "mem_free": 9000, "mic_frames": 0, "uptime_s": 60})
    problems = snapshot.health(d, now)
    assert problems == ["offline for 3 min", "outbox over half full (200 of 360)", "3 events dropped",
                        "2 commands rejected", "low memory (8 KB free)", "no audio frames"]
    assert snapshot.health(dict(base, online=False, last_seen_ms=now - 60000), now) == [], "offline 1 min: not yet"


def _env(tmp_path):
    store = Store(data_dir=str(tmp_path))
    sent = []
    commander = Commander(store, lambda topic, payload: sent.append((topic, payload)))
    hq = HandQueue(store, commander)
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path)), store, commander, hq,
                     SessionControl(store, commander))
    return app, store, sent


def test_rooms_page_shows_every_puck_with_health_and_only_the_users_rooms(tmp_path):
    app, store, sent = _env(tmp_path)
    _info(store, "puck-1", "Room 1")
    _info(store, "puck-2", "Room 1")
    _info(store, "puck-3", "Room 2")
    store.record_status("puck-1", True, T0)
    store.record_tele("puck-2", {"v": 1, "boot": B, "ms": 5, "outbox": 300, "dropped": 4, "rejected": 1}, T0)
    store.record_state("puck-1", {"v": 1, "boot": B, "ms": 9, "phase": "running", "session": None, "limit_s": 600,
                                  "remaining_s": 300, "talking": False, "voice": 0, "hands": 2, "hand_ack": 0,
                                  "mic": "on"}, int(time.time() * 1000))
    admin = logged_in(app, store)
    page = admin.get("/rooms")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    rows = page.text.split('<tr class="puck')
    assert len(rows) == 4, "three pucks, two in one room, each its own row"
    one = [r for r in rows if 'data-device="puck-1"' in r][0]
    assert ">online<" in one and ">running<" in one and (">5:00<" in one or ">4:59<" in one)
    assert '<svg' in one and ">2<" in one and "1.2.3" in one
    two = [r for r in rows if 'data-device="puck-2"' in r][0]
    assert "outbox over half full (300 of 360); 4 events dropped; 1 command rejected" in two
    host = logged_in(app, store, "sam", "host", ["Room 2"])
    text = host.get("/rooms").text
    assert "puck-3" in text and "puck-1" not in text and "Room 1" not in text
    assert "<script" not in text.split("</main>")[0], "readable without JavaScript"


def test_min_break_is_pushed_to_the_rooms_pucks(tmp_path):
    app, store, sent = _env(tmp_path)
    _info(store, "puck-1", "Room 1")
    _info(store, "puck-2", "Room 1")
    _info(store, "puck-3", "Room 2")
    admin = logged_in(app, store)
    r = admin.put("/api/rooms/Room 1/min_break", json={"min_break_s": 720})
    assert r.status_code == 200 and len(r.json()["commands"]) == 2
    got = sorted((t.split("/")[2], json.loads(p)["min_break_s"]) for t, p in sent if t.endswith("/cmd/config"))
    assert got == [("puck-1", 720), ("puck-2", 720)]
    assert store.room_min_break_s("Room 1") == 720
    assert admin.put("/api/rooms/Room 1/min_break", json={"min_break_s": -1}).status_code == 422
    assert len(sent) == 2


def test_a_moved_puck_gets_its_new_rooms_min_break(tmp_path):
    app, store, sent = _env(tmp_path)
    _info(store, "puck-1", "Room 1")
    store.set_min_break("Room 2", 300)
    admin = logged_in(app, store)
    assert admin.put("/api/devices/puck-1/room", json={"room": "Room 2"}).status_code == 200
    got = [(t.split("/")[2], json.loads(p)["min_break_s"]) for t, p in sent if t.endswith("/cmd/config")]
    assert got == [("puck-1", 300)]
    assert admin.put("/api/devices/puck-1/room", json={"room": "Room 2"}).status_code == 200
    assert len(sent) == 1, "no move, nothing sent"
    assert admin.put("/api/devices/puck-1/room", json={"room": None}).status_code == 200
    assert json.loads(sent[-1][1])["min_break_s"] == store.default_min_break_s, "back in its reported Room 1"


def test_room_breaks_follow_the_first_info_after_online(tmp_path):
    """A new puck's `online` comes before its first info: it is sent the unassigned room's break, then its
    room's once the info names the room; a repeated info of the same room sends nothing more."""
    from talkpuck.commands.minbreak import RoomBreaks
    store = Store(data_dir=str(tmp_path))
    sent = []
    breaks = RoomBreaks(store, Commander(store, lambda topic, payload: sent.append((topic, payload))))
    store.set_min_break("Room 1", 450)
    store.record_status("puck-9", True, T0)
    breaks.online("puck-9")
    _info(store, "puck-9", "Room 1")
    breaks.room_may_have_changed("puck-9")
    breaks.room_may_have_changed("puck-9")
    assert [json.loads(p)["min_break_s"] for _, p in sent] == [store.default_min_break_s, 450]
    breaks.online("puck-9")            # every online is sent its room's value again (the puck may have rebooted)
    assert json.loads(sent[-1][1])["min_break_s"] == 450 and len(sent) == 3


def _stream_lines(opener, url, want, timeout=10.0):
    """Read the SSE stream until `want(data)` holds for one `live` event; returns that data."""
    resp = opener.open(url, timeout=timeout)
    deadline = time.monotonic() + timeout
    event = None
    try:
        while time.monotonic() < deadline:
            line = resp.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "live":
                data = json.loads(line[6:])
                if want(data):
                    return data
    finally:
        resp.close()
    raise AssertionError("no matching event")


def test_stream_pushes_a_stored_turn_and_the_puck_comes_online_with_its_min_break(host, puck, mosquitto):
    room = "Stream room %s" % puck.device
    host.store.set_min_break(room, 900)
    puck.example("info", room=room)
    puck.example("status_online")
    from conftest import wait_for
    assert wait_for(lambda: [p for t, p in puck.commands("config")])
    assert puck.commands("config")[0][1]["min_break_s"] == 900, "the room's minimum break, pushed when it came online"
    # a new puck whose online comes before its info (as a real puck sends them) ends on its room's break too
    from conftest import Puck
    late = Puck(mosquitto.url, puck.device + "-late")
    try:
        late.example("status_online")
        late.example("info", room=room)
        assert wait_for(lambda: [p for _t, p in late.commands("config") if p["min_break_s"] == 900])
    finally:
        late.close()
    puck.example("evt_session_running")
    puck.example("state")
    opener, _ = urllib_session(host.store, host.http_url)
    url = host.http_url + "api/live/stream"

    def sent_later():
        time.sleep(1.0)
        puck.event("turn", "7f3a9c2e", 10, 12000, start_ms=6000, end_ms=12000, voice=1, conf=90, level_db=-30)
    threading.Thread(target=sent_later).start()

    def has_turn(data):
        rooms = [r for r in data["rooms"] if r["room"] == room]
        return bool(rooms and rooms[0]["session"] and rooms[0]["session"]["voices"])
    data = _stream_lines(opener, url, has_turn)
    r = [r for r in data["rooms"] if r["room"] == room][0]
    assert list(r["session"]["voices"]) == ["1"] and r["min_break_s"] == 900
    assert "<svg" in r["devices"][0]["ring"]
    # anonymous: refused like every other route
    try:
        urllib.request.urlopen(url, timeout=5)
        raise AssertionError("an anonymous stream was served")
    except urllib.error.HTTPError as e:
        assert e.code == 401
    assert host.live_hub.builds >= 2


def test_stream_route_refuses_anonymous(tmp_path):
    app, store, sent = _env(tmp_path)
    anon = TestClient(app, base_url=BASE)
    assert anon.get("/api/live/stream").status_code == 401
    assert anon.get("/rooms", follow_redirects=False).status_code == 303


def test_pieces_of_one_turn_are_not_cut_ins_and_old_turns_still_count(tmp_path):
    """evt/turn.cont (protocol revision 2): stored on the turn; a continuing piece is no cut-in."""
    from talkpuck.analytics import voices_of
    from talkpuck.protocol import parse_message
    store = Store(data_dir=str(tmp_path))
    _info(store, "puck-1", "Room 1")
    store.add_event("puck-1", B, 1, "session", 100, T0 + 100, T0, {"phase": "running", "session": "s1", "limit_s": 600,
                                                                  "remaining_s": 600, "source": "host"})
    base = {"v": 1, "boot": B, "voice": 1, "conf": 90, "level_db": -30}
    turns = [dict(base, seq=2, ms=6000, start_ms=1000, end_ms=6000),
             dict(base, seq=3, ms=9000, start_ms=6000, end_ms=9000, voice=2, cont=True),   # same turn, new voice
             dict(base, seq=4, ms=12000, start_ms=9100, end_ms=12000, voice=1)]            # a cut-in (old style)
    for p in turns:
        msg = parse_message("talkpuck/v1/puck-1/evt/turn", json.dumps(p).encode())
        times = {"start_ms": T0 + p["start_ms"], "end_ms": T0 + p["end_ms"]}
        store.add_event("puck-1", B, p["seq"], "turn", p["ms"], T0 + p["ms"], T0, msg.payload, times)
    rows = store.session_turns(store.current_session("puck-1")["id"])
    assert [bool(r["cont"]) for r in rows] == [False, True, False]
    v = voices_of(rows)
    assert v[2]["cut_ins"] == 0 and v[1]["cut_ins"] == 1
    # without the field (a puck before revision 2) the piece counts as before
    assert voices_of([dict(r, cont=None) for r in rows])[2]["cut_ins"] == 1
    store.close()


def test_migration_m011_adds_turns_cont_to_an_old_database(tmp_path):
    from sqlalchemy import create_engine, inspect

    from talkpuck.store import migrations
    url = "sqlite:///%s" % (tmp_path / "old.db")
    engine = create_engine(url)
    # a database of the version before m011: every earlier migration applied, turns without `cont`
    before = migrations.MIGRATIONS[:migrations.MIGRATIONS.index(migrations.m011_live)]  # not later ones either
    saved = migrations.MIGRATIONS[:]
    try:
        migrations.MIGRATIONS[:] = before
        migrations.migrate(engine)
    finally:
        migrations.MIGRATIONS[:] = saved
    with engine.begin() as c:
        c.exec_driver_sql("ALTER TABLE turns DROP COLUMN cont")   # the table as that version made it
    assert "cont" not in {c["name"] for c in inspect(engine).get_columns("turns")}
    migrations.migrate(engine)
    assert "cont" in {c["name"] for c in inspect(engine).get_columns("turns")}
    assert migrations.current_version(engine) == migrations.number_of(migrations.MIGRATIONS[-1])


def test_follow_up_window_is_sent_shown_on_rooms_and_mirrored(tmp_path):
    app, store, sent = _env(tmp_path)
    _info(store, "puck-1", "Room 1")
    _info(store, "puck-2", "Room 2")
    admin = logged_in(app, store)
    r = admin.post("/api/devices/puck-1/follow_up", json={"seconds": 1800})
    assert r.status_code == 200
    assert [(t.split("/")[-1], json.loads(p)["seconds"]) for t, p in sent] == [("follow_up", 1800)]
    assert admin.post("/api/devices/puck-1/follow_up", json={"seconds": 90000}).status_code == 422
    assert admin.post("/api/devices/puck-9/follow_up", json={"seconds": 60}).status_code == 404
    host = logged_in(app, store, "sam", "host", ["Room 2"])
    assert host.post("/api/devices/puck-1/follow_up", json={"seconds": 60}).status_code == 404
    assert len(sent) == 1
    # the puck's state counts it down: the rooms page and the ring mirror show it
    store.record_state("puck-1", {"v": 1, "boot": B, "ms": 9, "phase": "break", "session": None, "limit_s": 0,
                                  "remaining_s": 0, "talking": False, "voice": 0, "hands": 0, "hand_ack": 0,
                                  "mic": "on", "follow_s": 600}, int(time.time() * 1000))
    row = [x for x in admin.get("/rooms").text.split("<tr") if 'data-device="puck-1"' in x][0]
    assert "follow-up window: 10 min left" in row
    v = mirror.view_from_state({"phase": "break", "follow_s": 600}, follow_total_s=1800)
    frame = mirror.render(v, 24)
    lit = [i for i in range(24) if sum(frame[3 * i:3 * i + 3]) > 60]
    assert lit == [0, 3, 6], "a third of the window left: a third of every third LED"
    assert app.state.live_hub.follow_total == {"puck-1": 1800}


def test_demo_past_sessions_are_the_same_every_run(tmp_path):
    from talkpuck.analytics import voices_of
    from talkpuck.sim import pastsessions
    store = Store(data_dir=str(tmp_path))
    rooms = [("puck-a1", "Family room"), ("puck-b1", "Team room")]
    now = int(time.time() * 1000)
    first = pastsessions.seed(store, rooms, now)
    counts = (len(store.sessions()), store.count("turns"), store.count("hands"))
    again = pastsessions.seed(store, rooms, now)
    assert first == again and (len(store.sessions()), store.count("turns"), store.count("hands")) == counts
    sessions = {s["id"]: s for s in store.sessions()}
    assert len(sessions) == 6 and all(now - 14 * 86400000 < s["started_ms"] < now for s in sessions.values())
    assert sum(1 for s in sessions.values() if "Family series" in (s["purpose"] or "")) == 3
    b2b = [s for s in sessions.values() if s["short_break"]]
    assert len(b2b) == 1 and b2b[0]["break_before_s"] < 600
    assert any(s["ended_ms"] - s["started_ms"] > s["limit_s"] * 1000 for s in sessions.values()), "one overran"
    turns = store.session_turns(first[0])
    assert len(turns) > 20 and sum(1 for r in turns if r["cont"]) == 1
    assert set(voices_of(turns)) == {1, 2, 3}
    # a real session of the same room is left alone
    _info(store, "puck-a1", "Family room")
    store.add_event("puck-a1", B, 1, "session", 100, T0 + 100, T0, {"phase": "running", "session": "real-1",
                                                                  "limit_s": 600, "remaining_s": 600, "source": "host"})
    pastsessions.seed(store, rooms, now)
    assert "real-1" in {s["id"] for s in store.sessions()}

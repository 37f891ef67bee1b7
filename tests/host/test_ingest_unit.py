"""Ingest without a broker: wall-clock anchors (wrap-safe, retained replays), log-once rejections, echoes ignored."""
import json
import logging

from sqlalchemy import select

from talkpuck.ingest import Ingest
from talkpuck.store import Store, tables

PERIOD = 1 << 30
BOOT = "0000c10c"


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def _info(ms):
    return json.dumps({"v": 1, "boot": BOOT, "ms": ms, "fw": "t", "board": "b", "leds": 16, "room": "R", "caps": [],
                       "prev_boot": None, "prev_seq": 0}).encode()


def _turn(seq, ms, start_ms):
    return json.dumps({"v": 1, "boot": BOOT, "seq": seq, "ms": ms, "start_ms": start_ms, "end_ms": ms, "voice": 1,
                       "conf": 100, "level_db": -30}).encode()


def test_wall_clock_across_the_puck_clock_wrap(tmp_path):
    store = Store(data_dir=str(tmp_path))
    clock = Clock(1_000_000_000_000)
    ing = Ingest(store, clock=clock)
    ing.handle("talkpuck/v1/puck-w/info", _info(PERIOD - 5000))          # 5 s before the wrap
    clock.t += 60_000                                                    # arrival time does not matter
    # a session runs (a turn outside one is only counted, docs/privacy.md)
    ing.handle("talkpuck/v1/puck-w/evt/session", json.dumps({
        "v": 1, "boot": BOOT, "seq": 2, "ms": PERIOD - 4000, "phase": "running", "session": "s-w", "limit_s": 600,
        "warn_s": 60, "remaining_s": 600, "cause": "cmd"}).encode())
    ing.handle("talkpuck/v1/puck-w/evt/turn", _turn(1, 3000, PERIOD - 2000))  # a turn across the wrap
    ev = store.events("puck-w")[0]
    assert ev["wall_ms"] == 1_000_000_000_000 + 8000
    with store.engine.connect() as c:
        turn = c.execute(select(tables.turns)).mappings().first()
    assert turn["start_ms"] == 1_000_000_000_000 + 3000 and turn["dur_ms"] == 5000


def test_retained_info_replay_keeps_the_anchor(tmp_path):
    store = Store(data_dir=str(tmp_path))
    clock = Clock(2_000_000_000_000)
    ing = Ingest(store, clock=clock)
    ing.handle("talkpuck/v1/puck-r/info", _info(1000))
    clock.t += 3_600_000                               # the host reconnects an hour later: retained replay
    ing.handle("talkpuck/v1/puck-r/info", _info(1000), retained=True)
    assert store.anchor("puck-r", BOOT) == (2_000_000_000_000, 1000)
    ing.handle("talkpuck/v1/puck-r/info", _info(500_000))   # a live info (the puck reconnected) refreshes it
    assert store.anchor("puck-r", BOOT) == (clock.t, 500_000)
    # a fresh host that only ever sees the retained snapshot still anchors on it
    store2 = Store(data_dir=str(tmp_path / "other"))
    Ingest(store2, clock=clock).handle("talkpuck/v1/puck-r/info", _info(1000), retained=True)
    assert store2.anchor("puck-r", BOOT) == (clock.t, 1000)


def test_rejections_logged_once_and_counted(tmp_path, caplog):
    store = Store(data_dir=str(tmp_path))
    ing = Ingest(store)
    with caplog.at_level(logging.WARNING, logger="talkpuck.ingest.ingest"):
        for _ in range(5):
            ing.handle("talkpuck/v1/puck-x/evt/turn", b"{not json")
        ing.handle("talkpuck/v1/puck-x/evt/turn", _turn(1, 10, 5))
    assert len([r for r in caplog.records if "not_json" in r.getMessage()]) == 1
    assert store.counters("rejected:") == {"not_json": 5}
    assert store.count("events") == 1


def test_own_commands_and_host_status_are_ignored(tmp_path):
    store = Store(data_dir=str(tmp_path))
    ing = Ingest(store)
    ing.handle("talkpuck/v1/puck-x/cmd/identify", b'{"id":"c","ts":1,"ttl_s":3}')
    ing.handle("talkpuck/v1/all/cmd/selfdestruct", b"{}")
    ing.handle("talkpuck/v1/host/status", b"online")
    assert store.counters() == {} and store.devices() == []


def test_remote_flag_is_kept_and_a_non_boolean_is_rejected_and_counted(tmp_path):
    """evt/turn.remote and evt/vad.voices (protocol revision 5) through ingest: kept with the turn;
    a non-boolean is refused as `schema`, counted, and the next message is stored as usual."""
    store = Store(data_dir=str(tmp_path))
    ing = Ingest(store, clock=Clock(3_000_000_000_000))
    ing.handle("talkpuck/v1/puck-f/info", _info(1000))
    ing.handle("talkpuck/v1/puck-f/evt/session", json.dumps({
        "v": 1, "boot": BOOT, "seq": 1, "ms": 1000, "phase": "running", "session": "s-f", "limit_s": 600,
        "warn_s": 60, "remaining_s": 600, "cause": "cmd"}).encode())
    good = json.loads(_turn(2, 9000, 2000))
    ing.handle("talkpuck/v1/puck-f/evt/turn", json.dumps(dict(good, remote=True)).encode())
    for bad in ("yes", 1, None, [True]):
        ing.handle("talkpuck/v1/puck-f/evt/turn", json.dumps(dict(good, seq=3, remote=bad)).encode())
    vad = {"v": 1, "boot": BOOT, "seq": 3, "ms": 61000, "from_ms": 1000, "to_ms": 61000, "speech_ms": 7000,
           "turns": 1, "level_db": -30, "noise_db": -60}
    ing.handle("talkpuck/v1/puck-f/evt/vad", json.dumps(dict(vad, voices=[{"voice": 1, "talk_ms": 7000,
                                                                          "remote": "true"}])).encode())
    assert store.counters("rejected:") == {"schema": 5}
    ing.handle("talkpuck/v1/puck-f/evt/vad", json.dumps(dict(vad, voices=[{"voice": 1, "talk_ms": 7000,
                                                                          "remote": True}])).encode())
    ing.handle("talkpuck/v1/puck-f/evt/turn", json.dumps(dict(good, seq=4, ms=12000, start_ms=10000,
                                                              end_ms=12000)).encode())   # an older puck's turn
    assert [t["remote"] for t in store.session_turns("s-f")] == [True, None]
    assert [e["payload"]["voices"][0]["remote"] for e in store.events("puck-f", kind="vad")] == [True]
    assert store.counters("rejected:") == {"schema": 5}

"""The store on SQLite and on PostgreSQL (when reachable): migrations, dedup, gaps, sessions, breaks, hands."""
import pytest

from talkpuck.analytics import session_summary, stats
from talkpuck.ingest.clock import ticks_diff, to_wall
from talkpuck.store import Store
from talkpuck.store.migrations import MIGRATIONS, current_version, number_of

T0 = 1_795_258_800_000
B = "0000abcd"


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def info(room="Room 1", boot=B, prev_boot=None, prev_seq=0):
    return {"v": 1, "boot": boot, "ms": 0, "fw": "t", "board": "b", "leds": 16, "room": room, "caps": [],
            "prev_boot": prev_boot, "prev_seq": prev_seq}


def session_evt(sid, phase, remaining_s=600, limit_s=600, cause="cmd"):
    return {"phase": phase, "session": sid, "limit_s": limit_s, "warn_s": 60, "remaining_s": remaining_s, "cause": cause}


def test_migrations_run_once(db_url):
    s = Store(db_url)
    assert s.version == number_of(MIGRATIONS[-1]) == current_version(s.engine)
    s.close()
    s = Store(db_url)                   # a second start finds the schema current and changes nothing
    assert current_version(s.engine) == number_of(MIGRATIONS[-1])
    s.close()


def test_dedup_and_gaps(store):
    store.record_info("puck-1", info(), T0, (T0, 0))
    for seq in (1, 2, 2, 5):
        store.add_event("puck-1", B, seq, "vad", seq, T0 + seq, T0, {"seq": seq})
    assert store.count("events") == 3
    assert store.counter("duplicates_dropped") == 1
    assert store.events_lost() == 2
    store.record_info("puck-1", info(boot="0000abce", prev_boot=B, prev_seq=7), T0 + 10, (T0 + 10, 0))
    assert store.events_lost() == 4      # 3, 4, 6, 7


def test_counters_and_rejections(store):
    store.incr("rejected:schema")
    store.incr("rejected:schema", 2)
    store.incr("rejected:not_json")
    assert stats(store)["rejected"] == {"schema": 3, "not_json": 1}


def test_session_turns_hands_and_breaks(store):
    store.record_info("puck-1", info(), T0, (T0, 0))
    store.record_info("puck-2", info(boot="0000beef"), T0, (T0, 0))
    store.set_min_break("Room 1", 300)
    store.request_session("s-1", "puck-1", 600, 60, "Family call", T0)
    store.add_event("puck-1", B, 1, "session", 1000, T0 + 1000, T0, session_evt("s-1", "running"))
    store.add_event("puck-1", B, 2, "turn", 5000, T0 + 5000, T0, {"start_ms": 1000, "end_ms": 5000, "voice": 1, "conf": 90},
                    {"start_ms": T0 + 1000, "end_ms": T0 + 5000})
    store.add_event("puck-1", B, 3, "turn", 8000, T0 + 8000, T0, {"start_ms": 6000, "end_ms": 8000, "voice": 2, "conf": 90},
                    {"start_ms": T0 + 6000, "end_ms": T0 + 8000})
    store.add_event("puck-1", B, 4, "hand", 9000, T0 + 9000, T0, {"action": "raise", "hand": 4, "waiting": 1})
    # a second puck in the same room raises too: one queue per room, in raise order
    store.add_event("puck-2", "0000beef", 1, "hand", 9500, T0 + 9500, T0, {"action": "raise", "hand": 1, "waiting": 1})
    rid = store.add_remote_hand("Room 1", "Sam (phone)", T0 + 9700)
    q = store.hands("Room 1")
    assert [(h["device"], h["name"]) for h in q] == [("puck-1", None), ("puck-2", None), (None, "Sam (phone)")]
    assert q[2]["id"] == rid and q[2]["session_id"] == "s-1"
    store.add_event("puck-1", B, 5, "hand", 9800, T0 + 9800, T0, {"action": "ack", "hand": 4, "waiting": 0})
    store.add_event("puck-1", B, 6, "session", 60000, T0 + 60000, T0, session_evt("s-1", "ended", remaining_s=0))
    s = session_summary(store, "s-1")
    assert s["turns"] == 2 and s["voices"][1]["talk_s"] == 4.0 and s["voices"][2]["talk_s"] == 2.0
    assert s["hand_raises"] == 2 and s["hands_acked"] == 1 and s["remote_hands"] == 1
    assert s["started_ms"] == T0 + 1000 and s["ended_ms"] == T0 + 60000 and s["phase"] == "ended"
    assert s["purpose"] == "Family call" and s["break_before_s"] is None and not s["short_break"]
    # a puck-started session 2 minutes later in the same room: break 120 s < 300 s -> flagged
    store.add_event("puck-2", "0000beef", 2, "session", 130000, T0 + 180000, T0,
                    session_evt("puck-2:0000beef:2", "running", cause="button"))
    s2 = store.session("puck-2:0000beef:2")
    assert s2["source"] == "puck" and s2["break_before_s"] == 120 and s2["short_break"]
    # after the minimum break: not flagged
    store.add_event("puck-2", "0000beef", 3, "session", 200000, T0 + 200000, T0, session_evt("puck-2:0000beef:2", "ended"))
    store.add_event("puck-2", "0000beef", 4, "session", 900000, T0 + 900000, T0, session_evt("puck-2:0000beef:4", "running"))
    s3 = store.session("puck-2:0000beef:4")
    assert s3["break_before_s"] == 700 and not s3["short_break"]


def test_room_override_wins(store):
    store.record_info("puck-1", info(room="Kitchen"), T0, (T0, 0))
    assert store.device("puck-1")["room"] == "Kitchen"
    store.set_room("puck-1", "Family room", T0)
    d = store.device("puck-1")
    assert d["room"] == "Family room" and d["room_reported"] == "Kitchen"


def test_commands_and_responses(store):
    store.record_command("h1-1", "puck-1", "identify", {"seconds": 5}, T0, 30)
    assert store.record_response("h1-1", False, "expired", T0 + 5)
    assert not store.record_response("nope", True, None, T0)
    c = store.command("h1-1")
    assert c["state"] == "error" and c["error"] == "expired" and c["args"] == {"seconds": 5}


def test_wall_clock_is_wrap_safe():
    period = 1 << 30
    anchor = (T0, period - 1000)          # info 1 s before the puck's clock wraps
    assert to_wall(anchor, 500) == T0 + 1500
    assert to_wall(anchor, period - 3000) == T0 - 2000
    assert ticks_diff(5, period - 5) == 10 and ticks_diff(period - 5, 5) == -10


def test_command_without_response_after_ttl(store):
    store.record_command("h1-2", "puck-1", "ring_test", {}, T0, 30)
    assert store.commands(now_ms=T0 + 10_000)[0]["state"] == "sent"
    assert store.commands(now_ms=T0 + 31_000)[0]["state"] == "no_response"


def test_hands_kept_by_a_rebooted_puck_are_matched_to_their_earlier_boot(store):
    store.record_info("puck-1", info(), T0, (T0, 0))
    for seq in (3, 5, 7):
        store.add_event("puck-1", B, seq, "hand", seq, T0 + seq, T0, {"action": "raise", "hand": seq, "waiting": 1})
    h3 = store.find_hand(device="puck-1", boot=B, hand=3)
    store.set_hand_state(h3["id"], "acked", T0 + 100)          # the host acks hand 3 as the puck reboots
    nb = "0000abce"
    store.record_info("puck-1", info(boot=nb, prev_boot=B, prev_seq=7), T0 + 200, (T0 + 200, 0))
    store.add_event("puck-1", nb, 1, "hand", 1, T0 + 300, T0, {"action": "ack", "hand": 3, "waiting": 2})
    store.add_event("puck-1", nb, 2, "hand", 2, T0 + 400, T0, {"action": "withdraw", "hand": 7, "waiting": 1})
    assert store.find_hand(device="puck-1", boot=B, hand=3)["puck_confirmed"]
    assert store.find_hand(device="puck-1", boot=B, hand=7)["state"] == "withdrawn"
    assert [h["hand"] for h in store.hands("Room 1")] == [5]
    store.add_event("puck-1", nb, 3, "hand", 3, T0 + 500, T0, {"action": "clear", "hand": 0, "waiting": 0})
    assert store.hands("Room 1") == []


def test_session_list_is_the_newest_by_start_time_not_by_id(store):
    store.record_info("puck-1", info(), T0, (T0, 0))
    for i in range(200):        # host ids ("s-...") sort after puck ids ("puck-1:...") by text
        store.request_session("s-%03d" % i, "puck-1", 60, 10, None, T0 + i)
    store.add_event("puck-1", B, 1, "session", 1, T0 + 10_000, T0, session_evt("puck-1:%s:1" % B, "running", cause="button"))
    rows = store.sessions(limit=200)
    assert len(rows) == 200 and rows[0]["id"] == "puck-1:%s:1" % B and rows[-1]["id"] == "s-001"

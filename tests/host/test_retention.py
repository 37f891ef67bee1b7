"""Deletion and retention (store/retention.py): a session, a room, a remote participant's name, the
retention period; every table of the schema is covered, counted row by row; deleted is not lost."""
import json

import pytest
from sqlalchemy import Column, Integer, String, Table, create_engine, func, select, text

from talkpuck.errors import ConfigError, NotFound
from talkpuck.store import Store, retention
from talkpuck.store import tables as t
from conftest import first_schema

T0 = 1_795_258_800_000
DAY = 86400 * 1000
B1, B2 = "0000aaaa", "0000bbbb"


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def _info(room, boot):
    return {"v": 1, "boot": boot, "ms": 0, "fw": "t", "board": "b", "leds": 16, "room": room, "caps": [],
            "prev_boot": None, "prev_seq": 0}


def _sess(sid, phase, cause="cmd"):
    return {"phase": phase, "session": sid, "limit_s": 600, "warn_s": 60, "remaining_s": 600, "cause": cause}


def _turn(store, dev, boot, seq, at):
    store.add_event(dev, boot, seq, "turn", at - T0, at, at,
                    {"start_ms": at - T0 - 2000, "end_ms": at - T0, "voice": 1, "conf": 90, "level_db": -30},
                    {"start_ms": at - 2000, "end_ms": at})


def populate(store, t0=T0):
    """Two rooms, one session each, every kind of row: events, turns, puck and remote hands, commands
    (one with purpose text), plus rows of no session. Returns the two session ids."""
    store.record_info("puck-a", _info("Room A", B1), t0, (t0, 0))
    store.record_info("puck-b", _info("Room B", B2), t0, (t0, 0))
    store.set_min_break("Room A", 300)
    store.incr("rejected:schema")
    for dev, boot, room, sid in (("puck-a", B1, "Room A", "s-a"), ("puck-b", B2, "Room B", "s-b")):
        store.request_session(sid, dev, 600, 60, "Purpose of " + sid, t0)
        store.record_command("c-" + sid, dev, "session_start", {"session": sid, "limit_s": 600}, t0, 30)
        store.record_command("t-" + sid, dev, "time", {"now_ms": t0}, t0, 30)          # before: no session
        store.add_event(dev, boot, 1, "session", 1000, t0 + 1000, t0 + 1000, _sess(sid, "running"))
        _turn(store, dev, boot, 2, t0 + 5000)
        store.add_event(dev, boot, 3, "hand", 6000, t0 + 6000, t0 + 6000, {"action": "raise", "hand": 3, "waiting": 1})
        store.add_remote_hand(room, "Sam " + room, t0 + 6500)
        store.record_command("k-" + sid, dev, "hand_ack", {"hand": 3}, t0 + 7000, 30)
        store.add_event(dev, boot, 4, "hand", 7000, t0 + 7000, t0 + 7000, {"action": "ack", "hand": 3, "waiting": 0})
        store.add_event(dev, boot, 5, "vad", 8000, t0 + 8000, t0 + 8000,
                        {"from_ms": 0, "to_ms": 8000, "speech_ms": 4000, "turns": 1, "level_db": -30, "noise_db": -60})
        store.add_event(dev, boot, 6, "session", 9000, t0 + 9000, t0 + 9000, _sess(sid, "ended"))
        store.add_event(dev, boot, 7, "mic", 10000, t0 + 10000, t0 + 10000, {"mic": "paused"})   # no session
        store.record_state(dev, {"phase": "ended", "session": sid}, t0 + 10000)
        # the review's rows (store/review.py): the practitioner's voice, a private note, a series
        store.set_practitioner_voice(sid, 1, "host-" + room, t0 + 11000)
        store.set_note(sid, "host-" + room, "How it felt after the call", t0 + 11000)
        store.set_in_series(store.add_series("Series " + room, room, "host-" + room, t0 + 11000), sid, True)
    return "s-a", "s-b"


def counts(store):
    return {name: store.count(name) for name in t.metadata.tables}


def belonging(store, sid):
    """Rows per table that belong to session `sid`, by the table's rule."""
    out = {}
    with store.engine.connect() as c:
        for name, tbl in t.metadata.tables.items():
            rule = retention.rule_for(name)
            if rule.session is not None:
                out[name] = int(c.execute(select(func.count()).select_from(tbl)
                                          .where(tbl.c[rule.session] == sid)).scalar())
    return out


def test_every_table_has_a_rule_and_a_new_table_without_one_fails():
    for name in t.metadata.tables:
        rule = retention.rule_for(name)   # ConfigError for a table nobody thought about
        assert rule.keep or rule.session or rule.room or rule.time
    notes = Table("notes_test_only", t.metadata, Column("id", Integer, primary_key=True),
                  Column("session_id", String(100)))
    try:
        with pytest.raises(ConfigError, match="notes_test_only has no retention rule"):
            retention._tables()
        retention.register(retention.Rule("notes_test_only", session="session_id"))
        assert any(tbl.name == "notes_test_only" for tbl, _ in retention._tables())
    finally:
        t.metadata.remove(notes)
        retention.RULES.pop("notes_test_only", None)


def test_deleting_a_session_deletes_every_row_of_it_in_every_table(store):
    sa, sb = populate(store)
    before = counts(store)
    mine, other = belonging(store, sa), belonging(store, sb)
    # the fixture puts rows of the session in every table that has session rows (a new table: extend it)
    assert all(n > 0 for n in mine.values()), mine
    lost_before = store.events_lost()
    deleted = store.delete_session(sa)
    after = counts(store)
    for name in t.metadata.tables:
        rule = retention.rule_for(name)
        if rule.session is not None:
            assert after[name] == before[name] - mine[name], name
            assert deleted.get(name, 0) == mine[name], name
        else:
            assert after[name] == before[name], name      # kept tables lose nothing
    assert all(n == 0 for n in belonging(store, sa).values())
    assert belonging(store, sb) == other                     # the other session is untouched
    assert store.session(sa) is None and store.session(sb) is not None
    # the purpose text, the remote name and the payloads are gone with it
    with store.engine.connect() as c:
        blob = json.dumps([list(map(str, r)) for tbl in t.metadata.sorted_tables for r in c.execute(select(tbl))])
    assert "Purpose of s-a" not in blob and "Sam Room A" not in blob and '"s-a"' not in blob
    assert "Purpose of s-b" in blob and "Sam Room B" in blob
    # deleted on purpose is not lost
    assert store.events_lost() == lost_before == 0
    with pytest.raises(NotFound):
        store.delete_session(sa)


def test_a_running_session_is_refused_unless_forced(store):
    store.record_info("puck-a", _info("Room A", B1), T0, (T0, 0))
    store.add_event("puck-a", B1, 1, "session", 1000, T0 + 1000, T0, _sess("s-live", "running"))
    with pytest.raises(ConfigError, match="running"):
        store.delete_session("s-live")
    assert store.delete_session("s-live", force=True)["sessions"] == 1


def test_deleting_a_room_keeps_the_other_room(store):
    populate(store)
    other = belonging(store, "s-b")
    store.delete_room("Room A")
    assert store.sessions("Room A") == [] and belonging(store, "s-b") == other
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(t.hands).where(t.hands.c.room == "Room A")).scalar() == 0
        for tbl in (t.events, t.commands, t.turns):
            assert c.execute(select(func.count()).select_from(tbl).where(tbl.c.device == "puck-a")).scalar() == 0
            assert c.execute(select(func.count()).select_from(tbl).where(tbl.c.device == "puck-b")).scalar() > 0
    assert store.device("puck-a") is not None and store.events_lost() == 0


def test_forgetting_a_remote_participant_keeps_the_hand_without_the_name(store):
    populate(store)
    assert store.remote_names() == {"Sam Room A": 1, "Sam Room B": 1}
    assert store.forget_name("Sam Room A", room="Room B") == 0
    assert store.forget_name("Sam Room A") == 1
    assert store.remote_names() == {"Sam Room B": 1}
    assert len(store.session_hands("s-a")) == 2       # the raise itself still counts


def test_retention_deletes_old_sessions_and_old_rows_of_no_session(store):
    populate(store, T0)
    store.record_info("puck-c", _info("Room C", "0000cccc"), T0 + 40 * DAY, (T0 + 40 * DAY, 0))
    store.add_event("puck-c", "0000cccc", 1, "session", 1, T0 + 40 * DAY, T0 + 40 * DAY, _sess("s-new", "running"))
    deleted = store.prune(30, T0 + 41 * DAY)
    assert deleted["sessions"] == 2 and store.sessions() and [s["id"] for s in store.sessions()] == ["s-new"]
    assert store.count("events") == 1 and store.count("commands") == 0 and store.count("hands") == 0
    assert store.count("turns") == 0 and store.events_lost() == 0
    assert store.prune(30, T0 + 41 * DAY) == {}      # nothing left to delete: nothing more goes


def test_turns_outside_a_session_are_counted_not_kept(store):
    store.record_info("puck-a", _info("Room A", B1), T0, (T0, 0))
    _turn(store, "puck-a", B1, 1, T0 + 5000)
    assert store.count("turns") == 0 and store.counter("turns_outside_session") == 1
    ev = store.events(kind="turn")[0]
    assert ev["payload"] == {} and ev["session_id"] is None
    _turn(store, "puck-a", B1, 1, T0 + 5000)             # a duplicate is still a duplicate
    assert store.counter("duplicates_dropped") == 1 and store.counter("turns_outside_session") == 1
    store.add_event("puck-a", B1, 2, "session", 6000, T0 + 6000, T0, _sess("s-1", "running"))
    _turn(store, "puck-a", B1, 3, T0 + 9000)
    assert store.count("turns") == 1 and store.session_turns("s-1")[0]["voice"] == 1


def test_migration_003_links_old_rows_to_their_sessions_and_drops_stored_purpose(tmp_path):
    url = "sqlite:///" + str(tmp_path / "old.db")
    eng = create_engine(url)
    with eng.begin() as c:      # the schema as m001 shipped it: no session_id, no deleted counts
        first_schema(c, T0)
        c.execute(text("INSERT INTO sessions (id, device, room, source, phase, started_ms, ended_ms, extended_s, short_break)"
                       " VALUES ('s-1', 'puck-a', 'Room A', 'host', 'ended', %d, %d, 0, 0)" % (T0, T0 + 60000)))
        c.execute(text("INSERT INTO boots (device, boot) VALUES ('puck-a', '%s')" % B1))
        for seq, kind, at, payload in ((1, "session", T0, {"session": "s-1", "phase": "running"}),
                                       (2, "vad", T0 + 5000, {}), (3, "vad", T0 + 90000, {})):
            c.execute(text("INSERT INTO events (device, boot, seq, kind, dev_ms, wall_ms, received_ms, payload)"
                           " VALUES ('puck-a', :b, :s, :k, 0, :w, :w, :p)"),
                      {"b": B1, "s": seq, "k": kind, "w": at, "p": json.dumps(payload)})
        c.execute(text("INSERT INTO commands (id, device, verb, args, ts_ms, ttl_s, state) VALUES "
                       "('c1', 'puck-a', 'session_start', :a, %d, 30, 'ok')" % T0),
                  {"a": json.dumps({"session": "s-1", "limit_s": 60, "purpose": "Private matter"})})
    eng.dispose()
    store = Store(url)
    assert [e["session_id"] for e in store.events()] == ["s-1", "s-1", None]
    assert store.command("c1")["args"] == {"session": "s-1", "limit_s": 60}
    store.delete_session("s-1")
    assert store.count("events") == 1 and store.count("commands") == 0 and store.events_lost() == 0
    store.close()


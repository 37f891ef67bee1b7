"""The numbered migrations on both databases: a store made by the first schema (m001 only, as it
shipped, with rows in it) is brought to the newest version by Store(); its rows survive and are
linked (m003); the unique (device, boot, seq) key that makes ingest idempotent holds afterwards."""
import json

from sqlalchemy import create_engine, text

from talkpuck.store import Store
from talkpuck.store import tables as t
from talkpuck.store.engine import make_engine
from conftest import first_schema
from talkpuck.store.migrations import MIGRATIONS, current_version, number_of

T0 = 1_700_000_000_000
B1 = "0000aaaa"


def _first_schema_with_rows(url):
    eng = make_engine(url)
    with eng.begin() as c:      # the schema as m001 shipped it: no session_id, no deleted counts
        first_schema(c, T0)
        c.execute(text("INSERT INTO devices (id, online, first_seen_ms, last_seen_ms) VALUES ('puck-a', false, :t, :t)"),
                  {"t": T0})
        c.execute(text("INSERT INTO sessions (id, device, room, source, phase, started_ms, ended_ms, extended_s, short_break)"
                       " VALUES ('s-1', 'puck-a', 'Room A', 'host', 'ended', :a, :b, 0, false)"), {"a": T0, "b": T0 + 60000})
        c.execute(text("INSERT INTO boots (device, boot) VALUES ('puck-a', :b)"), {"b": B1})
        for seq, kind, at, payload in ((1, "session", T0, {"session": "s-1", "phase": "running"}),
                                       (2, "vad", T0 + 5000, {}), (3, "vad", T0 + 90000, {})):
            c.execute(text("INSERT INTO events (device, boot, seq, kind, dev_ms, wall_ms, received_ms, payload)"
                           " VALUES ('puck-a', :b, :s, :k, 0, :w, :w, :p)"),
                      {"b": B1, "s": seq, "k": kind, "w": at, "p": json.dumps(payload)})
        c.execute(text("INSERT INTO commands (id, device, verb, args, ts_ms, ttl_s, state) VALUES "
                       "('c1', 'puck-a', 'session_start', :a, :t, 30, 'ok')"),
                  {"a": json.dumps({"session": "s-1", "limit_s": 60, "purpose": "Private matter"}), "t": T0})
    assert current_version(eng) == 1
    eng.dispose()


def test_upgrade_from_the_first_schema_with_rows_to_the_newest(db_url):
    _first_schema_with_rows(db_url)
    store = Store(db_url)
    assert store.version == number_of(MIGRATIONS[-1]) == current_version(store.engine)
    assert [e["session_id"] for e in store.events()] == ["s-1", "s-1", None]
    assert store.command("c1")["args"] == {"session": "s-1", "limit_s": 60}
    assert store.device("puck-a") is not None
    # the key ingest's insert-or-ignore relies on survived the upgrade
    assert store.add_events([("puck-a", B1, 3, "vad", 0, T0, T0, {}, None),
                             ("puck-a", B1, 4, "vad", 0, T0, T0, {}, None)]) == [False, True]
    assert store.counter("duplicates_dropped") == 1 and store.events_lost() == 0
    store.close()
    store = Store(db_url)                 # a second start changes nothing
    assert store.count("events") == 4
    store.close()


def test_every_migration_step_applies_on_both_databases(db_url):
    """Each version in turn, from an empty database: no migration needs a later one."""
    eng = make_engine(db_url)
    t.schema_version.create(eng, checkfirst=True)
    for fn in MIGRATIONS:
        with eng.begin() as c:
            fn(c)
            c.execute(t.schema_version.insert().values(version=number_of(fn), applied_ms=T0))
        assert current_version(eng) == number_of(fn)
    eng.dispose()
    store = Store(db_url)
    assert store.version == number_of(MIGRATIONS[-1])
    store.close()


def test_postgresql_is_really_tested(pg_url):
    """The PostgreSQL half of these tests runs: a server is reachable or started (tests/host/pgserver.py)."""
    eng = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.connect() as c:
        assert c.execute(text("SELECT 1")).scalar() == 1
    eng.dispose()


def test_a_server_of_our_own_when_none_is_reachable():
    """What a machine without a running PostgreSQL gets: initdb (as `nobody` when root) in a temp dir,
    a free port, database `test`; the store migrates on it; stop() removes it."""
    import os

    import pgserver
    url, own = pgserver.server(own=True)
    try:
        assert own is not None and ":%d/" % own.port in url
        store = Store(url)
        assert store.version == number_of(MIGRATIONS[-1])
        store.close()
    finally:
        own.stop()
    assert not os.path.exists(own.dir)


def test_m012_adds_turns_remote_and_keeps_old_turns_unknown(db_url):
    """evt/turn.remote (protocol revision 5): a database of the version before m012 (its turns
    without `remote`) gets the column; a turn stored before stays unknown (NULL), a new turn keeps
    the puck's flag, and a turn without the field (an older puck) is unknown, not 'in the room'."""
    from talkpuck.store import migrations
    eng = make_engine(db_url)
    t.schema_version.create(eng, checkfirst=True)
    for fn in MIGRATIONS:
        if fn is migrations.m012_remote:
            break
        with eng.begin() as c:
            fn(c)
            c.execute(t.schema_version.insert().values(version=number_of(fn), applied_ms=T0))
    with eng.begin() as c:
        c.execute(text("ALTER TABLE turns DROP COLUMN remote"))   # the table as m011 left it
        c.execute(text("INSERT INTO turns (device, boot, seq, session_id, voice, conf, start_ms, end_ms, dur_ms,"
                       " level_db, cont) VALUES ('puck-a', :b, 1, 's-1', 1, 90, :a, :e, 3000, -30, false)"),
                  {"b": B1, "a": T0, "e": T0 + 3000})
    assert current_version(eng) == 11
    eng.dispose()
    store = Store(db_url)
    assert store.version == number_of(MIGRATIONS[-1]) >= 12
    store.add_event("puck-a", B1, 2, "session", 0, T0, T0, {"phase": "running", "session": "s-1", "limit_s": 600,
                                                             "remaining_s": 600})
    base = {"v": 1, "boot": B1, "voice": 2, "conf": 90, "level_db": -30, "start_ms": 4000, "end_ms": 6000}
    for seq, extra in ((3, {"remote": True}), (4, {"remote": False}), (5, {})):
        p = dict(base, seq=seq, ms=6000 + seq, **extra)
        times = {"start_ms": T0 + 1000 * seq, "end_ms": T0 + 1000 * seq + 500}
        store.add_event("puck-a", B1, seq, "turn", p["ms"], T0 + p["ms"], T0, p, times)
    rows = store.session_turns("s-1")
    assert [(r["seq"], r["remote"]) for r in rows] == [(1, None), (3, True), (4, False), (5, None)]
    store.close()


def test_m013_indexes_sessions_by_device_and_the_batched_lookup_agrees(db_url):
    """The running session of many pucks in one query (store/events.py, one per batch) names the same
    session as the one-puck query, on both databases, with the m013 index in place."""
    from sqlalchemy import inspect

    store = Store(db_url)
    assert "ix_sessions_device_phase" in {ix["name"] for ix in inspect(store.engine).get_indexes("sessions")}
    with store.engine.begin() as c:
        for sid, device, phase, started in (("a-old", "puck-a", "running", T0), ("a-new", "puck-a", "warning", T0 + 5),
                                            ("a-done", "puck-a", "ended", T0 + 9), ("b-1", "puck-b", "ended", T0)):
            c.execute(t.sessions.insert().values(id=sid, device=device, room="R", source="puck", phase=phase,
                                                 started_ms=started, extended_s=0, short_break=False))
    with store.engine.connect() as c:
        many = store._current_sessions(c, {"puck-a", "puck-b", "puck-c"})
        assert many == {d: store._current_session(c, d) for d in ("puck-a", "puck-b", "puck-c")}
        assert many == {"puck-a": "a-new", "puck-b": None, "puck-c": None}
    store.close()

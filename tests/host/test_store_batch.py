"""Store.add_events: a batch in one transaction, the same rows as one add_event per event would give,
on SQLite and PostgreSQL (the multi-row and the unnest paths)."""
import pytest

from talkpuck.store import Store

T0 = 1_700_000_000_000
B = "0000abcd"


def _turn(seq, conf=90, level_db=-30):
    return {"v": 1, "boot": B, "seq": seq, "ms": seq * 1000, "start_ms": seq * 1000 - 500, "end_ms": seq * 1000,
            "voice": 1 + seq % 3, "conf": conf, "level_db": level_db}


def _sess(sid, phase):
    return {"v": 1, "phase": phase, "session": sid, "limit_s": 600, "warn_s": 60, "remaining_s": 600, "cause": "cmd"}


def _items():
    out = [("p1", B, 1, "turn", 1000, T0 + 1000, T0, _turn(1), None)]              # outside any session
    out.append(("p1", B, 2, "session", 2000, T0 + 2000, T0, _sess("s-1", "running"), None))
    for seq in range(3, 9):
        out.append(("p1", B, seq, "turn", seq * 1000, T0 + seq * 1000, T0,
                    _turn(seq, conf=None if seq == 4 else 90, level_db=None if seq == 5 else -30), None))
    out.append(("p1", B, 5, "turn", 5000, T0 + 5000, T0, _turn(5), None))           # a duplicate inside the batch
    out.append(("p2", B, 1, "vad", 1000, T0 + 1000, T0, {"v": 1}, None))
    return out


def _snapshot(store):
    ev = [(e["device"], e["seq"], e["kind"], e["session_id"], e["payload"]) for e in store.events()]
    with store.engine.connect() as c:
        from sqlalchemy import select

        from talkpuck.store import tables as t
        turns = sorted(tuple(r[1:]) for r in c.execute(select(t.turns)).all())
    return ev, turns, store.counter("duplicates_dropped"), store.counter("turns_outside_session")


def test_a_batch_stores_what_one_by_one_stores(db_url, tmp_path):
    batch = Store(db_url)
    assert batch.add_events(_items()) == [True] * 8 + [False, True]
    one = Store("sqlite:///" + str(tmp_path / "one.db"))
    for it in _items():
        one.add_event(*it)
    got, want = _snapshot(batch), _snapshot(one)
    assert got == want
    assert got[2] == 1 and got[3] == 1 and len(got[1]) == 6          # 6 turns in s-1, one outside
    # the whole batch again: nothing new, every one a duplicate
    assert batch.add_events(_items()) == [False] * 10
    assert batch.counter("duplicates_dropped") == 1 + 10 and batch.count("events") == 9
    batch.close()
    one.close()


def test_a_failing_batch_writes_nothing(db_url):
    store = Store(db_url)
    bad = _items()[:3] + [("p1", B, 9, "turn", 0, T0, T0, {"v": 1}, None)]          # a turn without its fields
    with pytest.raises(KeyError):
        store.add_events(bad)
    assert store.count("events") == 0 and store.count("turns") == 0 and store.count("sessions") == 0
    store.close()

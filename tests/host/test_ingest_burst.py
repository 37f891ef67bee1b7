"""Ingest.handle_batch with status/info/state/tele grouped in one transaction (Store.record_many): a mixed
batch leaves the store, the counters, the anchors, on_online and on_stored exactly as one by one
handling does, on SQLite and PostgreSQL; a store that fails mid-group loses and acks nothing unstored."""
import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from talkpuck.errors import StoreUnavailable
from talkpuck.ingest import Ingest
from talkpuck.store import Store
from talkpuck.store import tables as t

T0 = 1_800_000_000_000


class Clock:
    """One time for the whole test: handle_batch stamps a run of events with one reading where handle()
    reads the clock per event (as before the groups), so readings per call would differ for that alone."""

    def __init__(self):
        self.t = T0

    def __call__(self):
        return self.t


def _collapsed(calls):
    """on_stored runs of one device as one: a run of events notifies once per device (as before the groups)."""
    out = []
    for c in calls:
        if not out or c != out[-1] or c[0] != "stored":
            out.append(c)
    return out


def _doc(boot, ms, **fields):
    return json.dumps(dict({"v": 1, "boot": boot, "ms": ms}, **fields)).encode()


def _info(boot, ms, room, prev_boot=None, prev_seq=0):
    return _doc(boot, ms, fw="1.0", board="b", leds=16, room=room, caps=["turns"], prev_boot=prev_boot,
                prev_seq=prev_seq)


def _state(boot, ms, phase="idle", hands=0):
    return _doc(boot, ms, phase=phase, session=None, limit_s=0, remaining_s=0, talking=False, voice=0, hands=hands,
                hand_ack=0, mic="on")


def _tele(boot, ms, rssi=-60):
    return _doc(boot, ms, uptime_s=ms // 1000, mem_free=80000, mem_alloc=40000, outbox=0, dropped=0,
                outbox_dropped=0, detector_dropped=0, resp_dropped=0, rejected=0, mqtt_discards=0, mic_short_reads=0,
                storage_errors=0, link_error=None, rssi=rssi)


def _evt(kind, boot, seq, ms, **fields):
    return json.dumps(dict({"v": 1, "boot": boot, "seq": seq, "ms": ms}, **fields)).encode()


def _turn(boot, seq, ms):
    return _evt("turn", boot, seq, ms, start_ms=ms - 400, end_ms=ms, voice=1, conf=90, level_db=-30)


def _items():
    """Three pucks' connection bursts, interleaved, with events, a response, rejections and a reboot."""
    out = []
    for d in ("p-a", "p-b", "p-c"):
        r = "talkpuck/v1/%s/" % d
        out += [(r + "status", b"online", True), (r + "info", _info("b0" + d[-1] * 6, 5000, "Room " + d), True),
                (r + "state", _state("b0" + d[-1] * 6, 5001), True)]
    a, b, c = "talkpuck/v1/p-a/", "talkpuck/v1/p-b/", "talkpuck/v1/p-c/"
    ba, bb = "b0aaaaaa", "b0bbbbbb"
    out += [
        (a + "tele", _tele(ba, 6000), False),
        (a + "info", _info(ba, 6100, "Room moved"), False),          # a live info: a fresh anchor, a new room
        (a + "info", _info(ba, 6100, "Room moved"), True),           # its retained replay: the anchor stays
        (b + "evt/session", _evt("session", bb, 1, 6200, phase="running", session="s-b", limit_s=600, warn_s=60,
                                 remaining_s=600, cause="cmd"), False),
        (b + "evt/turn", _turn(bb, 2, 6300), False),
        (b + "state", _state(bb, 6301, phase="running", hands=1), True),
        (b + "tele", _tele(bb, 6400, rssi=-70), False),
        (b + "info", _info("b1bbbbbb", 200, "Room p-b"), False),    # a new boot's first info, live ...
        (b + "info", _info("b1bbbbbb", 150, "Room p-b"), True),     # ... then a retained one in the same group
        (b + "resp", _doc(bb, 6500, id="h-unknown", verb="time", ok=True, error=None), False),
        (c + "state", b"{not json", True),                            # rejected: not_json
        (c + "tele", _tele("b0cccccc", 7000), False),
        (a + "evt/turn", _turn(ba, 1, 7100), False),
        (c + "status", b"offline", True),
        (c + "status", b"online", False),
        (c + "info", _info("b1cccccc", 100, "Room p-c", prev_boot="b0cccccc", prev_seq=3), True),   # a reboot
        (c + "info", _info("b2cccccc", 100, "Room p-c", prev_boot="b1cccccc", prev_seq=10 ** 6), False),  # refused part
        (c + "state", _state("b2cccccc", 101), True),
        ("talkpuck/v1/bad id/state", _state("b0000000", 1), True),     # rejected: bad_device_id
        (a + "tele", _tele(ba, 9000, rssi=-50), False),
    ]
    return out


class Wired:
    """An Ingest wired as `talkpuck serve` wires it, noting what on_online and on_stored saw."""

    def __init__(self, url):
        self.store = Store(url)
        self.calls = []

        def on_online(device):
            # what the host's on_online reads (push_min_break: the device's room) and writes (a command)
            room = self.store.room_of(device)
            self.calls.append(("online", device, room))
            self.store.record_command("c-%d" % sum(c[0] == "online" for c in self.calls), device, "time", {}, T0, 30)

        self.ingest = Ingest(self.store, on_online=on_online, clock=Clock(),
                             on_stored=lambda d: self.calls.append(("stored", d)))

    def snapshot(self):
        with self.store.engine.connect() as c:
            def rows(table):
                return sorted(tuple(r) for r in c.execute(select(table)).all())
            tables = {name: rows(getattr(t, name)) for name in ("devices", "boots", "events", "turns", "sessions",
                                                                 "commands", "counters")}
        return tables, _collapsed(self.calls), self.ingest.received, dict(self.ingest._anchors), self.ingest.not_stored


def _one_by_one(tmp_path):
    ref = Wired("sqlite:///" + str(tmp_path / "one.db"))
    for item in _items():
        ref.ingest.handle(*item)
    return ref


@pytest.mark.parametrize("size", [1000, 4])
def test_a_mixed_batch_stores_what_one_by_one_stores(db_url, tmp_path, size):
    ref = _one_by_one(tmp_path)
    got = Wired(db_url)
    items = _items()
    for i in range(0, len(items), size):
        got.ingest.handle_batch(items[i:i + size])
    want = ref.snapshot()
    assert got.snapshot() == want
    assert [c for c in want[1] if c[0] == "online"] == [
        ("online", "p-a", "unassigned"), ("online", "p-b", "unassigned"), ("online", "p-c", "unassigned"),
        ("online", "p-c", "Room p-c")]                        # each saw the store as it was at its status
    counters = got.store.counters()
    assert (counters["rejected:not_json"], counters["rejected:prev_seq"], counters["rejected:bad_device_id"]) == (1, 1, 1)
    got.store.close()
    ref.store.close()


def test_groups_take_fewer_transactions(tmp_path):
    from sqlalchemy import event

    counts = []
    for batch in (False, True):
        w = Wired("sqlite:///" + str(tmp_path / ("b%d.db" % batch)))
        n = [0]
        event.listen(w.store.engine, "commit", lambda conn, n=n: n.__setitem__(0, n[0] + 1))
        if batch:
            w.ingest.handle_batch(_items())
        else:
            for item in _items():
                w.ingest.handle(*item)
        counts.append(n[0])
        w.store.close()
    assert counts[1] < counts[0] - 5


def _fail_once_in(store, method, after):
    """Make store.<method> raise an outage on its `after`-th call (inside record_many's transaction)."""
    real = getattr(store, method)
    calls = [0]

    def failing(*a, **k):
        calls[0] += 1
        if calls[0] == after:
            raise OperationalError("UPDATE devices", {}, Exception("disk I/O error"))
        return real(*a, **k)

    setattr(store, method, failing)
    return calls


@pytest.mark.parametrize("method,after", [("_state", 2), ("_tele", 1), ("_info", 4)])
def test_a_store_failure_mid_group_loses_nothing_and_acks_nothing_unstored(db_url, tmp_path, method, after):
    ref = _one_by_one(tmp_path)
    got = Wired(db_url)
    _fail_once_in(got.store, method, after)
    pending, acked, failures = _items(), [], 0
    while pending:                                  # as MqttLink does: ack what is done, hand the rest again
        try:
            got.ingest.handle_batch(pending)
            done = len(pending)
        except StoreUnavailable as e:
            failures += 1
            done = e.done
            # nothing of the failed group was written: the store is as the acked messages left it
            assert got.snapshot()[0] == _state_after(tmp_path, acked + pending[:done])
        acked += pending[:done]
        pending = pending[done:]
    assert failures == 1
    tables, calls, received, anchors, not_stored = got.snapshot()
    want = ref.snapshot()
    assert tables == want[0] and anchors == want[3]
    assert not_stored == 1
    # the failed group's messages were handed twice: counted twice in `received`, their on_stored once
    assert [c for c in calls if c[0] == "online"] == [c for c in want[1] if c[0] == "online"]
    assert [c for c in calls if c[0] == "stored"] == [c for c in want[1] if c[0] == "stored"]
    got.store.close()
    ref.store.close()


def _state_after(tmp_path, items):
    """The store's tables after one by one handling of `items` (a fresh SQLite file)."""
    path = tmp_path / "partial.db"
    if path.exists():
        path.unlink()
    w = Wired("sqlite:///" + str(path))
    for item in items:
        w.ingest.handle(*item)
    out = w.snapshot()[0]
    w.store.close()
    return out


def test_a_bug_in_a_group_falls_back_to_one_by_one(tmp_path, caplog):
    ref = _one_by_one(tmp_path)
    got = Wired("sqlite:///" + str(tmp_path / "got.db"))

    def broken(items):
        raise ValueError("a bug")

    got.store.record_many = broken
    got.ingest.handle_batch(_items())
    assert got.snapshot() == ref.snapshot()
    assert "storing them one by one" in caplog.text
    got.store.close()
    ref.store.close()

"""Issue 12, device->host findings: each hostile message that once hurt the host is refused and
counted, and nothing else is lost. The real Ingest into a real SQLite store (and the real API app
for /api/devices); no broker needed, the MQTT link only hands (topic, payload, retained) over."""
import json
import logging
import os

import pytest

from talkpuck.api import create_app
from talkpuck.ingest import ingest as ingest_mod
from talkpuck.ingest.ingest import Ingest
from talkpuck.protocol import parse_message
from talkpuck.protocol.errors import MessageRejected
from talkpuck.service.settings import Settings
from talkpuck.store import Store

from conftest import EXAMPLES
from webauth import logged_in

DEV = "puck-h1"
BOOT = "0000abcd"


def _example(name):
    with open(os.path.join(EXAMPLES, name + ".json")) as f:
        return json.load(f)["payload"]


def _topic(kind, device=DEV):
    return "talkpuck/v1/%s/%s" % (device, kind)


def _info(**changes):
    p = {"v": 1, "boot": BOOT, "ms": 0, "fw": "t", "board": "b", "leds": 16, "room": "r", "caps": [],
         "prev_boot": None, "prev_seq": 0}
    p.update(changes)
    return p


def _turn(seq, **changes):
    p = {"v": 1, "boot": BOOT, "seq": seq, "ms": 5000 + seq, "start_ms": 1000, "end_ms": 4000, "voice": 1,
         "conf": 80, "level_db": -30}
    p.update(changes)
    return p


def _dumps(p):
    return json.dumps(p).encode()


@pytest.fixture
def env(tmp_path):
    store = Store(data_dir=str(tmp_path))
    ing = Ingest(store)
    yield ing, store, tmp_path
    store.close()


def _rejected(store):
    return {k[len("rejected:"):]: v for k, v in store.counters().items() if k.startswith("rejected:")}


def _api(tmp_path, store):
    """A client logged in to the API (every route needs a login)."""
    return logged_in(create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path)), store), store)


@pytest.mark.parametrize("kind,extra", [("state", "NaN"), ("tele", "Infinity"), ("state", "-Infinity")])
def test_nan_or_infinity_in_an_extra_field_never_breaks_api_devices(env, kind, extra):
    ing, store, tmp = env
    ing.handle(_topic("info"), _dumps(_info()))
    doc = dict(_example(kind), boot=BOOT)
    # an extra field with a finite value, NaN inside a known field: both refused too
    ing.handle(_topic(kind), _dumps(dict(doc, extra_field=1)))
    ing.handle(_topic(kind), _dumps(doc).replace(b'"ms": ', b'"ms": NaN, "y": '))
    raw = _dumps(doc)[:-1] + (', "x": %s}' % extra).encode()
    ing.handle(_topic(kind), raw, retained=kind == "state")
    assert _api(tmp, store).get("/api/devices").status_code == 200
    assert _rejected(store) == {"not_json": 2, "schema": 1}
    assert store.device(DEV)[kind] is None
    store.close()
    again = Store(data_dir=str(tmp))          # "still after a restart": nothing bad was stored
    try:
        assert _api(tmp, again).get("/api/devices").status_code == 200
    finally:
        again.close()


@pytest.mark.parametrize("seq", ["1e300", "1.0", "2147483648", "0", "-1", "true", "1" + "0" * 5000])
def test_seq_that_is_not_an_int_below_2_31_is_refused(env, seq):
    ing, store, _ = env
    ing.handle(_topic("info"), _dumps(_info()))
    raw = _dumps(_turn(7)).replace(b'"seq": 7', b'"seq": ' + seq.encode())
    ing.handle(_topic("evt/turn"), raw)
    ing.handle(_topic("evt/turn"), _dumps(_turn(1)))
    assert store.count("events") == 1
    assert [e["seq"] for e in store.events(DEV)] == [1]
    assert store.events_lost() == 0
    assert sum(_rejected(store).values()) == 1


def test_largest_seq_is_stored_as_an_integer(env):
    ing, store, _ = env
    ing.handle(_topic("evt/turn"), _dumps(_turn(2 ** 31 - 1, ms=5000)))
    (e,) = store.events(DEV)
    assert e["seq"] == 2 ** 31 - 1 and type(e["seq"]) is int
    assert len(str(store.events_lost())) <= 10


def test_prev_seq_cannot_fake_a_billion_lost_events(env):
    ing, store, _ = env
    ing.handle(_topic("info"), _dumps(_info()))
    for seq in (1, 2, 3):
        ing.handle(_topic("evt/turn"), _dumps(_turn(seq)))
    ing.handle(_topic("info"), _dumps(_info(boot="0000abce", prev_boot=BOOT, prev_seq=10 ** 9)))
    assert store.events_lost() == 0
    assert _rejected(store) == {"prev_seq": 1}
    assert store.device(DEV)["boot"] == "0000abce"    # the rest of info is kept
    # an honest claim (the last two events never arrived) still counts
    ing.handle(_topic("info"), _dumps(_info(boot="0000abcf", prev_boot=BOOT, prev_seq=5)))
    assert store.events_lost() == 2
    # and the schema bounds prev_seq like a seq
    ing.handle(_topic("info"), _dumps(_info(prev_seq=2 ** 31)))
    assert _rejected(store) == {"prev_seq": 1, "schema": 1}


@pytest.mark.parametrize("field", ["boot", "prev_boot"])
def test_boot_id_with_a_trailing_newline_is_refused(env, field):
    ing, store, _ = env
    ing.handle(_topic("info"), _dumps(_info(**{field: BOOT + "\n"})))
    ing.handle(_topic("evt/turn"), _dumps(_turn(1, boot=BOOT + "\n")))
    assert _rejected(store) == {"schema": 2}
    assert store.count("events") == 0 and store.count("boots") == 0


def test_device_id_with_a_trailing_newline_is_refused(env):
    ing, store, _ = env
    ing.handle(_topic("info", DEV + "\n"), _dumps(_info()))
    assert _rejected(store) == {"bad_device_id": 1}
    assert store.count("devices") == 0


@pytest.mark.parametrize("field,value", [("fw", "x" * 1300000), ("board", "b" * 65), ("caps", ["c" * 1000]),
                                         ("caps", ["c"] * 33), ("room", "r" * 65)])
def test_long_fw_board_caps_are_refused(env, field, value):
    ing, store, tmp = env
    ing.handle(_topic("info"), _dumps(_info(**{field: value})))
    assert store.count("devices") == 0
    assert sum(_rejected(store).values()) == 1
    ing.handle(_topic("info"), _dumps(_info()))
    r = _api(tmp, store).get("/api/devices")
    assert r.status_code == 200 and len(r.content) < 4096


def test_a_1_3_mb_payload_is_refused_as_too_large_before_parsing(env):
    ing, store, _ = env
    ing.handle(_topic("info"), _dumps(_info(fw="x" * 1300000)))
    assert _rejected(store) == {"too_large": 1}


@pytest.mark.parametrize("kind", ["evt/turn", "evt/session", "evt/hand"])
def test_retained_event_is_refused_and_counted(env, kind):
    ing, store, _ = env
    name = {"evt/turn": "evt_turn", "evt/session": "evt_session_running", "evt/hand": "evt_hand_raise"}[kind]
    ing.handle(_topic(kind), _dumps(_example(name)), retained=True)
    assert store.count("events") == 0
    assert _rejected(store) == {"retained_event": 1}
    ing.handle(_topic(kind), _dumps(_example(name)), retained=False)
    assert store.count("events") == 1


def test_deep_nesting_is_bad_json_not_internal_and_logs_no_traceback(env, caplog):
    ing, store, _ = env
    deep = b'{"v": 1, "x": ' + b"[" * 1500 + b"]" * 1500 + b"}"   # under MAX_PAYLOAD, past Python's recursion limit
    shallow_but_deeper_than_allowed = b'{"v": 1, "x": [[[[1]]]]}'
    with caplog.at_level(logging.WARNING, logger=ingest_mod.__name__):
        for _ in range(3):
            ing.handle(_topic("tele"), deep)
        ing.handle(_topic("tele"), shallow_but_deeper_than_allowed)
    assert _rejected(store) == {"not_json": 4}
    assert not any(r.exc_info for r in caplog.records)
    assert len(caplog.records) == 1                     # once per (device, reason)
    # a bracket inside a string is not nesting
    ok = dict(_example("tele"), link_error="[[[[[[[[{{{{{{")
    ing.handle(_topic("tele"), _dumps(ok))
    assert store.device(DEV)["tele"]["link_error"] == ok["link_error"]


def test_rejection_logging_is_bounded_in_memory_and_line_length(env, caplog):
    ing, store, _ = env
    long_topic = "talkpuck/v1/" + "x" * 20000 + "%d/info"
    with caplog.at_level(logging.WARNING, logger=ingest_mod.__name__):
        for i in range(3000):
            ing.handle(long_topic % i, b"{}")          # a new, invalid device segment each time
        for i in range(ingest_mod.LOGGED_MAX + 50):
            ing.handle(_topic("info", "puck-%d" % i), b"not json")   # valid ids, each logged once
    assert store.counters()["rejected:bad_device_id"] == 3000
    assert store.counters()["rejected:not_json"] == ingest_mod.LOGGED_MAX + 50
    assert len(ing._logged) <= ingest_mod.LOGGED_MAX
    assert ing.log_keys_dropped == 51                   # ("(invalid)", bad_device_id) + 50 puck ids
    assert all(sum(len(str(k)) for k in key) < 100 for key in ing._logged)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 + ingest_mod.LOGGED_MAX + 50
    assert max(len(x) for x in lines) <= ingest_mod.LOG_MAX + 30


def test_error_texts_are_short_whatever_the_message_held():
    with pytest.raises(MessageRejected) as e:
        parse_message("talkpuck/v1/" + "A" * 70000 + "/info", b"{}")
    assert len(str(e.value)) < 400
    with pytest.raises(MessageRejected) as e:
        parse_message(_topic("resp"), _dumps({"v": 1, "boot": BOOT, "ms": 0, "id": "x" * 3000, "verb": "time",
                                              "ok": True, "error": None}))
    assert len(str(e.value)) < 400 and e.value.reason == "schema"


def test_every_golden_example_still_passes():
    import glob
    for path in sorted(glob.glob(os.path.join(EXAMPLES, "*.json"))):
        with open(path) as f:
            ex = json.load(f)
        if "/cmd/" in ex["topic"]:
            continue
        p = ex["payload"]
        parse_message(ex["topic"], p.encode() if isinstance(p, str) else _dumps(p), ex.get("retained", False))

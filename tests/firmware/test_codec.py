"""The firmware codec against the golden protocol examples (docs/protocol/examples, docs/protocol/bad)."""
import json
import os

from puckcore import codec
from puckcore.errors import ProtocolError

EXAMPLES = "docs/protocol/examples"
BAD = "docs/protocol/bad"


def _load(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(folder + "/" + name) as f:
                out.append((name, json.load(f)))
    return out


def test_examples_exist():
    names = [n for n, _ in _load(EXAMPLES)]
    assert len(names) >= 20
    for must in ("info.json", "state.json", "evt_turn.json", "cmd_session_start.json", "resp_ok.json"):
        assert must in names


def test_events_round_trip():
    n = 0
    for name, ex in _load(EXAMPLES):
        topic = ex["topic"]
        if "/evt/" not in topic:
            continue
        p = ex["payload"]
        kind = topic.split("/evt/")[1]
        assert kind in codec.EVENT_KINDS, name
        fields = {}
        for k in p:
            if k not in ("v", "boot", "seq", "ms"):
                fields[k] = p[k]
        again = json.loads(codec.encode_event(p["boot"], p["seq"], p["ms"], fields))
        assert again == p, name
        n += 1
    assert n >= 6


def test_docs_round_trip():
    for name, ex in _load(EXAMPLES):
        topic = ex["topic"]
        tail = topic.split("/")[-1]
        if tail not in ("info", "state", "tele", "resp"):
            continue
        p = ex["payload"]
        fields = {}
        for k in p:
            if k not in ("v", "boot", "ms"):
                fields[k] = p[k]
        assert json.loads(codec.encode_doc(p["boot"], p["ms"], fields)) == p, name
        assert ex["qos"] == (0 if tail == "tele" else 1)


def test_commands_decode():
    n = 0
    for name, ex in _load(EXAMPLES):
        if "/cmd/" not in ex["topic"]:
            continue
        verb, args = codec.decode_command(ex["topic"], json.dumps(ex["payload"]).encode(), "puck-a1")
        assert ex["topic"].endswith("/cmd/" + verb), name
        assert args == ex["payload"]
        n += 1
    assert n >= 10


def test_bad_commands_rejected_with_a_reason():
    n = 0
    for name, ex in _load(BAD):
        if "/cmd/" not in ex["topic"]:
            continue
        try:
            codec.decode_command(ex["topic"], json.dumps(ex["payload"]), "puck-a1")
        except ProtocolError as e:
            assert ex["topic"].split("/cmd/")[0] in str(e) or "cmd" in str(e), str(e)
            n += 1
        else:
            assert False, name + " was accepted"
    assert n >= 3


def test_malformed_payloads():
    t = "talkpuck/v1/puck-a1/cmd/identify"
    for payload in (b"{not json", b"[1,2]", b"\xff\xfe", b'{"id": 5, "ts": 1, "ttl_s": 30}', b'{"id": "a", "ts": 1, "ttl_s": 0}'):
        try:
            codec.decode_command(t, payload, "puck-a1")
        except ProtocolError as e:
            assert t in str(e)
        else:
            assert False, payload
    try:
        codec.decode_command("talkpuck/v1/puck-b2/cmd/identify", b"{}", "puck-a1")
        assert False
    except ProtocolError as e:
        assert "not a command topic" in str(e)
    bad_field = b'{"id": "a", "ts": 1, "ttl_s": 30, "limit_s": "ten"}'
    try:
        codec.decode_command("talkpuck/v1/puck-a1/cmd/session_start", bad_field, "puck-a1")
        assert False
    except ProtocolError as e:
        assert "limit_s" in str(e)


def test_expiry_and_device_ids():
    args = {"ts": 1795258800000, "ttl_s": 30}
    assert not codec.expired(args, None, 5)
    # host time 1795258810000 was learnt at puck tick 1000: 10 s old at tick 1000, 30 s at tick 21000
    sync = (1795258810000, 1000)
    assert not codec.expired(args, sync, 1000)
    assert not codec.expired(args, sync, 21000)
    assert codec.expired(args, sync, 21001)
    assert codec.valid_device_id("puck-a1")
    assert not codec.valid_device_id("Puck A!")
    assert not codec.valid_device_id("")

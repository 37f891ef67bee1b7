"""The firmware codec against the golden protocol examples (docs/protocol/examples, docs/protocol/bad)."""
import json
import os

from puckcore import codec, protocol
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


def _refused(verb, fields, name, text=None):
    """decode_command refuses `fields` for `verb`, naming the field (and saying `text`)."""
    topic = "talkpuck/v1/puck-a1/cmd/" + verb
    doc = {"id": "c-1", "ts": 1, "ttl_s": 30}
    for k in fields:
        doc[k] = fields[k]
    try:
        codec.decode_command(topic, json.dumps(doc), "puck-a1")
    except ProtocolError as e:
        assert topic in str(e) and ("'%s'" % name) in str(e), str(e)
        if text is not None:
            assert text in str(e), str(e)
        return
    assert False, "%s %r was accepted" % (verb, fields)


def test_ranges_are_checked_naming_the_field():
    # moved from the controller's tests: the codec checks ranges, the handlers no longer do
    _refused("session_start", {"limit_s": 0}, "limit_s", "must be 1..86400")
    _refused("session_start", {"limit_s": 86401}, "limit_s", "must be 1..86400")
    _refused("session_start", {"limit_s": 60, "warn_s": -1}, "warn_s", "must be 0..86400")
    _refused("session_start", {"limit_s": 60, "session": ""}, "session", "1..100 characters")
    _refused("session_extend", {"add_s": 0}, "add_s", "must be 1..86400")
    _refused("identify", {"seconds": 0}, "seconds", "must be 1..600")
    _refused("identify", {"seconds": 601}, "seconds", "must be 1..600")
    _refused("hand_ack", {"hand": 0}, "hand", "at least 1")
    _refused("hand_lower", {"hand": True}, "hand", "an integer")
    _refused("time", {"now_ms": -5}, "now_ms", "at least 0")
    _refused("identify", {"ts": -1}, "ts")
    _refused("identify", {"ttl_s": 86401}, "ttl_s")
    _refused("identify", {"id": "x" * 65}, "id")


def test_config_fields_follow_the_settings_spec():
    from puckcore.settings import SPEC
    _refused("config", {"brightness": 300}, "brightness", "must be 0..255")
    _refused("config", {"leds": 4}, "leds", "must be 8..64")
    _refused("config", {"night": 1}, "night", "true or false")
    _refused("config", {"room": "r" * 65}, "room", "at most 64 characters")
    _refused("config", {"max_hands": "9"}, "max_hands", "an integer")
    for key in SPEC:  # every setting's default passes the codec
        verb, args = codec.decode_command("talkpuck/v1/puck-a1/cmd/config",
                                          json.dumps({"id": "c", "ts": 1, "ttl_s": 5, key: SPEC[key][0]}), "puck-a1")
        assert args[key] == SPEC[key][0]


def test_reserved_ids_are_not_device_ids():
    for name in ("all", "host"):
        assert not codec.valid_device_id(name)
    assert codec.valid_device_id("hosts") and codec.valid_device_id("all-1")
    assert not codec.valid_device_id("a" * 33) and codec.valid_device_id("a" * 32)
    assert not codec.valid_device_id(None)


def test_a_purpose_sent_by_an_old_host_is_ignored():
    # the purpose stays on the host (docs/privacy.md): the table has no such field any more, so a
    # puck neither checks nor uses one (protocol §1: a puck ignores fields its table does not list)
    assert "purpose" not in [f[0] for f in protocol.COMMANDS["session_start"]]
    doc = {"id": "c-1", "ts": 1, "ttl_s": 30, "limit_s": 60, "purpose": "x" * 500}
    verb, args = codec.decode_command("talkpuck/v1/puck-a1/cmd/session_start", json.dumps(doc), "puck-a1")
    assert verb == "session_start" and args["limit_s"] == 60

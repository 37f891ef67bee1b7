"""Drift: the JSON schemas (the host's validation), the docs and the examples against the one table,
`puckcore.protocol`. Any difference fails here, naming the schema and the field."""
import glob
import json
import os
import re

import pytest

from puckcore import codec, protocol
from puckcore.errors import ProtocolError as FirmwareProtocolError
from puckcore.settings import SPEC
from talkpuck.errors import ProtocolError
from talkpuck.protocol import parse_message
from talkpuck.protocol.schemas import SCHEMA_DIR, ecma_regex, schema_names
from talkpuck.protocol.topics import DEVICE_RE, check_device_id

from conftest import BAD, EXAMPLES, ROOT

DOC = os.path.join(ROOT, "docs", "protocol.md")
_JSON_TYPES = {"int": "integer", "str": "string", "bool": "boolean"}


def _schema(name):
    with open(os.path.join(SCHEMA_DIR, name + ".json")) as f:
        return json.load(f)


def _expected_property(field):
    """The JSON-schema property a table row (name, kind, required, low, high) stands for."""
    _, kind, _, low, high = field
    prop = {"type": _JSON_TYPES[kind]}
    if kind == "int":
        if low is not None:
            prop["minimum"] = low
        if high is not None:
            prop["maximum"] = high
    elif kind == "str":
        if low:
            prop["minLength"] = low
        if high is not None:
            prop["maxLength"] = high
    return prop


def _bounds(prop):
    keys = ("type", "minimum", "maximum", "minLength", "maxLength")
    return {k: prop[k] for k in keys if k in prop}


@pytest.mark.parametrize("verb", protocol.VERBS)
def test_command_schema_matches_the_table(verb):
    schema = _schema("cmd_" + verb)
    fields = protocol.ENVELOPE + protocol.COMMANDS[verb]
    props = schema["properties"]
    assert sorted(props) == sorted(f[0] for f in fields), "cmd_%s.json fields" % verb
    assert sorted(schema["required"]) == sorted(f[0] for f in fields if f[2]), "cmd_%s.json required" % verb
    for f in fields:
        assert _bounds(props[f[0]]) == _expected_property(f), "cmd_%s.json field %s" % (verb, f[0])


def test_every_command_schema_is_a_verb_and_the_table_is_one_list():
    cmds = sorted(n[4:] for n in schema_names() if n.startswith("cmd_"))
    assert cmds == sorted(protocol.VERBS)
    assert sorted(protocol.COMMANDS) == sorted(protocol.VERBS)


def test_config_schema_is_the_settings_spec():
    props = _schema("cmd_config")["properties"]
    assert sorted(k for k in props if k not in ("id", "ts", "ttl_s")) == sorted(SPEC)
    for key, (_default, kind, low, high) in SPEC.items():
        p = props[key]
        if kind == "int":
            assert (p["type"], p["minimum"], p["maximum"]) == ("integer", low, high), key
        elif kind == "bool":
            assert p == {"type": "boolean"}, key
        else:
            assert (p["type"], p.get("minLength", 0), p["maxLength"]) == ("string", low, high), key


def test_event_and_document_schemas_match_the_kinds():
    names = set(schema_names())
    assert {n[4:] for n in names if n.startswith("evt_")} == set(protocol.EVENT_KINDS)
    others = {n for n in names if not n.startswith(("evt_", "cmd_"))}
    assert others == set(protocol.PLAIN_KINDS)
    for kind in protocol.EVENT_KINDS:  # the head codec.encode_event writes
        s = _schema("evt_" + kind)
        assert set(protocol.EVENT_HEAD) <= set(s["required"]), kind
        assert s["properties"]["v"]["const"] == protocol.PROTOCOL_VERSION
    for kind in ("info", "state", "tele", "resp"):  # the head codec.encode_doc writes
        s = _schema(kind)
        assert set(protocol.DOC_HEAD) <= set(s["required"]), kind
        assert s["properties"]["v"]["const"] == protocol.PROTOCOL_VERSION


def test_phase_enums_are_the_session_phases():
    for name in ("state", "evt_session"):
        assert _schema(name)["properties"]["phase"]["enum"] == list(protocol.PHASES), name


def test_info_schema_knows_the_protocol_revision():
    assert "proto_rev" in _schema("info")["properties"]
    with open(os.path.join(EXAMPLES, "info.json")) as f:
        assert json.load(f)["payload"]["proto_rev"] == protocol.PROTOCOL_REVISION


@pytest.mark.parametrize("device", ["puck-a1", "a", "a" * 32, "a" * 33, "", "Puck", "puck_a", "p\u00e9",
                                    "all", "host", "hosts", "all-2", "-", "0",
                                    "puck-a1\n", "puck-a1\r\n", "\npuck"])
def test_device_id_rule_is_one_rule(device):
    ok = protocol.valid_device_id(device)
    assert ok == (bool(DEVICE_RE.match(device)) and device not in protocol.RESERVED), device
    assert DEVICE_RE.pattern == ecma_regex(protocol.DEVICE_PATTERN).pattern  # the table's rule, `$` as ECMA's end
    assert codec.valid_device_id(device) == ok
    if ok:
        assert check_device_id(device) == device
    else:
        with pytest.raises(ProtocolError):
            check_device_id(device)


def _raw(payload):
    return payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()


def _firmware_reads(topic, raw):
    """What the firmware side accepts: a command through codec.decode_command (addressed to the
    topic's puck); any other message by the table's topic rules, JSON, `v` and the payload head.
    Event fields past the head are written, never read, by the firmware: only the schemas check them."""
    parts = topic.split("/")
    device = parts[2] if len(parts) > 2 else ""
    if "/cmd/" in topic:
        codec.decode_command(topic, raw, "puck-a1" if device == protocol.GROUP else device)
        return
    if "/".join(parts[:2]) != protocol.ROOT or len(parts) < 4:
        raise FirmwareProtocolError("%s: not under %s" % (topic, protocol.ROOT))
    kind, rest = parts[3], parts[4:]
    if device in protocol.RESERVED:
        if (device, kind) not in protocol.RESERVED_USES:
            raise FirmwareProtocolError("%s: reserved id" % topic)
    elif not protocol.valid_device_id(device):
        raise FirmwareProtocolError("%s: bad device id" % topic)
    if kind == "evt":
        if len(rest) != 1 or rest[0] not in protocol.EVENT_KINDS:
            raise FirmwareProtocolError("%s: unknown event kind" % topic)
        head = protocol.EVENT_HEAD
    elif kind in protocol.PLAIN_KINDS and not rest:
        if kind == "status":
            if raw not in (b"online", b"offline"):
                raise FirmwareProtocolError("%s: status text" % topic)
            return
        head = protocol.DOC_HEAD
    else:
        raise FirmwareProtocolError("%s: unknown kind" % topic)
    try:
        doc = json.loads(raw)
    except ValueError:
        raise FirmwareProtocolError("%s: not JSON" % topic)
    if doc.get("v") != protocol.PROTOCOL_VERSION:
        raise FirmwareProtocolError("%s: version" % topic)
    for key in head:
        if key not in doc:
            raise FirmwareProtocolError("%s: missing %s" % (topic, key))


# a field's value, an extra field, a bound, NaN: the host's schemas (and its JSON reading) alone judge these
SCHEMA_ONLY_BAD = {"evt_hand_bad_action.json", "evt_turn_extra_field.json", "evt_turn_seq_float.json",
                   "evt_turn_seq_too_big.json", "info_boot_newline.json", "info_fw_too_long.json", "state_nan.json",
                   "evt_turn_remote_not_bool.json", "evt_vad_voice_remote_int.json", "evt_vad_voice_extra_field.json",
                   "evt_vad_too_many_voices.json"}


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(EXAMPLES, "*.json"))), ids=os.path.basename)
def test_golden_example_is_read_by_both_sides(path):
    with open(path) as f:
        ex = json.load(f)
    raw = _raw(ex["payload"])
    parse_message(ex["topic"], raw)
    _firmware_reads(ex["topic"], raw)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(BAD, "*.json"))), ids=os.path.basename)
def test_bad_example_is_refused_by_both_sides(path):
    with open(path) as f:
        ex = json.load(f)
    raw = _raw(ex["payload"])
    with pytest.raises(ProtocolError):
        parse_message(ex["topic"], raw)
    if os.path.basename(path) in SCHEMA_ONLY_BAD:
        _firmware_reads(ex["topic"], raw)  # passes the firmware's rules: listed here on purpose
        return
    with pytest.raises(FirmwareProtocolError):
        _firmware_reads(ex["topic"], raw)


def _doc():
    with open(DOC, encoding="utf-8") as f:
        return f.read()


def test_protocol_doc_lists_every_verb_setting_and_kind():
    text = _doc()
    verbs = re.search(r"### 6\.2 Verbs\n(.*?)\n### ", text, re.S).group(1)
    for verb in protocol.VERBS:
        assert "| `%s` |" % verb in verbs, "docs/protocol.md §6.2 misses verb %s" % verb
    config = [line for line in verbs.splitlines() if line.startswith("| `config` |")][0]
    for key in SPEC:
        assert "`%s`" % key in config, "docs/protocol.md §6.2 config misses setting %s" % key
    for kind in protocol.EVENT_KINDS:
        assert "`evt/%s`" % kind in text, kind
    for phase in protocol.PHASES:
        assert "`%s`" % phase in text, phase
    assert "proto_rev" in text


def test_protocol_doc_states_the_ingest_limits():
    """§1 names the limits the host enforces: the numbers in the text are the code's."""
    from talkpuck.ingest.ingest import PREV_SEQ_SLACK
    from talkpuck.protocol.message import MAX_DEPTH, MAX_PAYLOAD
    text = _doc()
    assert "larger than %d bytes" % MAX_PAYLOAD in text
    assert "nesting deeper than %d" % MAX_DEPTH in text
    assert "more than %d beyond" % PREV_SEQ_SLACK in text
    assert "additionalProperties: false" in text


def _check_bounded(obj, where):
    """An object schema: an allow-list whose integers, strings and lists are all bounded; a list
    holds bounded strings or such objects (evt/vad.voices, revision 5)."""
    assert obj["additionalProperties"] is False, where
    for key, prop in obj["properties"].items():
        for alt in prop.get("anyOf", [prop]):
            types = alt.get("type", [])
            types = types if isinstance(types, list) else [types]
            if "integer" in types and "const" not in alt:
                assert "minimum" in alt and "maximum" in alt, (where, key)
                assert alt["maximum"] <= 2 ** 42, (where, key)
            if "string" in types and "enum" not in alt:
                assert "maxLength" in alt, (where, key)
            if "array" in types:
                items = alt["items"]
                assert "maxItems" in alt, (where, key)
                if items.get("type") == "object":
                    _check_bounded(items, "%s.%s[]" % (where, key))
                else:
                    assert "maxLength" in items, (where, key)
            assert "object" not in types, (where, key)  # objects only inside lists, checked above
            assert "number" not in types, (where, key)


def test_voices_lists_are_the_table_s_size():
    for name in ("evt_vad", "evt_session"):
        assert _schema(name)["properties"]["voices"]["maxItems"] == protocol.VOICES_MAX, name


@pytest.mark.parametrize("name", [n for n in schema_names() if not n.startswith("cmd_") and n != "status"])
def test_device_schemas_are_allow_lists_with_bounds(name):
    """Every device->host schema: no other field, every integer bounded, every string and list capped."""
    s = _schema(name)
    _check_bounded(s, name)
    seq = s["properties"].get("seq")
    if seq is not None:
        assert (seq["minimum"], seq["maximum"]) == (1, 2 ** 31 - 1), name

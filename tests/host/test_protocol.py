"""Golden examples validate on the host; every bad example is rejected with a clear reason."""
import glob
import json
import os

import pytest

from talkpuck.errors import ProtocolError
from talkpuck.protocol import check_command, command_topic, parse_message, parse_topic
from talkpuck.protocol.schemas import schema_names

from conftest import BAD, EXAMPLES


def _raw(payload):
    return payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()


def _load(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(EXAMPLES, "*.json"))), ids=os.path.basename)
def test_golden_example_validates(path):
    ex = _load(path)
    msg = parse_message(ex["topic"], _raw(ex["payload"]), ex.get("retain", False))
    assert str(msg.topic) == ex["topic"]
    assert msg.payload == ex["payload"]


EXPECTED_BAD = {
    "bad_device_id.json": ("bad_device_id", "Puck A!"),
    "cmd_no_id.json": ("schema", "field id"),
    "cmd_session_start_no_limit.json": ("schema", "field limit_s"),
    "cmd_unknown_verb.json": ("unknown_verb", "selfdestruct"),
    "evt_hand_bad_action.json": ("schema", "field action"),
    "evt_turn_missing_seq.json": ("schema", "field seq"),
    "evt_turn_not_json.json": ("not_json", "not JSON"),
    "evt_unknown_kind.json": ("unknown_kind", "weather"),
    "wrong_version.json": ("bad_version", "field v"),
    "reserved_device_id.json": ("bad_device_id", "reserved"),
    "cmd_identify_seconds_range.json": ("schema", "field seconds"),
    "cmd_config_brightness_range.json": ("schema", "field brightness"),
    "evt_turn_extra_field.json": ("schema", "pitch_hz"),
    "evt_turn_seq_float.json": ("schema", "field seq"),
    "evt_turn_seq_too_big.json": ("schema", "field seq"),
    "info_boot_newline.json": ("schema", "field boot"),
    "info_fw_too_long.json": ("schema", "field fw"),
    "state_nan.json": ("not_json", "NaN"),
    "evt_turn_remote_not_bool.json": ("schema", "field remote"),
    "evt_vad_voice_remote_int.json": ("schema", "field voices/0/remote"),
    "evt_vad_voice_extra_field.json": ("schema", "pitch_hz"),
    "evt_vad_too_many_voices.json": ("schema", "field voices"),
}


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(BAD, "*.json"))), ids=os.path.basename)
def test_bad_example_rejected_with_reason(path):
    ex = _load(path)
    with pytest.raises(ProtocolError) as info:
        parse_message(ex["topic"], _raw(ex["payload"]))
    err = info.value
    assert ex["topic"] in str(err), "the error names the topic"
    name = os.path.basename(path)
    assert name in EXPECTED_BAD, "a new bad example: add its expected reason here"
    reason, text = EXPECTED_BAD[name]
    assert err.reason == reason, str(err)
    assert text in str(err), str(err)


def test_every_topic_kind_has_a_schema():
    names = set(schema_names())
    for kind in ("status", "info", "state", "tele", "resp"):
        assert kind in names
    for sub in ("turn", "vad", "hand", "session", "mic"):
        assert "evt_" + sub in names
    from talkpuck.protocol.topics import VERBS
    for verb in VERBS:
        assert "cmd_" + verb in names


def test_topic_rules():
    assert parse_topic("talkpuck/v1/puck-a1/evt/turn").schema_name == "evt_turn"
    assert parse_topic("talkpuck/v1/all/cmd/identify").device == "all"
    for bad, reason in [("talkpuck/v1/" + "a" * 33 + "/info", "bad_device_id"), ("talkpuck/v2/puck-a1/info", "bad_version"),
                        ("other/v1/puck-a1/info", "bad_topic"), ("talkpuck/v1/puck-a1/evt/turn/x", "unknown_kind"),
                        ("talkpuck/v1/puck-a1/foo", "unknown_kind"), ("talkpuck/v1/PUCK/info", "bad_device_id")]:
        with pytest.raises(ProtocolError) as info:
            parse_topic(bad)
        assert info.value.reason == reason, bad


def test_status_is_plain_text():
    assert parse_message("talkpuck/v1/puck-a1/status", b"online").payload == "online"
    with pytest.raises(ProtocolError):
        parse_message("talkpuck/v1/puck-a1/status", b"maybe")
    # a decoded payload (parse_message takes dicts, for tests) is refused the same way, not a TypeError
    with pytest.raises(ProtocolError):
        parse_message("talkpuck/v1/puck-a1/status", {"online": True})


def test_unknown_fields_are_refused_the_schemas_are_an_allow_list():
    """§1: the host learns a field before any puck sends it; a field no schema lists is refused."""
    ex = _load(os.path.join(EXAMPLES, "evt_turn.json"))
    with pytest.raises(ProtocolError) as info:
        parse_message(ex["topic"], _raw(dict(ex["payload"], future_field=[1, 2])))
    assert info.value.reason == "schema" and "future_field" in str(info.value)


def test_outgoing_command_checked():
    check_command("hand_ack", {"id": "c-1", "ts": 1, "ttl_s": 30, "hand": 3})
    with pytest.raises(ProtocolError) as info:
        check_command("hand_ack", {"id": "c-1", "ts": 1, "ttl_s": 30})
    assert "hand" in str(info.value)
    with pytest.raises(ProtocolError):
        command_topic("puck-a1", "selfdestruct")

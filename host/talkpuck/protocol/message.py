"""message — turns (topic, raw bytes) from MQTT into a checked Message, or raises MessageRejected.

Order of checks: topic (device id, kind), payload encoding (UTF-8, JSON or the plain `status`
text), protocol version, then the topic's schema. The schemas list every field a puck may send
(§1: the host is upgraded first); fields they do not list pass for now (the security issue makes
the schemas an allow-list).
"""
import json

from puckcore.protocol import PROTOCOL_VERSION
from talkpuck.protocol.errors import MessageRejected
from talkpuck.protocol.schemas import validate
from talkpuck.protocol.topics import parse_topic


class Message:
    """A checked message: `topic` (Topic), `device`, `kind`, `sub` and `payload` (dict, or str for status)."""

    __slots__ = ("topic", "payload", "retained")

    def __init__(self, topic, payload, retained=False):
        self.topic = topic
        self.payload = payload
        self.retained = retained

    device = property(lambda self: self.topic.device)
    kind = property(lambda self: self.topic.kind)
    sub = property(lambda self: self.topic.sub)

    def __repr__(self):
        return "Message(%s, %r)" % (self.topic, self.payload)


def decode_payload(raw, topic=None):
    """bytes/str/dict -> the decoded JSON value (dicts pass through, for tests)."""
    if isinstance(raw, (dict, list)):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise MessageRejected("not_utf8", "payload is not UTF-8", topic)
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as e:
        raise MessageRejected("not_json", "payload is not JSON (%s)" % e, topic)


def parse_message(topic, raw, retained=False):
    """Message from an MQTT topic and payload; raises MessageRejected naming the topic and field."""
    t = parse_topic(topic)
    if t.kind == "status":
        text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw
        if text not in ("online", "offline"):
            raise MessageRejected("schema", "status must be the text online or offline, got %r" % (text[:40],), topic)
        return Message(t, text, retained)
    payload = decode_payload(raw, topic)
    if not isinstance(payload, dict):
        raise MessageRejected("schema", "payload must be a JSON object", topic)
    if t.kind != "cmd" and payload.get("v") != PROTOCOL_VERSION:
        raise MessageRejected("bad_version", "field v: protocol version %r, this host speaks %d"
                              % (payload.get("v"), PROTOCOL_VERSION), topic)
    validate(t.schema_name, payload, topic)
    return Message(t, payload, retained)

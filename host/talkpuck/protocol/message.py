"""message — turns (topic, raw bytes) from MQTT into a checked Message, or raises MessageRejected.

Order of checks: topic (device id, kind), retained flag (a retained `evt/*` is refused: an event
happens once, a retained one would be replayed to every later subscriber), size, payload encoding
(UTF-8, JSON or the plain `status` text; NaN, Infinity and nesting deeper than MAX_DEPTH are not
JSON here), protocol version, then the topic's schema. The schemas are an allow-list: they list
every field a puck may send (§1: the host is upgraded first), with bounds, and refuse any other.
"""
import json
import re
from typing import Any, NoReturn

from puckcore.protocol import PROTOCOL_VERSION
from talkpuck.protocol.errors import MessageRejected
from talkpuck.protocol.schemas import validate
from talkpuck.protocol.topics import Topic, parse_topic


MAX_PAYLOAD = 4096  # bytes; a puck's largest message (info) is under 400
MAX_DEPTH = 4       # nesting of objects and arrays; a puck's messages nest 2 deep (info.caps)

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError("%s is not JSON" % name)


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)   # json.loads(..., kw) builds one per call
_TOPICS: dict[str, Topic] = {}       # topic string -> Topic: a puck uses a handful; bounded by _TOPICS_MAX
_TOPICS_MAX = 4096


def _topic(topic: str) -> Topic:
    """parse_topic, remembered: topics repeat, and a Topic is a value (MessageRejected is never kept)."""
    t = _TOPICS.get(topic) if isinstance(topic, str) else None
    if t is None:
        t = parse_topic(topic)
        if len(_TOPICS) >= _TOPICS_MAX:
            _TOPICS.clear()
        _TOPICS[topic] = t
    return t


def _depth(text: str) -> int:
    """How deeply `text` (JSON) nests objects and arrays, counted without parsing it."""
    depth = deepest = 0
    for b in _BRACKETS.findall(_STRINGS.sub("", text)):
        if b in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class Message:
    """A checked message: `topic` (Topic), `device`, `kind`, `sub` and `payload` (dict, or str for status);
    `text`: the payload's JSON text as received (None when a dict was given), which the store keeps
    as it is instead of encoding the dict again."""

    __slots__ = ("topic", "payload", "retained", "text")

    def __init__(self, topic: Topic, payload: Any, retained: bool = False, text: str | None = None) -> None:
        self.topic = topic
        self.payload = payload
        self.retained = retained
        self.text = text

    @property
    def device(self) -> str:
        return self.topic.device

    @property
    def kind(self) -> str:
        return self.topic.kind

    @property
    def sub(self) -> str | None:
        return self.topic.sub

    def __repr__(self) -> str:
        return "Message(%s, %r)" % (self.topic, self.payload)


def decode_payload(raw: bytes | bytearray | str | dict[str, Any] | list[Any], topic: str | None = None) -> Any:
    """bytes/str/dict -> the decoded JSON value (dicts pass through, for tests)."""
    if isinstance(raw, (dict, list)):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MessageRejected("not_utf8", "payload is not UTF-8", topic)
    if not isinstance(raw, str):
        raise MessageRejected("not_json", "payload is not JSON text", topic)
    # it cannot nest deeper than it has openers: the exact count only for the rare bracket-rich text
    if raw.count("{") + raw.count("[") > MAX_DEPTH and _depth(raw) > MAX_DEPTH:
        raise MessageRejected("not_json", "payload nests deeper than %d" % MAX_DEPTH, topic)
    try:
        return _DECODER.decode(raw)
    except (TypeError, ValueError, RecursionError) as e:
        raise MessageRejected("not_json", "payload is not JSON (%s)" % (str(e)[:120],), topic)


def parse_message(topic: str, raw: bytes | bytearray | str | dict[str, Any], retained: bool = False) -> Message:
    """Message from an MQTT topic and payload; raises MessageRejected naming the topic and field."""
    t = _topic(topic)
    if retained and t.is_event:
        raise MessageRejected("retained_event", "an event is never retained (%s)" % t.schema_name, topic)
    if isinstance(raw, (bytes, bytearray, str)) and len(raw) > MAX_PAYLOAD:
        raise MessageRejected("too_large", "payload of %d bytes, at most %d" % (len(raw), MAX_PAYLOAD), topic)
    if t.kind == "status":
        status = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw
        if status not in ("online", "offline"):
            raise MessageRejected("schema", "status must be the text online or offline, got %r" % (str(status)[:40],), topic)
        return Message(t, status, retained)
    if isinstance(raw, (bytes, bytearray)):       # decoded once: the checks parse it, the store keeps it
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MessageRejected("not_utf8", "payload is not UTF-8", topic)
    payload = decode_payload(raw, topic)
    text = raw if isinstance(raw, str) else None
    if not isinstance(payload, dict):
        raise MessageRejected("schema", "payload must be a JSON object", topic)
    if t.kind != "cmd" and (type(payload.get("v")) is not int or payload.get("v") != PROTOCOL_VERSION):
        raise MessageRejected("bad_version", "field v: protocol version %r, this host speaks %d"
                              % (payload.get("v"), PROTOCOL_VERSION), topic)
    validate(t.schema_name, payload, topic)
    return Message(t, payload, retained, text)

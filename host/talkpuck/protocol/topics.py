"""topics — parses and builds `talkpuck/v1/<device>/<kind>` topic names (protocol §1–2).

A Topic is a value object: it validates on construction, so the rest of the host never sees a
bad device id or an unknown kind.
"""
import re

from talkpuck.protocol.errors import MessageRejected

ROOT = "talkpuck/v1"
DEVICE_RE = re.compile(r"^[a-z0-9-]{1,32}$")
# Names under the root that are not pucks: group commands and the host's own liveness.
RESERVED = ("all", "host")
EVENT_KINDS = ("turn", "vad", "hand", "session", "mic")
PLAIN_KINDS = ("status", "info", "state", "tele", "resp")
VERBS = ("time", "session_start", "session_extend", "session_stop", "hand_ack", "hand_lower",
         "hands_clear", "identify", "ring_test", "config")


class Topic:
    """device, kind (`status`, `info`, `state`, `tele`, `resp`, `evt`, `cmd`) and sub (event kind or verb)."""

    __slots__ = ("device", "kind", "sub")

    def __init__(self, device, kind, sub=None):
        self.device = device
        self.kind = kind
        self.sub = sub

    @property
    def schema_name(self):
        """The schema file (without .json) for this topic: `info`, `evt_turn`, `cmd_hand_ack`, ..."""
        return "%s_%s" % (self.kind, self.sub) if self.sub else self.kind

    @property
    def is_event(self):
        return self.kind == "evt"

    def __str__(self):
        tail = "%s/%s" % (self.kind, self.sub) if self.sub else self.kind
        return "%s/%s/%s" % (ROOT, self.device, tail)

    def __repr__(self):
        return "Topic(%r)" % str(self)


def check_device_id(device, topic=None):
    if not isinstance(device, str) or not DEVICE_RE.match(device):
        raise MessageRejected(
            "bad_device_id", "device id %r must be 1-32 characters from [a-z0-9-]" % (device,), topic)
    return device


def parse_topic(topic):
    """Topic from a topic string; raises MessageRejected naming the topic when it breaks §1–2."""
    if not isinstance(topic, str):
        raise MessageRejected("bad_topic", "topic is not a string: %r" % (topic,))
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != "talkpuck":
        raise MessageRejected("bad_topic", "not under %s/<device>/" % ROOT, topic)
    if parts[1] != "v1":
        raise MessageRejected("bad_version", "protocol version %r in the topic is not v1" % parts[1], topic)
    device = parts[2]
    if device not in RESERVED:
        check_device_id(device, topic)
    kind, rest = parts[3], parts[4:]
    if kind in PLAIN_KINDS and not rest:
        return Topic(device, kind)
    if kind == "evt" and len(rest) == 1:
        if rest[0] not in EVENT_KINDS:
            raise MessageRejected("unknown_kind", "unknown event kind %r (known: %s)" % (rest[0], ", ".join(EVENT_KINDS)), topic)
        return Topic(device, kind, rest[0])
    if kind == "cmd" and len(rest) == 1:
        if rest[0] not in VERBS:
            raise MessageRejected("unknown_verb", "unknown command verb %r (known: %s)" % (rest[0], ", ".join(VERBS)), topic)
        return Topic(device, kind, rest[0])
    raise MessageRejected("unknown_kind", "unknown topic kind %r" % "/".join(parts[3:]), topic)


def command_topic(device, verb):
    """The topic of command `verb` for `device` (or `all` for a group command)."""
    if device != "all":
        check_device_id(device)
    if verb not in VERBS:
        raise MessageRejected("unknown_verb", "unknown command verb %r (known: %s)" % (verb, ", ".join(VERBS)))
    return "%s/%s/cmd/%s" % (ROOT, device, verb)

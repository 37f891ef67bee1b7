"""topics — parses and builds `talkpuck/v1/<device>/<kind>` topic names (protocol §1–2).

A Topic is a value object: it validates on construction, so the rest of the host never sees a
bad device id or an unknown kind. The facts (root, reserved names, kinds, verbs, the device-id
rule) come from the firmware's `puckcore.protocol`, the one table both sides read.
"""
from puckcore.protocol import (DEVICE_PATTERN, EVENT_KINDS, GROUP, PLAIN_KINDS, RESERVED, RESERVED_USES, ROOT,
                               VERBS, valid_device_id)
from talkpuck.protocol.errors import MessageRejected
from talkpuck.protocol.schemas import ecma_regex

DEVICE_RE = ecma_regex(DEVICE_PATTERN)  # the character rule only; valid_device_id also refuses RESERVED
_APP, _VERSION = ROOT.split("/")  # "talkpuck", "v1"


class Topic:
    """device, kind (`status`, `info`, `state`, `tele`, `resp`, `evt`, `cmd`) and sub (event kind or verb)."""

    __slots__ = ("device", "kind", "sub")

    def __init__(self, device: str, kind: str, sub: str | None = None) -> None:
        self.device = device
        self.kind = kind
        self.sub = sub

    @property
    def schema_name(self) -> str:
        """The schema file (without .json) for this topic: `info`, `evt_turn`, `cmd_hand_ack`, ..."""
        return "%s_%s" % (self.kind, self.sub) if self.sub else self.kind

    @property
    def is_event(self) -> bool:
        return self.kind == "evt"

    def __str__(self) -> str:
        tail = "%s/%s" % (self.kind, self.sub) if self.sub else self.kind
        return "%s/%s/%s" % (ROOT, self.device, tail)

    def __repr__(self) -> str:
        return "Topic(%r)" % str(self)


def check_device_id(device: str, topic: str | None = None) -> str:
    """`device` if it names a puck; MessageRejected otherwise (a reserved name is not a puck)."""
    if not valid_device_id(device):
        raise MessageRejected(
            "bad_device_id", "device id %r must be 1-32 characters from [a-z0-9-], not %s"
            % (device[:40] if isinstance(device, str) else device, " or ".join(RESERVED)), topic)
    return device


def parse_topic(topic: object) -> Topic:
    """Topic from a topic string; raises MessageRejected naming the topic when it breaks §1–2."""
    if not isinstance(topic, str):
        raise MessageRejected("bad_topic", "topic is not a string: %r" % (topic,))
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != _APP:
        raise MessageRejected("bad_topic", "not under %s/<device>/" % ROOT, topic)
    if parts[1] != _VERSION:
        raise MessageRejected("bad_version", "protocol version %r in the topic is not %s" % (parts[1][:20], _VERSION), topic)
    device = parts[2]
    kind, rest = parts[3], parts[4:]
    if device in RESERVED:
        if (device, kind) not in RESERVED_USES:
            raise MessageRejected("bad_device_id", "%r is reserved and never a puck's id" % device, topic)
    else:
        check_device_id(device, topic)
    if kind in PLAIN_KINDS and not rest:
        return Topic(device, kind)
    if kind == "evt" and len(rest) == 1:
        if rest[0] not in EVENT_KINDS:
            raise MessageRejected("unknown_kind", "unknown event kind %r (known: %s)" % (rest[0][:40], ", ".join(EVENT_KINDS)), topic)
        return Topic(device, kind, rest[0])
    if kind == "cmd" and len(rest) == 1:
        if rest[0] not in VERBS:
            raise MessageRejected("unknown_verb", "unknown command verb %r (known: %s)" % (rest[0][:40], ", ".join(VERBS)), topic)
        return Topic(device, kind, rest[0])
    raise MessageRejected("unknown_kind", "unknown topic kind %r" % "/".join(parts[3:])[:40], topic)


def command_topic(device: str, verb: str) -> str:
    """The topic of command `verb` for `device` (or `all` for a group command)."""
    if device != GROUP:
        check_device_id(device)
    if verb not in VERBS:
        raise MessageRejected("unknown_verb", "unknown command verb %r (known: %s)" % (verb, ", ".join(VERBS)))
    return "%s/%s/cmd/%s" % (ROOT, device, verb)

"""codec — encodes the puck's MQTT messages and decodes host commands (docs/protocol.md).
# device-limits: exempt (commands carry host Unix-ms timestamps, parsed once per command, never per frame)

Pure and portable: JSON text in and out, no I/O. `decode_command` checks the envelope and the
fields of each verb, and raises ProtocolError naming the topic and the field.
"""
import json

from puckcore.errors import ProtocolError
from puckcore.ticks import ticks_diff

PROTOCOL_VERSION = 1
ROOT = "talkpuck/v1/"
GROUP = "all"

EVENT_KINDS = ("turn", "vad", "hand", "session", "mic")

_INT = 1
_STR = 2
_BOOL = 3
_NUM = 4  # int, or a float that is whole

# verb -> ((field, type, required), ...); the envelope (id, ts, ttl_s) is checked for every verb
COMMANDS = {
    "time": (("now_ms", _INT, True),),
    "session_start": (("session", _STR, False), ("limit_s", _INT, True), ("warn_s", _INT, False), ("purpose", _STR, False)),
    "session_extend": (("add_s", _INT, True),),
    "session_stop": (),
    "hand_ack": (("hand", _INT, True),),
    "hand_lower": (("hand", _INT, True),),
    "hands_clear": (),
    "identify": (("seconds", _INT, False),),
    "ring_test": (),
    "config": (  # ranges are checked by puckcore.settings, which names the key
        ("brightness", _INT, False),
        ("warn_s", _INT, False),
        ("wrapup_s", _INT, False),
        ("min_break_s", _INT, False),
        ("default_session_s", _INT, False),
        ("room", _STR, False),
        ("night", _BOOL, False),
        ("gamma", _BOOL, False),
        ("balance", _BOOL, False),
        ("max_hands", _INT, False),
        ("leds", _INT, False),
    ),
}


def device_root(device):
    return ROOT + device + "/"


def valid_device_id(device):
    if not 1 <= len(device) <= 32:
        return False
    for ch in device:
        if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch == "-"):
            return False
    return True


def _dumps(obj):
    # MicroPython's json.dumps has no `separators`; its output is already compact
    return json.dumps(obj).encode()


def encode_event(boot, seq, ms, fields):
    """The payload of an `evt/<kind>` message: v, boot, seq, ms, then the kind's fields."""
    doc = {"v": PROTOCOL_VERSION, "boot": boot, "seq": seq, "ms": ms}
    for k in fields:
        doc[k] = fields[k]
    return _dumps(doc)


def encode_doc(boot, ms, fields):
    """The payload of `info`, `state`, `tele` or `resp`: v, boot, ms, then the fields."""
    doc = {"v": PROTOCOL_VERSION, "boot": boot, "ms": ms}
    for k in fields:
        doc[k] = fields[k]
    return _dumps(doc)


def _type_ok(value, kind):
    if kind == _INT:
        return type(value) is int
    if kind == _STR:
        return type(value) is str
    if kind == _BOOL:
        return type(value) is bool
    return type(value) in (int, float)


_TYPE_NAMES = {_INT: "an integer", _STR: "a string", _BOOL: "true or false", _NUM: "a number"}


def parse_command_topic(topic, device):
    """'talkpuck/v1/<device or all>/cmd/<verb>' -> verb; ProtocolError for any other topic."""
    mine = device_root(device) + "cmd/"
    group = ROOT + GROUP + "/cmd/"
    if topic.startswith(mine):
        verb = topic[len(mine):]
    elif topic.startswith(group):
        verb = topic[len(group):]
    else:
        raise ProtocolError("%s: not a command topic for %s" % (topic, device))
    if verb not in COMMANDS:
        raise ProtocolError("%s: unknown verb %r" % (topic, verb))
    return verb


def decode_command(topic, payload, device):
    """Check one command message; returns (verb, args dict). Raises ProtocolError naming the field."""
    verb = parse_command_topic(topic, device)
    try:
        if isinstance(payload, (bytes, bytearray, memoryview)):
            payload = bytes(payload).decode()
        args = json.loads(payload)
    except (ValueError, UnicodeError):
        raise ProtocolError("%s: payload is not JSON" % topic)
    if type(args) is not dict:
        raise ProtocolError("%s: payload must be a JSON object" % topic)
    cid = args.get("id")
    if type(cid) is not str or not cid:
        raise ProtocolError("%s: field 'id' must be a non-empty string" % topic)
    if type(args.get("ts")) is not int:
        raise ProtocolError("%s: field 'ts' must be an integer (host Unix ms)" % topic)
    ttl = args.get("ttl_s")
    if type(ttl) is not int or ttl <= 0:
        raise ProtocolError("%s: field 'ttl_s' must be a positive integer" % topic)
    for name, kind, required in COMMANDS[verb]:
        if name not in args:
            if required:
                raise ProtocolError("%s: missing field '%s'" % (topic, name))
            continue
        if not _type_ok(args[name], kind):
            raise ProtocolError("%s: field '%s' must be %s" % (topic, name, _TYPE_NAMES[kind]))
    return verb, args


def expired(args, host_sync, now_ms):
    """True when the command's ts + ttl_s lies before the host time the puck estimates now.

    `host_sync` is (host Unix ms, puck ticks) from the last `cmd/time`, or None (then nothing
    expires). Host times are long ints on the device; this runs once per command, never per frame.
    """
    if host_sync is None:
        return False
    age_ms = (host_sync[0] - args["ts"]) + ticks_diff(now_ms, host_sync[1])
    return age_ms > args["ttl_s"] * 1000

"""codec — encodes the puck's MQTT messages and decodes host commands (docs/protocol.md).
# device-limits: exempt (commands carry host Unix-ms timestamps, parsed once per command, never per frame)

Pure and portable: JSON text in and out, no I/O. The facts (root, verbs and their fields with
types and ranges, event kinds, the device-id rule) are in puckcore.protocol; `decode_command`
checks the envelope and the fields of each verb against that table, and raises ProtocolError
naming the topic and the field.
"""
import json

from puckcore.errors import ProtocolError
from puckcore import protocol
from puckcore.protocol import COMMANDS, ENVELOPE, EVENT_KINDS, GROUP, PROTOCOL_VERSION, valid_device_id  # noqa: F401
from puckcore.ticks import ticks_diff

ROOT = protocol.ROOT + "/"  # "talkpuck/v1/": topics are built as ROOT + device + "/..."


def device_root(device):
    return ROOT + device + "/"


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


_TYPE_NAMES = {"int": "an integer", "str": "a string", "bool": "true or false"}


def _type_ok(value, kind):
    if kind == "int":
        return type(value) is int  # bool is not int here: `type(True) is int` is False
    if kind == "str":
        return type(value) is str
    return value is True or value is False


def _range_text(kind, low, high):
    unit = " characters" if kind == "str" else ""
    if high is None:
        return "at least %d%s" % (low, unit)
    if low is None or (kind == "str" and low == 0):
        return "at most %d%s" % (high, unit)
    return "%d..%d%s" % (low, high, unit)


def check_field(topic, field, value):
    """Check one value against its table row (protocol.COMMANDS): type, then range or length."""
    name, kind, _, low, high = field
    if not _type_ok(value, kind):
        raise ProtocolError("%s: field '%s' must be %s" % (topic, name, _TYPE_NAMES[kind]))
    if kind == "bool":
        return
    n = len(value) if kind == "str" else value
    if (low is not None and n < low) or (high is not None and n > high):
        raise ProtocolError("%s: field '%s' must be %s" % (topic, name, _range_text(kind, low, high)))


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
    """Check one command message; returns (verb, args dict). Raises ProtocolError naming the field.

    Every field of the envelope and of the verb (protocol.COMMANDS) is checked for type and range,
    so a command handler (puckcore.commands) gets values it can use as they are. Fields the table
    does not list are left alone (the host's schemas are the allow-list)."""
    verb = parse_command_topic(topic, device)
    try:
        if isinstance(payload, (bytes, bytearray, memoryview)):
            payload = bytes(payload).decode()
        args = json.loads(payload)
    except (ValueError, UnicodeError):
        raise ProtocolError("%s: payload is not JSON" % topic)
    if type(args) is not dict:
        raise ProtocolError("%s: payload must be a JSON object" % topic)
    for fields in (ENVELOPE, COMMANDS[verb]):
        for field in fields:
            name = field[0]
            if name in args:
                check_field(topic, field, args[name])
            elif field[2]:
                raise ProtocolError("%s: missing field '%s'" % (topic, name))
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

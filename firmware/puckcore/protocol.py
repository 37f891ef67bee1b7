"""protocol — the protocol's facts, written once: revision, topic root, ids, kinds, phases, commands.

Pure data plus one check (`valid_device_id`). The firmware's codec encodes and checks messages
with it; the host's `talkpuck.protocol` imports it instead of keeping copies; the JSON schemas in
host/talkpuck/protocol/schemas (the host's validation) are tied to it by tests/host/test_protocol_drift.py,
which fails on any difference. docs/protocol.md is the prose; a test checks it names every verb
and every setting.

Where things go:
- a new setting: `puckcore.settings.SPEC` only (the `config` command's fields derive from it);
  then add it to host/talkpuck/protocol/schemas/cmd_config.json and docs/protocol.md §6.2 (the drift test
  says so if you forget).
- a new command: a row in COMMANDS here, its handler in `puckcore.commands`, its schema
  host/talkpuck/protocol/schemas/cmd_<verb>.json, an example in docs/protocol/examples, a line in §6.2.

Compatibility (docs/protocol.md §1): the host is upgraded before the pucks, and every field a puck
may send is in the host's schemas before any puck sends it. Adding a field, a verb or an event
kind bumps PROTOCOL_REVISION, which `info.proto_rev` reports; an incompatible change bumps
PROTOCOL_VERSION (the `v` of every payload and the `v1` of the topic root).
"""
from puckcore.session import NAMES, OVERRUN, RUNNING, Session
from puckcore.settings import KEYS, SPEC

PROTOCOL_VERSION = 1  # `"v": 1` in every payload, `talkpuck/v1/` in every topic
PROTOCOL_REVISION = 5  # compatible additions inside version 1; reported in `info.proto_rev`
# revision 2: fw_* verbs (updates over the air); 3: info.reset_reason, the chime setting;
# 4: evt/turn.cont (the pieces of one turn), cmd/follow_up, state.follow_s, tele.mic_frames;
# 5: `remote` (the voice comes from a laptop loudspeaker: the call) in evt/turn and state, the
#    session's voices with `remote` in evt/vad and evt/session (`ended`), info.caps `remote`

ROOT = "talkpuck/v%d" % PROTOCOL_VERSION  # a puck's topics are ROOT/<device>/...
GROUP = "all"  # ROOT/all/cmd/<verb>: a command for every puck
HOST = "host"  # ROOT/host/status: the host's liveness
RESERVED = (GROUP, HOST)  # names under ROOT that are not pucks: never a device id
RESERVED_USES = ((GROUP, "cmd"), (HOST, "status"))  # the only topics under a reserved name

DEVICE_MAX = 32
DEVICE_PATTERN = "^[a-z0-9-]{1,%d}$" % DEVICE_MAX  # the device-id rule as a regex (host), minus RESERVED

EVENT_KINDS = ("turn", "vad", "hand", "session", "mic")  # evt/<kind>
PLAIN_KINDS = ("status", "info", "state", "tele", "resp")  # topics with no sub-name
EVENT_HEAD = ("v", "boot", "seq", "ms")  # every evt/<kind> payload starts with these (codec.encode_event)
DOC_HEAD = ("v", "boot", "ms")  # every info, state, tele, resp payload (codec.encode_doc)

PHASES = NAMES  # session phase names (`state.phase`, `evt/session.phase`); defined in puckcore.session
LIVE_PHASES = NAMES[RUNNING:OVERRUN + 1]  # the phases of a running session

LIMIT_MAX_S = Session.limit_max_s  # longest session, and the most one extension may add
IDENTIFY_MAX_S = 600  # longest identify blink
TTL_MAX_S = 86400  # longest time-to-live of a command
FW_VERSION_MAX = 32  # characters of a firmware version
FW_SIZE_MAX = 1 << 20  # bytes of a firmware bundle (manifest + files; puckcore/fwmanifest.py)
FW_MANIFEST_MAX = 12 * 1024  # bytes of its manifest (fwmanifest.MANIFEST_MAX)
FW_CHUNK_MAX = 1536  # bytes of one fw_chunk before base64: its message stays far under the
FW_DATA_MAX = 4 * FW_CHUNK_MAX // 3  # puck's MQTT packet limit (lib/mqtt_client.py max_packet 4096)
FOLLOW_UP_MAX_S = 86400  # longest follow-up window after a call
VOICES_MAX = 16  # entries of a `voices` list (evt/vad, evt/session): a voice id is 1..VOICES_MAX

# A field: (name, kind, required, low, high). kind is "int", "str" or "bool" (as in settings.SPEC);
# for "str", low/high bound the length; None means no bound.
ENVELOPE = (
    ("id", "str", True, 1, 64),  # unique per host
    ("ts", "int", True, 0, None),  # the host's send time, Unix ms
    ("ttl_s", "int", True, 1, TTL_MAX_S),  # seconds the command stays valid
)


def _config_fields():
    out = []
    for key in KEYS:
        kind, low, high = SPEC[key][1], SPEC[key][2], SPEC[key][3]
        if kind == "bool":
            low = high = None
        out.append((key, kind, False, low, high))
    return tuple(out)


# (verb, fields besides the envelope), in the order of docs/protocol.md §6.2
_TABLE = (
    ("time", (("now_ms", "int", True, 0, None),)),
    ("session_start", (
        ("session", "str", False, 1, 100),  # the host's session id; without one the puck names it
        ("limit_s", "int", True, 1, LIMIT_MAX_S),
        ("warn_s", "int", False, 0, LIMIT_MAX_S),  # default: settings.warn_s
        # no purpose: the session's purpose text stays on the host (docs/privacy.md); a puck of
        # revision 1 listed it as optional and did nothing with it, so no puck misses it
    )),
    ("session_extend", (("add_s", "int", True, 1, LIMIT_MAX_S),)),
    ("session_stop", ()),
    ("hand_ack", (("hand", "int", True, 1, None),)),
    ("hand_lower", (("hand", "int", True, 1, None),)),
    ("hands_clear", ()),
    ("identify", (("seconds", "int", False, 1, IDENTIFY_MAX_S),)),  # default: Controller.identify_default_s
    ("ring_test", ()),
    ("follow_up", (("seconds", "int", True, 0, FOLLOW_UP_MAX_S),)),  # 0 ends it (revision 2)
    ("config", _config_fields()),  # every setting in puckcore.settings.SPEC, with its bounds
    # updates over the air (docs/protocol.md §11; puckport/fwupdate.py)
    ("fw_offer", (
        ("fw", "str", True, 1, FW_VERSION_MAX),  # the bundle's version (as in its manifest)
        ("size", "int", True, 1, FW_SIZE_MAX),  # bytes of the bundle
        ("mlen", "int", True, 1, FW_MANIFEST_MAX),  # bytes of its manifest, at its start
        ("mac", "str", True, 64, 64),  # HMAC-SHA256 of the manifest under the puck's key, hex
    )),
    ("fw_chunk", (
        ("off", "int", True, 0, FW_SIZE_MAX),  # where these bytes go in the bundle
        ("data", "str", True, 4, FW_DATA_MAX),  # base64 of 1..FW_CHUNK_MAX bytes
    )),
    ("fw_apply", (("fw", "str", True, 1, FW_VERSION_MAX),)),
)
COMMANDS = dict(_TABLE)  # verb -> fields
VERBS = tuple([verb for verb, _ in _TABLE])


def valid_device_id(device):
    """True for 1-32 characters from a-z 0-9 - that are not a reserved name (`all`, `host`)."""
    if type(device) is not str or not 1 <= len(device) <= DEVICE_MAX or device in RESERVED:
        return False
    for ch in device:
        if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch == "-"):
            return False
    return True

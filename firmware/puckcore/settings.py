"""settings — the puck's settings: defaults, one check at load, and the dict form for `cmd/config`.

Every tunable carries its unit in its name. SPEC is the one place a setting is defined: the
`cmd/config` command's fields, types and ranges derive from it (puckcore.protocol), and
tests/host/test_protocol_drift.py holds host/talkpuck/protocol/schemas/cmd_config.json and docs/protocol.md
§6.2 to it. `from_dict()` (a persisted record) and `update()` (a `cmd/config` command) check every
key they are given before changing anything, so a bad command changes nothing and the ConfigError
names the offending key. Unknown keys are an error in `update()`; the config command handler
(puckcore.commands) passes only `KEYS` on, leaving out the envelope (a host sends only fields the
puck's protocol revision lists, protocol §1). `from_dict()` ignores unknown keys so a record
written by another firmware version still loads.
"""
from puckcore.errors import ConfigError

# key: (default, kind, low, high). kind: "int", "bool", "str" (low/high bound the length for str)
SPEC = {
    "brightness": (160, "int", 0, 255),  # brightness cap 0..255: limits the ring's LED current
    "gamma": (True, "bool", 0, 0),  # gamma-correct the ring (perceptually even fades)
    "night": (False, "bool", 0, 0),  # night/dark mode: a much lower cap, no blinking overlays
    "warn_s": (300, "int", 0, 86400),  # seconds left when the warning shows (protocol default 300)
    "wrapup_s": (60, "int", 0, 86400),  # seconds left when wrap-up starts
    "min_break_s": (600, "int", 0, 86400),  # minimum break between calls
    "default_session_s": (2700, "int", 60, 86400),  # length of a session started on the puck
    "room": ("", "str", 0, 64),  # the room name (reported in `info`)
    "leds": (24, "int", 8, 64),  # LEDs in the ring (takes effect at the next boot)
    "max_hands": (9, "int", 1, 32),  # waiting hands a puck holds
    "balance": (False, "bool", 0, 0),  # show the voice-balance view now and then during a session
    "chime": (False, "bool", 0, 0),  # a soft chime at the warning and at time up (boards with a speaker)
}
KEYS = tuple(sorted(SPEC))


def check(key, value):
    """Return `value` if it is valid for `key`; raise ConfigError naming the key otherwise."""
    spec = SPEC.get(key)
    if spec is None:
        raise ConfigError("%s: unknown setting" % key)
    kind, low, high = spec[1], spec[2], spec[3]
    if kind == "bool":
        if value is not True and value is not False:
            raise ConfigError("%s: must be true or false" % key)
    elif kind == "int":
        if type(value) is not int:  # bool is not int here: `type(True) is int` is False
            raise ConfigError("%s: must be an integer" % key)
        if value < low or value > high:
            raise ConfigError("%s: must be %d..%d" % (key, low, high))
    else:
        if type(value) is not str:
            raise ConfigError("%s: must be a string" % key)
        if len(value) > high:
            raise ConfigError("%s: at most %d characters" % (key, high))
    return value


class Settings:
    """The puck's settings as attributes (`s.warn_s`), with defaults from SPEC."""

    def __init__(self, values=None):
        for key in KEYS:
            setattr(self, key, SPEC[key][0])
        if values:
            self.update(values)

    def update(self, values):
        """Check every key, then apply them all (all or nothing). Returns the keys that changed."""
        for key in values:
            check(key, values[key])
        changed = []
        for key in values:
            if getattr(self, key) != values[key]:
                setattr(self, key, values[key])
                changed.append(key)
        return changed

    def to_dict(self):
        d = {}
        for key in KEYS:
            d[key] = getattr(self, key)
        return d

    @classmethod
    def from_dict(cls, d):
        """Settings from a persisted dict: known keys are checked, unknown keys ignored."""
        if not isinstance(d, dict):
            raise ConfigError("settings: must be an object")
        known = {}
        for key in d:
            if key in SPEC:
                known[key] = d[key]
        return cls(known)

"""discovery — Home Assistant MQTT discovery documents, published by the host on each puck's behalf.

Off until enabled (`talkpuck serve --ha-discovery`, Settings.ha_discovery). Then, for every puck the
host knows, retained config documents go to `<prefix>/<component>/talkpuck_<device>/<object>/config`
(prefix `homeassistant` unless `--ha-prefix`):

    sensor        phase        value_json.phase of the puck's retained `state` (an enum sensor)
    sensor        time_left    value_json.remaining_s (seconds, as of the puck's last `state`)
    sensor        hands        value_json.hands: hands waiting (0 = none raised)
    button        identify     Home Assistant publishes PRESS to the host's topic (below)
    binary_sensor talking      value_json.talking: only with --ha-talking (docs/privacy.md §HA)

Every entity's availability is the puck's own retained `status` (`online` / `offline`, its last
will), so a puck that drops off the network shows unavailable in Home Assistant at once.

The identify button: only the host may command pucks (the broker's ACL, docs/security.md §4), so
Home Assistant publishes the fixed payload `PRESS` to `talkpuck/v1/host/ha/<device>/identify`
(BUTTON_TOPIC), and the host turns it into a real `cmd/identify` (a fresh id, the time, a ttl:
commands.Commander.send). Anything else on that topic is refused and counted (`ha_rejected`).

A deleted device (`talkpuck device remove`) gets an empty retained config for each entity, which is
how Home Assistant's discovery removes an entity; `remove_messages()` lists them.
"""
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from puckcore.protocol import HOST, ROOT, valid_device_id

log = logging.getLogger(__name__)

PREFIX_DEFAULT = "homeassistant"
BUTTON_TOPIC = ROOT + "/" + HOST + "/ha/%s/identify"       # Home Assistant -> host (the ACL's one write)
BUTTON_SUBSCRIPTION = ROOT + "/" + HOST + "/ha/+/identify"
BUTTON_ROOT = ROOT + "/" + HOST + "/ha/"
PRESS = "PRESS"
PHASES = ["idle", "running", "warning", "wrapup", "timeup", "overrun", "ended", "break"]
IDENTIFY_S = 10
ORIGIN = {"name": "talkpuck", "support_url": "https://github.com/talkpuck/talkpuck"}


def check_prefix(prefix: object) -> str:
    """The discovery prefix: one or more topic levels with no wildcards, not under talkpuck/."""
    from talkpuck.errors import ConfigError

    if not isinstance(prefix, str) or not prefix or len(prefix) > 100 or any(c in prefix for c in "#+\0") \
            or prefix.startswith("/") or prefix.endswith("/") or "//" in prefix \
            or prefix.split("/")[0] == ROOT.split("/")[0]:
        raise ConfigError("ha_prefix: a topic prefix like 'homeassistant' (no + or #, no leading or trailing /, "
                          "not under talkpuck/), got %r" % (prefix,))
    return prefix


def node_id(device: str) -> str:
    return "talkpuck_" + device.replace("-", "_")


def config_topic(prefix: str, component: str, device: str, obj: str) -> str:
    return "%s/%s/%s/%s/config" % (prefix, component, node_id(device), obj)


ENTITIES = (("sensor", "phase"), ("sensor", "time_left"), ("sensor", "hands"), ("button", "identify"),
            ("binary_sensor", "talking"))


def documents(device: str, prefix: str = PREFIX_DEFAULT, talking: bool = False,
              info: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """[(topic, document)] for one puck: what `publish()` sends (retained)."""
    info = info or {}
    base = "%s/%s/" % (ROOT, device)
    dev: dict[str, Any] = {"identifiers": [node_id(device)], "name": "talkpuck %s" % device, "manufacturer": "talkpuck",
           "model": info.get("board") or "talkpuck puck"}
    if info.get("fw"):
        dev["sw_version"] = info["fw"]
    if info.get("room"):
        dev["suggested_area"] = info["room"]

    def common(obj: str, name: str) -> dict[str, Any]:
        return {"name": name, "unique_id": "%s_%s" % (node_id(device), obj),
                "availability_topic": base + "status", "payload_available": "online",
                "payload_not_available": "offline", "device": dev, "origin": ORIGIN, "qos": 1}

    state = base + "state"
    docs = [
        ("sensor", "phase", dict(common("phase", "Session phase"), state_topic=state,
                                 value_template="{{ value_json.phase }}", device_class="enum", options=PHASES,
                                 icon="mdi:timer-outline")),
        ("sensor", "time_left", dict(common("time_left", "Time left"), state_topic=state,
                                     value_template="{{ value_json.remaining_s }}", device_class="duration",
                                     unit_of_measurement="s")),
        ("sensor", "hands", dict(common("hands", "Hands raised"), state_topic=state,
                                 value_template="{{ value_json.hands }}", state_class="measurement",
                                 icon="mdi:hand-back-right")),
        ("button", "identify", dict(common("identify", "Identify"), command_topic=BUTTON_TOPIC % device,
                                    payload_press=PRESS, device_class="identify", retain=False,
                                    entity_category="diagnostic")),
    ]
    if talking:
        docs.append(("binary_sensor", "talking", dict(
            common("talking", "Talking"), state_topic=state,
            value_template="{{ 'ON' if value_json.talking else 'OFF' }}", payload_on="ON", payload_off="OFF",
            device_class="sound")))
    return [(config_topic(prefix, comp, device, obj), doc) for comp, obj, doc in docs]


def remove_messages(device: str, prefix: str = PREFIX_DEFAULT) -> list[tuple[str, bytes]]:
    """[(topic, b"")]: an empty retained config for every entity a puck may have had."""
    return [(config_topic(prefix, comp, device, obj), b"") for comp, obj in ENTITIES]


class HaDiscovery:
    """The host's side: announces pucks, removes deleted ones, turns button presses into commands.

    `publish(topic, payload, retain)` is the host's MQTT publish; `send_command(device, verb, args)`
    is Commander.send (a fresh id, the time, a ttl); `known()` yields (device, info dict) of the
    pucks in the store."""

    def __init__(self, publish: Callable[[str, bytes, bool], object],
                 send_command: Callable[[str, str, dict[str, Any]], object],
                 known: Callable[[], Iterable[tuple[str, dict[str, Any]]]], prefix: str = PREFIX_DEFAULT,
                 talking: bool = False) -> None:
        self.publish = publish
        self.send_command = send_command
        self.known = known
        self.prefix = check_prefix(prefix)
        self.talking = bool(talking)
        self.announced: set[str] = set()
        self.presses = 0
        self.rejected = 0
        self.birth_topic = self.prefix + "/status"     # Home Assistant's own birth message

    @property
    def subscriptions(self) -> list[str]:
        return [BUTTON_SUBSCRIPTION, self.birth_topic]

    def announce(self, device: str, info: dict[str, Any] | None = None) -> None:
        for topic, doc in documents(device, self.prefix, self.talking, info):
            self.publish(topic, json.dumps(doc, separators=(",", ":")).encode(), True)
        if not self.talking:       # switched off since last time: the old talking entity goes
            self.publish(config_topic(self.prefix, "binary_sensor", device, "talking"), b"", True)
        self.announced.add(device)

    def announce_all(self) -> None:
        for device, info in self.known():
            self.announce(device, info)

    def remove(self, device: str) -> None:
        for topic, payload in remove_messages(device, self.prefix):
            self.publish(topic, payload, True)
        self.announced.discard(device)

    def handle(self, topic: str, payload: bytes | bytearray, retained: bool) -> bool:
        """True if the message was Home Assistant's (a button press or its birth): not for ingest."""
        if topic == self.birth_topic:
            if payload == b"online":
                self.announce_all()        # Home Assistant restarted: it asks for the configs again
            return True
        if not topic.startswith(BUTTON_ROOT):   # every puck message passes here: the cheap test first
            return False
        parts = topic.split("/")
        if len(parts) == 6 and parts[5] == "identify":
            device = parts[4]
            if retained or payload != PRESS.encode() or not valid_device_id(device):
                self.rejected += 1
                log.warning("ha: refused a button message on %s (retained=%s, %d bytes)", topic[:120], retained,
                            len(payload))
                return True
            self.presses += 1
            try:
                self.send_command(device, "identify", {"seconds": IDENTIFY_S})
            except Exception as e:      # an unknown device, the link down: logged, never fatal
                self.rejected += 1
                log.warning("ha: identify %s from Home Assistant failed: %s", device, e)
            return True
        return False

    def seen(self, device: str, info: dict[str, Any] | None = None, again: bool = False) -> None:
        """A puck message arrived: announce the puck the first time the host sees it (`again`: its
        `info` changed, e.g. a new firmware: announce it again with it)."""
        if (again or device not in self.announced) and valid_device_id(device):
            self.announce(device, info)

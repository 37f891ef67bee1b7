"""Home Assistant MQTT discovery (talkpuck.ha): every document's fields are ones Home Assistant's
documentation lists for that component; the host publishes them (retained) only when enabled, with
availability on the puck's status; Home Assistant's button press becomes a real command; a deleted
device's entities are removed; Home Assistant's login may read and press, never command a puck.

No Home Assistant test client is installed here: `homeassistant` 2026.11.0 (and
pytest-homeassistant-custom-component with it) requires Python >= 3.14.2, this venv is 3.11, and
the last release for 3.11 (2024.3) predates today's discovery schema. The documents are checked
against the documented field lists below instead, and against a real Mosquitto with the ACL Home
Assistant's login gets.
"""
import json
import os
import time

import pytest

from waiting import wait_for

from talkpuck import cli
from talkpuck.errors import ConfigError
from talkpuck.ha.discovery import (BUTTON_TOPIC, PHASES, PREFIX_DEFAULT, HaDiscovery, check_prefix, config_topic,
                                   documents, remove_messages)
from talkpuck.mqtt.broker import mosquitto_binary

# -- the fields Home Assistant documents, per component ---------------------------------------------
# Sources (read 2026-12): https://www.home-assistant.io/integrations/sensor.mqtt/ ,
# https://www.home-assistant.io/integrations/binary_sensor.mqtt/ , https://www.home-assistant.io/integrations/button.mqtt/
# ("Configuration Variables"), and https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery for
# `origin` and `device`. The variables every MQTT entity shares:
COMMON = {"availability", "availability_mode", "availability_template", "availability_topic", "default_entity_id",
          "device", "enabled_by_default", "encoding", "entity_category", "entity_picture", "icon",
          "json_attributes_template", "json_attributes_topic", "name", "object_id", "origin",
          "payload_available", "payload_not_available", "platform", "qos", "unique_id"}
DOCUMENTED = {
    "sensor": COMMON | {"device_class", "expire_after", "force_update", "last_reset_value_template", "options",
                        "state_class", "state_topic", "suggested_display_precision", "unit_of_measurement",
                        "value_template"},
    "binary_sensor": COMMON | {"device_class", "expire_after", "force_update", "off_delay", "payload_off",
                               "payload_on", "state_topic", "value_template"},
    "button": COMMON | {"command_template", "command_topic", "device_class", "payload_press", "retain"},
}
REQUIRED = {"sensor": {"state_topic"}, "binary_sensor": {"state_topic"}, "button": {"command_topic"}}
DEVICE_FIELDS = {"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model", "model_id",
                 "name", "serial_number", "suggested_area", "sw_version", "via_device"}
ORIGIN_FIELDS = {"name", "sw_version", "support_url"}
# device classes Home Assistant lists for what we use (sensor: enum, duration; button; binary_sensor)
DEVICE_CLASSES = {"sensor": {"enum", "duration"}, "button": {"identify", "restart", "update"},
                  "binary_sensor": {"sound", "occupancy", "presence", "running"}}
DURATION_UNITS = {"d", "h", "min", "s", "ms"}


def _component(topic):
    return topic.split("/")[-4]


def test_every_document_uses_only_fields_home_assistant_documents():
    docs = documents("puck-a1", talking=True, info={"board": "esp32s3-devkit", "fw": "0.1.0", "room": "Family room"})
    assert {_component(t) for t, _ in docs} == {"sensor", "binary_sensor", "button"}
    for topic, doc in docs:
        comp = _component(topic)
        assert set(doc) <= DOCUMENTED[comp], (topic, set(doc) - DOCUMENTED[comp])
        assert REQUIRED[comp] <= set(doc), topic
        assert set(doc["device"]) <= DEVICE_FIELDS and doc["device"]["identifiers"] == ["talkpuck_puck_a1"]
        assert set(doc["origin"]) <= ORIGIN_FIELDS and doc["origin"]["name"]
        if "device_class" in doc:
            assert doc["device_class"] in DEVICE_CLASSES[comp], topic
        if doc.get("device_class") == "enum":          # HA: an enum sensor has options, no unit, no state class
            assert doc["options"] == PHASES and "unit_of_measurement" not in doc and "state_class" not in doc
        if doc.get("device_class") == "duration":
            assert doc["unit_of_measurement"] in DURATION_UNITS
        # availability is the puck's own retained status (its birth and last will)
        assert doc["availability_topic"] == "talkpuck/v1/puck-a1/status"
        assert (doc["payload_available"], doc["payload_not_available"]) == ("online", "offline")
        assert topic == "homeassistant/%s/talkpuck_puck_a1/%s/config" % (comp, doc["unique_id"].rsplit("_", 1)[-1]) \
            or topic.startswith("homeassistant/%s/talkpuck_puck_a1/" % comp)
    assert len({d["unique_id"] for _, d in docs}) == len(docs)


def test_what_each_entity_reads_and_the_button_writes():
    by_obj = {t.split("/")[-2]: d for t, d in documents("puck-a1", talking=True)}
    assert set(by_obj) == {"phase", "time_left", "hands", "identify", "talking"}
    for obj in ("phase", "time_left", "hands", "talking"):
        assert by_obj[obj]["state_topic"] == "talkpuck/v1/puck-a1/state"
    # the templates read fields the puck's `state` schema has
    with open(os.path.join("host", "talkpuck", "protocol", "schemas", "state.json")) as f:
        state_fields = set(json.load(f)["properties"])
    for obj, field in (("phase", "phase"), ("time_left", "remaining_s"), ("hands", "hands"), ("talking", "talking")):
        assert "value_json.%s" % field in by_obj[obj]["value_template"] and field in state_fields
    assert by_obj["identify"]["command_topic"] == BUTTON_TOPIC % "puck-a1" == "talkpuck/v1/host/ha/puck-a1/identify"
    assert by_obj["identify"]["payload_press"] == "PRESS" and by_obj["identify"]["retain"] is False


def test_talking_only_when_enabled_and_the_prefix_is_configurable():
    assert not any("/binary_sensor/" in t for t, _ in documents("puck-a1"))
    assert any("/binary_sensor/" in t for t, _ in documents("puck-a1", talking=True))
    assert all(t.startswith("ha-office/") for t, _ in documents("puck-a1", prefix="ha-office"))
    for bad in ("", "a/#", "+", "/x", "x/", "a//b", "talkpuck/ha"):
        with pytest.raises(ConfigError):
            check_prefix(bad)
    from talkpuck.service.settings import Settings
    s = Settings("mqtt://127.0.0.1:1")
    assert (s.ha_discovery, s.ha_prefix, s.ha_talking) == (False, PREFIX_DEFAULT, False)
    with pytest.raises(ConfigError):
        Settings("mqtt://127.0.0.1:1", ha_talking=True)       # talking needs discovery on
    with pytest.raises(ConfigError):
        Settings("mqtt://127.0.0.1:1", ha_discovery=True, ha_prefix="a/+")
    args = cli.build_parser().parse_args(["serve", "--ha-discovery", "--ha-prefix", "x", "--ha-talking"])
    assert (args.ha_discovery, args.ha_prefix, args.ha_talking) == (True, "x", True)


def test_button_presses_become_commands_and_bad_ones_are_counted():
    sent, published = [], []
    ha = HaDiscovery(lambda t, p, r: published.append((t, p, r)), lambda d, v, a: sent.append((d, v, a)),
                     lambda: iter([("puck-a1", {})]))
    assert ha.handle(BUTTON_TOPIC % "puck-a1", b"PRESS", False)
    assert sent == [("puck-a1", "identify", {"seconds": 10})] and ha.presses == 1
    for topic, payload, retained in ((BUTTON_TOPIC % "puck-a1", b"press", False),
                                     (BUTTON_TOPIC % "puck-a1", b"PRESS", True),
                                     (BUTTON_TOPIC % "Bad_Id", b"PRESS", False)):
        assert ha.handle(topic, payload, retained)
    assert ha.rejected == 3 and len(sent) == 1
    assert not ha.handle("talkpuck/v1/puck-a1/state", b"{}", True)      # a puck's message: ingest's
    assert ha.handle("homeassistant/status", b"online", False)          # HA restarted: configs again
    assert {t for t, _, r in published if r} >= {t for t, _ in documents("puck-a1")}


def test_remove_sends_an_empty_retained_config_for_every_entity():
    msgs = remove_messages("puck-a1")
    assert {t for t, _ in msgs} == {t for t, _ in documents("puck-a1", talking=True)}
    assert all(p == b"" for _, p in msgs)


# -- against a real Mosquitto ---------------------------------------------------------------------
needs_mosquitto = pytest.mark.skipif(mosquitto_binary() is None, reason="needs mosquitto")


class Watcher:
    def __init__(self, url, topics):
        from talkpuck.mqtt.link import MqttLink
        self.msgs = []
        self.link = MqttLink(url, "t-ha-%d" % time.monotonic_ns(), topics, clean_session=True,
                             on_message=lambda t, p, r: self.msgs.append((t, bytes(p), r)))
        self.link.start()

    def got(self, topic):
        return [(p, r) for t, p, r in self.msgs if t == topic]


@needs_mosquitto
def test_off_by_default_nothing_under_the_prefix(mosquitto, tmp_path, puck):
    from talkpuck.service.hostapp import HostApp
    w = Watcher(mosquitto.url, ["homeassistant/#"])
    with HostApp(mosquitto.url, data_dir=str(tmp_path / "var")) as host:
        puck.example("status_online")
        puck.example("info")
        assert host.wait_idle(0.5, 10)
        time.sleep(0.3)
    assert not [t for t, p, _ in w.msgs if puck.device in t.replace("_", "-") and p]
    w.link.stop()


@needs_mosquitto
def test_host_publishes_turns_the_press_into_a_command_and_removes_a_deleted_puck(mosquitto, tmp_path, puck):
    from talkpuck.cli import runtime
    from talkpuck.service.hostapp import HostApp
    data = str(tmp_path / "var")
    prefix = "ha-%d" % os.getpid()
    host = HostApp(mosquitto.url, data_dir=data, ha_discovery=True, ha_prefix=prefix)
    host.start()
    try:
        puck.example("status_online")
        puck.example("info")
        node = "talkpuck_" + puck.device.replace("-", "_")
        phase_topic = config_topic(prefix, "sensor", puck.device, "phase")
        w = Watcher(mosquitto.url, [prefix + "/#"])
        # announced when the puck is first seen, again with its `info` (board, firmware, room)
        wait_for(lambda: any(b"esp32s3-devkit" in p for p, _ in w.got(phase_topic)), 10)
        w.link.stop()
        w = Watcher(mosquitto.url, [prefix + "/#"])          # Home Assistant starting later: retained
        wait_for(lambda: w.got(phase_topic), 10)
        payload, retained = w.got(phase_topic)[0]
        doc = json.loads(payload)
        assert retained and doc["device"]["identifiers"] == [node] and doc["device"]["model"] == "esp32s3-devkit"
        assert not [p for p, _ in w.got(config_topic(prefix, "binary_sensor", puck.device, "talking")) if p]  # off

        # Home Assistant presses the button: the host sends a real, fresh command
        n0 = len(puck.commands("identify"))
        presser = Watcher(mosquitto.url, [])
        presser.link.publish(BUTTON_TOPIC % puck.device, b"PRESS", qos=1).wait_for_publish(5)
        wait_for(lambda: len(puck.commands("identify")) > n0, 10)
        _verb, cmd = puck.commands("identify")[-1]
        assert cmd["seconds"] == 10 and cmd["id"] and cmd["ttl_s"] > 0 and abs(cmd["ts"] - time.time() * 1000) < 10000
        presser.link.publish(BUTTON_TOPIC % puck.device, b"{\"verb\":\"config\"}", qos=1).wait_for_publish(5)
        wait_for(lambda: host.ha.rejected == 1, 10)
        assert len(puck.commands("identify")) == n0 + 1 and host.ha.presses == 1

        # `talkpuck device remove` (or `talkpuck ha remove`) while the host runs: entities emptied
        runtime.write(data, broker_url=mosquitto.url, ha_prefix=prefix)
        assert cli.main(["ha", "remove", puck.device, "--data-dir", data]) == 0
        late = Watcher(mosquitto.url, [prefix + "/#"])
        time.sleep(0.5)
        assert not [t for t, p, _ in late.msgs if node in t and p], "a retained config survived the removal"
        for wt in (w, presser, late):
            wt.link.stop()
    finally:
        host.stop()


@needs_mosquitto
def test_home_assistant_login_reads_state_and_presses_but_never_commands(tmp_path):
    import ssl
    import threading

    import paho.mqtt.client as mqtt

    from talkpuck.mqtt.broker import Broker, free_port
    from talkpuck.security.ca import init_certificates
    from talkpuck.security.credentials import HA_USER, Credentials, security_dir
    from talkpuck.security.mosquitto_conf import SecureBroker

    data = str(tmp_path / "var")
    sec = security_dir(data)
    init_certificates(sec, ["127.0.0.1"])
    creds = Credentials(sec)
    with open(creds.add_device("puck-a1", "127.0.0.1")) as f:
        puck_pw = json.load(f)["mqtt_password"]
    assert cli.main(["ha", "login", "--data-dir", data]) == 0
    user, ha_pw, path = creds.ensure_ha()
    assert user == HA_USER and oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert HA_USER not in creds.devices()
    secure = SecureBroker(sec, "127.0.0.1", free_port())
    broker = Broker.start(data_dir=data, secure=secure)
    clients = []

    def client(user, pw):
        got, up = [], threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="t-%s-%d" % (user, time.monotonic_ns()))
        c.tls_set_context(ssl.create_default_context(cafile=os.path.join(sec, "ca.crt")))
        c.username_pw_set(user, pw)
        c.on_connect = lambda *a: up.set()
        c.on_message = lambda cl, u, m: got.append((m.topic, bytes(m.payload)))
        c.connect("127.0.0.1", secure.tls_port)
        c.loop_start()
        assert up.wait(5)
        clients.append(c)
        return c, got

    try:
        ha, ha_got = client(HA_USER, ha_pw)
        pk, pk_got = client("puck-a1", puck_pw)
        host, host_got = client("host", secure.password)
        for c, topics in ((ha, ["talkpuck/#", "homeassistant/#"]), (pk, ["talkpuck/v1/puck-a1/cmd/#"]),
                          (host, ["talkpuck/v1/host/ha/#"])):
            for t in topics:
                c.subscribe(t, 1)
        time.sleep(0.5)
        pk.publish("talkpuck/v1/puck-a1/state", b'{"phase":"running"}', 1).wait_for_publish(5)
        pk.publish("talkpuck/v1/puck-a1/evt/turn", b'{"seq":1}', 1).wait_for_publish(5)
        host.publish("homeassistant/sensor/talkpuck_puck_a1/phase/config", b'{"name":"x"}', 1).wait_for_publish(5)
        ha.publish("talkpuck/v1/puck-a1/cmd/identify", b'{"id":"c-1"}', 1).wait_for_publish(5)   # refused
        ha.publish("talkpuck/v1/host/ha/puck-a1/identify", b"PRESS", 1).wait_for_publish(5)      # allowed
        ha.publish("homeassistant/sensor/x/y/config", b"{}", 1).wait_for_publish(5)             # refused
        wait_for(lambda: ("talkpuck/v1/host/ha/puck-a1/identify", b"PRESS") in host_got, 5)
        time.sleep(0.5)
        ha_topics = {t for t, _ in ha_got}
        assert "talkpuck/v1/puck-a1/state" in ha_topics                      # reads state
        assert "homeassistant/sensor/talkpuck_puck_a1/phase/config" in ha_topics   # reads discovery
        assert "talkpuck/v1/puck-a1/evt/turn" not in ha_topics               # not the events
        assert not pk_got, "Home Assistant's login commanded a puck"
        assert "homeassistant/sensor/x/y/config" not in ha_topics
    finally:
        for c in clients:
            c.disconnect()
            c.loop_stop()
        broker.stop()

"""mqtt_link — the host's one MQTT connection (the only module that imports paho).

Protocol and resilience in one small class: the first connect fails loudly (TalkpuckError), later
outages are handled by paho's reconnect loop with exponential backoff (`reconnect_min_s` to
`reconnect_max_s`); every (re)connect re-subscribes, because a broker without persistence forgets
the session. Messages are handed to `on_message(topic, payload, retained)` on paho's thread; paho
acknowledges a QoS 1 message only after that returns, so a message is stored before it is acked.
"""
import logging
import threading
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from talkpuck.errors import ConfigError, TalkpuckError

log = logging.getLogger(__name__)


def parse_broker_url(url):
    """'mqtt://host:port' -> (host, port)."""
    u = urlparse(url if "://" in url else "mqtt://" + url)
    if u.scheme not in ("mqtt", "tcp") or not u.hostname:
        raise ConfigError("broker URL %r: expected mqtt://host:port" % url)
    return u.hostname, u.port or 1883


class MqttLink:
    reconnect_min_s = 1
    reconnect_max_s = 30
    keepalive_s = 30

    def __init__(self, url, client_id, subscriptions=(), on_message=None, on_up=None,
                 clean_session=False, will=None):
        self.host, self.port = parse_broker_url(url)
        self.url = url
        self.client_id = client_id
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.on_up = on_up
        self.up = threading.Event()           # connected and subscribed
        self.connects = 0
        c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                        clean_session=clean_session, protocol=mqtt.MQTTv311)
        c.reconnect_delay_set(min_delay=self.reconnect_min_s, max_delay=self.reconnect_max_s)
        c.max_inflight_messages_set(100)
        c.suppress_exceptions = True
        if will:
            c.will_set(will[0], will[1], qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        self._client = c
        self._pending_sub = None
        self._stopping = False

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self, timeout_s=10):
        """Connect, start the network thread and wait until subscribed; raises TalkpuckError if not."""
        try:
            self._client.connect(self.host, self.port, keepalive=self.keepalive_s)
        except OSError as e:
            raise TalkpuckError("cannot reach the MQTT broker at %s: %s" % (self.url, e))
        self._client.loop_start()
        if not self.up.wait(timeout_s):
            self.stop()
            raise TalkpuckError("MQTT broker at %s did not accept the connection within %ss" % (self.url, timeout_s))

    def stop(self, last=None):
        """Disconnect cleanly; `last` = (topic, payload) is published (retained) first, e.g. offline."""
        if last is not None and self.up.is_set():
            info = self._client.publish(last[0], last[1], qos=1, retain=True)
            try:
                info.wait_for_publish(2)
            except (RuntimeError, ValueError):
                pass
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        self.up.clear()

    def publish(self, topic, payload, qos=1, retain=False):
        """Queue a message; paho sends QoS 1 messages after a reconnect if the link is down now."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info

    # -- paho callbacks (network thread) --------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties=None):
        if reason_code.is_failure:
            log.warning("mqtt: connect to %s refused: %s", self.url, reason_code)
            return
        self.connects += 1
        log.info("mqtt: connected to %s as %s (session present: %s)", self.url, self.client_id,
                 getattr(flags, "session_present", None))
        if self.subscriptions:
            res, mid = client.subscribe([(s, 1) for s in self.subscriptions])
            self._pending_sub = mid
        else:
            self._set_up()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties=None):
        if mid == self._pending_sub:
            self._set_up()

    def _set_up(self):
        self.up.set()
        if self.on_up:
            try:
                self.on_up()
            except Exception:
                log.exception("mqtt: on_up handler failed")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties=None):
        if self.up.is_set() and not self._stopping:
            log.warning("mqtt: lost %s (%s); reconnecting with backoff", self.url, reason_code)
        self.up.clear()

    def _on_message(self, client, userdata, msg):
        if self.on_message:
            try:
                self.on_message(msg.topic, msg.payload, bool(msg.retain))
            except Exception:   # a handler bug must not kill the network thread
                log.exception("mqtt: handler failed for %s", msg.topic)

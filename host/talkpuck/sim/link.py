"""link — the simulated puck's MQTT link: paho-mqtt behind the firmware's async link interface.

Mirrors what the device's client does: MQTT 3.1.1, clean_session=False with the device id as
client id and username, a last will of `offline`, QoS 1 publishes that return when the broker
acks, and every fault raised as OSError so the puck has one reconnect path. Reconnecting is the
puck's job (puckcore/puck.py), so each connect() makes a fresh paho client.
"""
import asyncio

import paho.mqtt.client as mqtt

from talkpuck.mqtt.broker import parse_url


class PahoLink:
    connect_timeout_s = 5.0
    publish_timeout_s = 10.0

    def __init__(self, broker_url, client_id):
        self.host, self.port = parse_url(broker_url)
        self.client_id = client_id
        self.up = False
        self.connects = 0
        self._client = None
        self._loop = None
        self._queue = None
        self._connected = None
        self.published = []  # (topic, payload) of every acked publish, for tests and the privacy check
        self.keep_published = False

    async def connect(self, will_topic, will_payload):
        self._loop = asyncio.get_running_loop()
        if self._queue is None:
            self._queue = asyncio.Queue()
        await self.close()
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        c.username_pw_set(self.client_id)
        c.will_set(will_topic, will_payload, qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        self._subacks = {}
        self._connected = asyncio.Event()
        self._client = c
        try:
            await self._loop.run_in_executor(None, c.connect, self.host, self.port, 30)
        except OSError:
            self._client = None
            raise
        c.loop_start()
        try:
            await asyncio.wait_for(self._connected.wait(), self.connect_timeout_s)
        except asyncio.TimeoutError:
            await self.close()
            raise OSError("MQTT connect timed out")
        if not self.up:
            await self.close()
            raise OSError("MQTT connect refused")
        self.connects += 1

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        ok = not reason_code.is_failure
        self._loop.call_soon_threadsafe(self._set_up, client, ok)

    def _set_up(self, client, ok):
        if client is self._client:
            self.up = ok
            self._connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._loop.call_soon_threadsafe(self._set_down, client)

    def _set_down(self, client):
        if client is self._client:
            self.up = False

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        ok = not any(rc.is_failure for rc in reason_codes)
        self._loop.call_soon_threadsafe(self._suback, mid, ok)

    def _suback(self, mid, ok):
        waiter = self._subacks.get(mid)
        if waiter is not None:
            waiter[1] = ok
            waiter[0].set()

    def _on_message(self, client, userdata, msg):
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (msg.topic, bytes(msg.payload)))

    async def publish(self, topic, payload, qos, retain):
        c = self._client
        if c is None or not self.up:
            raise OSError("MQTT link down")
        info = c.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise OSError("MQTT publish failed: rc=%s" % info.rc)
        if qos:
            waited = 0.0
            while not info.is_published():
                if not self.up or c is not self._client:
                    raise OSError("MQTT link lost before PUBACK")
                if waited > self.publish_timeout_s:
                    raise OSError("MQTT PUBACK timed out")
                await asyncio.sleep(0.002)
                waited += 0.002
        if self.keep_published:
            self.published.append((topic, bytes(payload)))

    async def subscribe(self, topic, qos):
        c = self._client
        if c is None or not self.up:
            raise OSError("MQTT link down")
        # wait for the SUBACK, as the device client does: a command sent right after a first
        # connect must not race the subscription
        done = [asyncio.Event(), False]
        rc, mid = c.subscribe(topic, qos)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            raise OSError("MQTT subscribe failed: rc=%s" % rc)
        self._subacks[mid] = done
        try:
            await asyncio.wait_for(done[0].wait(), self.connect_timeout_s)
        except asyncio.TimeoutError:
            raise OSError("MQTT SUBACK timed out")
        finally:
            self._subacks.pop(mid, None)
        if not done[1]:
            raise OSError("MQTT subscription to %s refused" % topic)

    async def recv(self):
        while self._queue is None:
            await asyncio.sleep(0.05)
        return await self._queue.get()

    async def close(self):
        c = self._client
        self._client = None
        self.up = False
        if c is not None:
            # loop_stop() joins paho's thread, which may sit in a reconnect attempt: never block
            # the puck's event loop on it (the button and ring tasks must keep running)
            await asyncio.get_running_loop().run_in_executor(None, _close_client, c)


def _close_client(c):
    try:
        c.disconnect()
    except Exception:  # already gone
        pass
    c.loop_stop()

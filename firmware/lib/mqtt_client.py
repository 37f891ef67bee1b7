"""mqtt_client — a small async MQTT 3.1.1 client (QoS 0/1, last will, persistent session, keepalive).

The puck's `hal.link`, with the same interface as the simulator's PahoLink (host/talkpuck/mqtt/link.py):

    up                                     True between a CONNACK and the first fault
    await connect(will_topic, will_payload)  opens the socket (after `net.ensure()`, e.g. Wi-Fi)
    await publish(topic, payload, qos, retain)  QoS 1 returns after the PUBACK
    await subscribe(topic, qos)            returns after the SUBACK
    await recv() -> (topic, payload, retained)  incoming messages, across reconnects; `retained`
                                           is the PUBLISH's retain flag (the puck drops retained commands)
    await close()

Over TLS when given an SSLContext (`ssl=`, lib/mqtt_tls.py): the socket is wrapped with it and the
server's certificate checked against the host name. The username is the device id and the password
the puck's `mqtt_password` (talkpuck device add).

Every fault (refused, timeout, reset, malformed packet, link down) is an OSError, so the app has
one reconnect path (as peterhinch's mqtt_as); reconnecting is the caller's job. Runs on MicroPython
asyncio streams (and CPython asyncio). The client id and username are the device id and the
session is persistent (clean_session=False), so QoS 1 commands sent while the puck was away arrive
after it reconnects. The inbound queue (a puckcore.ringqueue.RingQueue, sized from `inbox_max` when
the first connect is made) holds `inbox_max` messages; past that the oldest is dropped and counted
in `discards`. Packets larger than `max_packet` are skipped and counted there too (`skipped` alone).
`discards` and `last_error` reach the puck's `tele`.
"""
import asyncio

import mqtt_packets as mp
from puckcore.ringqueue import RingQueue
from puckcore.ticks import ticks_diff, ticks_ms


class NoNet:
    """The network is always there (the unix port, or a wired puck)."""

    async def ensure(self):
        return None

    def rssi(self):
        return None


class MQTTClient:
    keepalive_s = 60
    connect_timeout_s = 10
    ack_timeout_s = 10
    inbox_max = 16
    max_packet = 4096
    opener = None  # tests hand in a fake `open_connection(host, port)`; None: asyncio's

    def __init__(self, host, port, client_id, password=None, net=None, ssl=None):
        self.host = host
        self.port = port
        self.ssl = ssl
        self.client_id = client_id
        self.password = password or None
        self.net = net or NoNet()
        self.up = False
        self.connects = 0
        self.skipped = 0  # packets over max_packet, read past and dropped
        self.last_error = None
        self._reader = None
        self._writer = None
        self._tasks = []
        self._pid = 0
        self._pending = {}  # packet id -> asyncio.Event, set by the reader on PUBACK/SUBACK
        self._granted = {}  # packet id -> SUBACK ok
        self._inbox_event = asyncio.Event()
        self._inbox = RingQueue(self.inbox_max, self._inbox_event)
        self._wlock = asyncio.Lock()
        self._last_rx = 0

    @property
    def discards(self):
        """Incoming messages lost: pushed out of a full inbox, or too large to take."""
        return self._inbox.dropped + self.skipped

    # -- connection -----------------------------------------------------------------------------
    async def connect(self, will_topic, will_payload):
        await self.close()
        if self._inbox.size != self.inbox_max and not len(self._inbox):
            # inbox_max was set after construction (tests, or a board's config): size it now
            self._inbox = RingQueue(self.inbox_max, self._inbox_event)
        try:
            await self.net.ensure()
            if self.ssl is not None:
                opening = (self.opener or asyncio.open_connection)(
                    self.host, self.port, ssl=self.ssl, server_hostname=self.host)
            else:
                opening = (self.opener or asyncio.open_connection)(self.host, self.port)
            reader, writer = await asyncio.wait_for(opening, self.connect_timeout_s)
            self._reader, self._writer = reader, writer
            packet = mp.connect_packet(self.client_id, self.keepalive_s, False, will_topic, will_payload,
                                       1, True, self.client_id, self.password)
            writer.write(packet)
            await writer.drain()
            first, body = await asyncio.wait_for(self._read_packet(), self.connect_timeout_s)
            if first & 0xF0 != mp.CONNACK:
                raise ValueError("MQTT expected CONNACK, got 0x%02x" % first)
            mp.parse_connack(body)
        except Exception as e:  # every way a connect can fail becomes one OSError
            await self._drop()
            raise self._oserror(e, "connect")
        self.up = True
        self.connects += 1
        self._last_rx = ticks_ms()
        self._tasks = [asyncio.create_task(self._read_loop()), asyncio.create_task(self._keepalive())]

    async def close(self):
        """Disconnect cleanly if up (no will is sent), stop the tasks, close the socket."""
        if self.up and self._writer is not None:
            try:
                await asyncio.wait_for(self._write(mp.DISCONNECT_PACKET), 2)
            except Exception:
                pass
        await self._drop()

    async def _drop(self):
        self.up = False
        for t in self._tasks:
            t.cancel()
        self._tasks = []
        w = self._writer
        self._reader = self._writer = None
        if w is not None:
            try:
                w.close()
                await w.wait_closed()
            except Exception:
                pass
        for ev in self._pending.values():
            ev.set()  # wake waiters: they see `up` is False and raise
        self._pending = {}

    def _down(self, e):
        if self.up:
            self.last_error = repr(e)
        self.up = False
        for ev in self._pending.values():
            ev.set()

    def _oserror(self, e, what):
        self.last_error = repr(e)
        if isinstance(e, OSError):
            return e
        return OSError("MQTT %s: %r" % (what, e))

    # -- requests -----------------------------------------------------------------------------
    async def publish(self, topic, payload, qos=0, retain=False):
        if not self.up:
            raise OSError("MQTT link down")
        if type(payload) is str:
            payload = payload.encode()
        pid = self._next_pid() if qos else 0
        ev = self._expect(pid) if qos else None
        await self._write(mp.publish_header(topic, len(payload), qos, retain, pid), payload)
        if qos:
            await self._wait_ack(pid, ev, "PUBACK")

    async def subscribe(self, topic, qos=1):
        if not self.up:
            raise OSError("MQTT link down")
        pid = self._next_pid()
        ev = self._expect(pid)
        await self._write(mp.subscribe_packet(pid, topic, qos))
        await self._wait_ack(pid, ev, "SUBACK")
        if not self._granted.pop(pid, False):
            raise OSError("MQTT subscribe to %s refused" % topic)

    async def recv(self):
        while not len(self._inbox):
            self._inbox_event.clear()
            await self._inbox_event.wait()
        return self._inbox.get_nowait()

    def _next_pid(self):
        self._pid = self._pid % 65535 + 1
        return self._pid

    def _expect(self, pid):
        ev = asyncio.Event()
        self._pending[pid] = ev
        return ev

    async def _wait_ack(self, pid, ev, what):
        try:
            await asyncio.wait_for(ev.wait(), self.ack_timeout_s)
        except asyncio.TimeoutError:
            self._pending.pop(pid, None)
            await self._drop()  # a broker that stops acking is treated as gone
            raise OSError("MQTT %s timed out" % what)
        if self._pending.pop(pid, None) is not None or not self.up:
            raise OSError("MQTT link lost before %s" % what)

    async def _write(self, header, payload=None):
        w = self._writer
        if w is None:
            raise OSError("MQTT link down")
        async with self._wlock:
            try:
                w.write(header)
                if payload:
                    w.write(payload)
                await w.drain()
            except Exception as e:
                self._down(e)
                raise self._oserror(e, "write")

    # -- incoming -----------------------------------------------------------------------------
    async def _read_packet(self):
        r = self._reader
        assert r is not None  # set while connected: _drop() cancels the read loop before clearing it
        first = (await r.readexactly(1))[0]
        n = 0
        mult = 1
        for _ in range(4):
            b = (await r.readexactly(1))[0]
            n += (b & 0x7F) * mult
            if not b & 0x80:
                break
            mult *= 128
        else:
            raise ValueError("MQTT bad remaining length")
        if n > self.max_packet:
            while n:  # skip it in small pieces: the stream stays in step
                k = min(n, 256)
                await r.readexactly(k)
                n -= k
            self.skipped += 1
            return first, None
        body = await r.readexactly(n) if n else b""
        return first, body

    async def _read_loop(self):
        try:
            while True:
                first, body = await self._read_packet()
                self._last_rx = ticks_ms()
                if body is None:
                    continue
                kind = first & 0xF0
                if kind == mp.PUBLISH:
                    topic, payload, qos, pid, retain = mp.parse_publish(first, body)
                    if qos == 1:
                        await self._write(mp.puback_packet(pid))
                    self._deliver(topic, payload, retain)
                elif kind == mp.PUBACK or kind == mp.SUBACK:
                    pid = mp.packet_id(body)
                    if kind == mp.SUBACK:
                        self._granted[pid] = mp.suback_ok(body)
                    ev = self._pending.pop(pid, None)
                    if ev is not None:
                        ev.set()
                # PINGRESP only refreshes _last_rx; anything else a 3.1.1 broker sends us is ignored
        except asyncio.CancelledError:
            raise
        except Exception as e:  # EOF, reset, malformed: the link is down
            self._down(e)

    def _deliver(self, topic, payload, retain=False):
        self._inbox.put((topic, payload, retain))  # full: the oldest is dropped and counted; wakes recv()

    async def _keepalive(self):
        period = self.keepalive_s // 2
        try:
            while self.up:
                await asyncio.sleep(period)
                if ticks_diff(ticks_ms(), self._last_rx) > (self.keepalive_s + period) * 1000:
                    self._down(OSError("MQTT keepalive: broker silent"))
                    break
                await self._write(mp.PINGREQ_PACKET)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._down(e)


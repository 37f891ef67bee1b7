"""mqttlite — a small asyncio MQTT 3.1.1 client for many simulated pucks in one process.

paho runs a thread per client (talkpuck.mqtt.link.PahoLink): right for a few simulated pucks, too
heavy for a thousand. This client is one asyncio task per connection on one event loop:

    c = LiteClient("127.0.0.2", 8883, "puck-a1", password, ssl_ctx, will=(topic, b"offline"))
    await c.connect(); await c.subscribe(topic); await c.publish(topic, payload, qos=1)
    await c.close()

What a puck needs and nothing more: CONNECT with a login and a retained QoS 1 last will,
clean_session=False, PUBLISH QoS 0/1 (a QoS 1 publish returns when the broker's PUBACK arrives),
SUBSCRIBE (waits for the SUBACK, refused subscriptions raise), PUBACK for inbound QoS 1 commands,
PINGREQ every keepalive/2. Every fault is an OSError, as on the device (puckcore/puck.py has one
reconnect path). Inbound messages go to `on_message(topic, payload, retained)`.
"""
import asyncio
import ssl
import struct
from collections.abc import Callable

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 1, 2, 3, 4, 8, 9, 12, 13, 14


def _str(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def _packet(kind: int, flags: int, body: bytes) -> bytes:
    n = len(body)
    length = bytearray()
    while True:
        byte = n % 128
        n //= 128
        length.append(byte | 0x80 if n else byte)
        if not n:
            break
    return bytes([(kind << 4) | flags]) + bytes(length) + body


def connect_packet(client_id: str, user: str | None, password: str | None, will: tuple[str, bytes] | None = None,
                   keepalive_s: int = 60, clean: bool = False) -> bytes:
    flags = 0 if not clean else 0x02
    payload = _str(client_id)
    if will:
        flags |= 0x04 | (1 << 3) | 0x20      # will, will QoS 1, will retain
        payload += _str(will[0]) + _str(will[1])
    if user is not None:
        flags |= 0x80
        payload += _str(user)
    if password is not None:
        flags |= 0x40
        payload += _str(password)
    return _packet(CONNECT, 0, _str("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive_s) + payload)


def publish_packet(topic: str, payload: bytes, qos: int, retain: bool, mid: int) -> bytes:
    body = _str(topic) + (struct.pack("!H", mid) if qos else b"") + payload
    return _packet(PUBLISH, (qos << 1) | (1 if retain else 0), body)


class LiteClient:
    connect_timeout_s = 10.0
    ack_timeout_s = 30.0
    keepalive_s = 60

    def __init__(self, host: str, port: int, client_id: str, password: str | None = None,
                 ssl_ctx: ssl.SSLContext | None = None, will: tuple[str, bytes] | None = None,
                 on_message: Callable[[str, bytes, bool], object] | None = None, user: str | None = None) -> None:
        self.host, self.port = host, port
        self.client_id = client_id
        self.user = user if user is not None else client_id   # as the device: the id is the login
        self.password = password
        self.ssl = ssl_ctx
        self.will = will
        self.on_message = on_message
        self.up = False
        self._mid = 0
        self._waiting: dict[int, asyncio.Future[bytes]] = {}            # mid -> Future (PUBACK / SUBACK)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.received = 0

    def _send(self, packet: bytes) -> None:
        if self._writer is None:
            raise OSError("MQTT link down")
        self._writer.write(packet)

    def _next_mid(self) -> int:
        self._mid = self._mid % 65535 + 1
        return self._mid

    async def connect(self) -> None:
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=self.ssl,
                                        server_hostname=self.host if self.ssl else None),
                self.connect_timeout_s)
            self._send(connect_packet(self.client_id, self.user, self.password, self.will, self.keepalive_s))
            kind, _flags, body = await asyncio.wait_for(self._read_packet(), self.connect_timeout_s)
        except asyncio.TimeoutError:
            await self.close()
            raise OSError("MQTT connect timed out")
        except asyncio.IncompleteReadError:
            await self.close()
            raise OSError("MQTT connect refused (the broker closed the connection)")
        except OSError:
            await self.close()
            raise
        if kind != CONNACK or len(body) < 2 or body[1] != 0:
            await self.close()
            raise OSError("MQTT connect refused (code %s)" % (body[1] if len(body) > 1 else "?"))
        self.up = True
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read_loop()), loop.create_task(self._ping_loop())]

    async def _read_packet(self) -> tuple[int, int, bytes]:
        r = self._reader
        if r is None:
            raise OSError("MQTT link down")
        head = await r.readexactly(1)
        n, shift = 0, 0
        while True:
            b = (await r.readexactly(1))[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        body = await r.readexactly(n) if n else b""
        return head[0] >> 4, head[0] & 0x0F, body

    async def _read_loop(self) -> None:
        try:
            while True:
                kind, flags, body = await self._read_packet()
                if kind in (PUBACK, SUBACK):
                    mid = struct.unpack("!H", body[:2])[0]
                    fut = self._waiting.pop(mid, None)
                    if fut is not None and not fut.done():
                        fut.set_result(body[2:])
                elif kind == PUBLISH:
                    qos = (flags >> 1) & 3
                    tlen = struct.unpack("!H", body[:2])[0]
                    topic = body[2:2 + tlen].decode()
                    pos = 2 + tlen
                    if qos:
                        mid = body[pos:pos + 2]
                        pos += 2
                        self._send(_packet(PUBACK, 0, mid))
                    self.received += 1
                    if self.on_message is not None:
                        self.on_message(topic, body[pos:], bool(flags & 1))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self._down()

    async def _ping_loop(self) -> None:
        while self.up:
            await asyncio.sleep(self.keepalive_s / 2)
            if self.up:
                self._send(_packet(PINGREQ, 0, b""))

    def _down(self) -> None:
        self.up = False
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(OSError("MQTT link lost"))
        self._waiting.clear()

    async def _wait(self, mid: int) -> bytes:
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[mid] = fut
        try:
            return await asyncio.wait_for(fut, self.ack_timeout_s)
        except asyncio.TimeoutError:
            self._waiting.pop(mid, None)
            raise OSError("MQTT ack %d timed out" % mid)

    async def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        if not self.up:
            raise OSError("MQTT link down")
        mid = self._next_mid() if qos else 0
        self._send(publish_packet(topic, payload, qos, retain, mid))
        if qos:
            await self._wait(mid)

    async def subscribe(self, topic: str, qos: int = 1) -> None:
        if not self.up:
            raise OSError("MQTT link down")
        mid = self._next_mid()
        self._send(_packet(SUBSCRIBE, 2, struct.pack("!H", mid) + _str(topic) + bytes([qos])))
        codes = await self._wait(mid)
        if not codes or codes[0] == 0x80:
            raise OSError("MQTT subscription to %s refused" % topic)

    async def close(self, clean: bool = True) -> None:
        """clean=True sends DISCONNECT (no last will); False drops the socket (the broker sends the will)."""
        was_up = self.up
        self.up = False
        for t in self._tasks:
            t.cancel()
        self._tasks = []
        w = self._writer
        self._writer = None
        if w is not None:
            try:
                if clean and was_up:
                    w.write(_packet(DISCONNECT, 0, b""))
                w.close()
                await asyncio.wait_for(w.wait_closed(), 2)
            except (OSError, asyncio.TimeoutError):
                w.transport.abort()
        self._down()

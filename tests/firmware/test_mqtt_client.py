"""mqtt_client against a scripted in-memory broker: acks awaited, faults become OSError, the inbox
is bounded (oldest dropped, counted), oversized packets skipped, QoS 1 deliveries acked."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

import asyncio  # noqa: E402

import mqtt_packets as mp  # noqa: E402
from mqtt_client import MQTTClient  # noqa: E402


class FakeBroker:
    """One connection's stream: answers CONNECT, PUBLISH QoS 1 and SUBSCRIBE like a broker would."""

    def __init__(self, connack_rc=0, ack=True, grant=1):
        self.connack_rc = connack_rc
        self.ack = ack
        self.grant = grant
        self.rx = bytearray()  # what the client will read
        self.sent = []  # packets the client wrote (first byte, whole packet)
        self.closed = False

    async def open(self, host, port):
        return self, self

    # -- the client's reader side
    async def readexactly(self, n):
        while len(self.rx) < n:
            if self.closed:
                raise EOFError("closed")
            await asyncio.sleep(0.001)
        out = bytes(self.rx[:n])
        self.rx = self.rx[n:]
        return out

    # -- the client's writer side
    def write(self, b):
        if self.closed:
            raise OSError("closed")
        b = bytes(b)
        if self.sent and self.sent[-1][1] is None:  # a payload after a publish header
            self.sent[-1] = (self.sent[-1][0], b)
            return
        kind = b[0] & 0xF0
        self.sent.append((b[0], b if kind != mp.PUBLISH else None))
        if kind == mp.PUBLISH:
            qos = (b[0] >> 1) & 3
            n = (b[2] << 8) | b[3]  # short packets: one length byte
            if qos and self.ack:
                i = 4 + n
                self.rx += mp.puback_packet((b[i] << 8) | b[i + 1])
        elif kind == mp.CONNECT:
            self.rx += bytes((0x20, 2, 0, self.connack_rc))
        elif kind == mp.SUBSCRIBE:
            self.rx += bytes((0x90, 3, b[2], b[3], self.grant))
        elif kind == mp.PINGREQ:
            self.rx += b"\xd0\x00"

    async def drain(self):
        return None

    def close(self):
        self.closed = True

    async def wait_closed(self):
        return None

    def inject(self, topic, payload, qos=0, pid=1, retain=False):
        self.rx += mp.publish_header(topic, len(payload), qos, retain, pid) + payload


def _client(broker):
    c = MQTTClient("h", 1883, "puck-a1")
    c.opener = broker.open
    c.ack_timeout_s = 0.3
    return c


def _run(coro):
    return asyncio.run(coro)


def test_connect_publish_qos1_subscribe():
    async def go():
        b = FakeBroker()
        c = _client(b)
        await c.connect("talkpuck/v1/puck-a1/status", b"offline")
        assert c.up and c.connects == 1
        assert b.sent[0][1].endswith(b"offline\x00\x07puck-a1")
        await c.publish("talkpuck/v1/puck-a1/status", b"online", 1, True)
        await c.publish("t/q0", "text", 0, False)
        await c.subscribe("talkpuck/v1/puck-a1/cmd/#", 1)
        kinds = [k & 0xF0 for k, _p in b.sent]
        assert kinds == [mp.CONNECT, mp.PUBLISH, mp.PUBLISH, mp.SUBSCRIBE]
        assert b.sent[1][0] == 0x33 and b.sent[1][1] == b"online" and b.sent[2][1] == b"text"
        await c.close()
        assert not c.up and b.sent[-1][0] == 0xE0  # a clean DISCONNECT: no will

    _run(go())


def test_refused_connect_is_oserror():
    async def go():
        c = _client(FakeBroker(connack_rc=5))
        try:
            await c.connect("s", b"offline")
            raise AssertionError("no error")
        except OSError as e:
            assert "not authorized" in str(e)
        assert not c.up

    _run(go())


def test_missing_puback_is_oserror_and_link_down():
    async def go():
        b = FakeBroker(ack=False)
        c = _client(b)
        await c.connect("s", b"offline")
        try:
            await c.publish("t", b"x", 1, False)
            raise AssertionError("no error")
        except OSError as e:
            assert "PUBACK timed out" in str(e)
        assert not c.up
        try:
            await c.publish("t", b"x", 0, False)
            raise AssertionError("no error")
        except OSError:
            pass

    _run(go())


def test_refused_subscription_is_oserror():
    async def go():
        c = _client(FakeBroker(grant=0x80))
        await c.connect("s", b"offline")
        try:
            await c.subscribe("x/#", 1)
            raise AssertionError("no error")
        except OSError as e:
            assert "refused" in str(e)
        await c.close()

    _run(go())


def test_incoming_qos1_is_acked_and_inbox_is_bounded():
    async def go():
        b = FakeBroker()
        c = _client(b)
        c.inbox_max = 3
        await c.connect("s", b"offline")
        for i in range(5):
            b.inject("talkpuck/v1/puck-a1/cmd/identify", ('{"id": "%d"}' % i).encode(), 1, 100 + i)
        for _ in range(50):
            if len([1 for k, _p in b.sent if k == 0x40]) == 5:
                break
            await asyncio.sleep(0.01)
        acks = [p for k, p in b.sent if k == 0x40]
        assert acks == [mp.puback_packet(100 + i) for i in range(5)]
        assert c.discards == 2
        got = []
        for _ in range(3):  # no await in comprehensions on MicroPython
            got.append(await c.recv())
        assert [m[1] for m in got] == [b'{"id": "2"}', b'{"id": "3"}', b'{"id": "4"}']
        await c.close()

    _run(go())


def test_oversized_packet_is_skipped_and_stream_stays_in_step():
    async def go():
        b = FakeBroker()
        c = _client(b)
        c.max_packet = 64
        await c.connect("s", b"offline")
        b.inject("big", b"x" * 300)
        b.inject("small", b"ok")
        topic, payload, retained = await asyncio.wait_for(c.recv(), 2)
        assert (topic, payload, retained) == ("small", b"ok", False)
        assert c.discards == 1
        await c.close()

    _run(go())


def test_broken_stream_takes_the_link_down():
    async def go():
        b = FakeBroker()
        c = _client(b)
        await c.connect("s", b"offline")
        b.rx += b"\x30\xff\xff\xff\xff"  # a remaining length longer than 4 bytes: malformed
        for _ in range(100):
            if not c.up:
                break
            await asyncio.sleep(0.01)
        assert not c.up and c.last_error
        await c.close()

    _run(go())


def test_the_retain_flag_of_an_incoming_publish_reaches_recv():
    async def go():
        b = FakeBroker()
        c = _client(b)
        await c.connect("s", b"offline")
        b.inject("talkpuck/v1/puck-a1/cmd/identify", b"{}", 0, 1, True)
        b.inject("talkpuck/v1/puck-a1/cmd/identify", b"{}", 0, 1, False)
        first = await asyncio.wait_for(c.recv(), 2)
        second = await asyncio.wait_for(c.recv(), 2)
        assert first[2] is True and second[2] is False
        await c.close()

    _run(go())


def test_tls_opens_with_the_context_and_the_host_name():
    async def go():
        b = FakeBroker()
        seen = []

        async def opener(host, port, ssl=None, server_hostname=None):
            seen.append((host, port, ssl, server_hostname))
            return await b.open(host, port)

        ctx = object()
        c = MQTTClient("broker.example", 8883, "puck-a1", "pw", None, ctx)
        c.opener = opener
        await c.connect("s", b"offline")
        assert seen == [("broker.example", 8883, ctx, "broker.example")]
        await c.close()

    _run(go())

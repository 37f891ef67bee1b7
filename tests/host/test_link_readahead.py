"""The host's paho client reads the socket ahead (talkpuck.mqtt.link._ReadAheadClient): every packet
comes through whole, in order, whatever the chunk boundaries; nothing read ahead outlives its socket;
its lean PUBLISH handling gives what paho's own would (anything unusual is left to paho); and a
batch's PUBACKs, written as one, are the bytes paho's own ack() would write."""
import random
import socket
import struct
import threading

import paho.mqtt.client as mqtt

from talkpuck.mqtt.link import _PUBACK, MqttLink, Received, _ReadAheadClient


def _publish_packet(topic, payload, mid, qos=1, retain=False):
    t = topic.encode() if isinstance(topic, str) else topic
    var = struct.pack("!H", len(t)) + t + (struct.pack("!H", mid) if qos else b"") + payload
    n, rl = len(var), b""
    while True:
        b, n = n % 128, n // 128
        rl += bytes([b | (0x80 if n else 0)])
        if not n:
            break
    return bytes([0x30 | (qos << 1) | int(retain)]) + rl + var


def _client(read_size):
    c = _ReadAheadClient(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="ra", clean_session=False,
                         protocol=mqtt.MQTTv311, manual_ack=True)
    c.READ_SIZE = read_size
    got = []
    c.on_message = lambda cl, u, m: got.append((m.topic, bytes(m.payload), m.mid, m.qos))
    return c, got


def test_every_packet_whole_and_in_order_whatever_the_chunks():
    rng = random.Random(7)
    want = []
    for i in range(400):
        size = rng.choice([0, 1, 5, 126, 127, 128, 200, 16383, 16384, 70000])   # 1- to 3-byte remaining lengths
        qos = rng.choice([0, 1])
        want.append(("talkpuck/v1/p-%d/evt/turn" % (i % 5), bytes(rng.randrange(256) for _ in range(size % 300))
                     * (size // 300 + 1), 1 + i if qos else 0, qos))
    data = b"".join(_publish_packet(t, p, mid, qos) for t, p, mid, qos in want)
    for read_size in (1, 7, 300, 65536):
        c, got = _client(read_size)
        a, b = socket.socketpair()
        a.setblocking(False)
        c._sock = a

        def feed(b=b):
            pos = 0
            while pos < len(data):                     # uneven writes: packets split anywhere
                n = rng.randint(1, 5000)
                b.sendall(data[pos:pos + n])
                pos += n
        th = threading.Thread(target=feed)
        th.start()
        for _ in range(200000):
            if len(got) == len(want):
                break
            c._loop(1.0)
        th.join()
        assert c._rpos >= len(c._rbuf), "loop_read returned with bytes read ahead (select would wait on them)"
        c._sock_close()
        b.close()
        assert [(t, p, mid if qos else 0, qos) for t, p, mid, qos in got] == want, read_size


def test_read_ahead_is_dropped_with_its_socket():
    c, got = _client(65536)
    a, b = socket.socketpair()
    a.setblocking(False)
    c._sock = a
    b.sendall(_publish_packet("talkpuck/v1/p/evt/vad", b"x", 1) + _publish_packet("talkpuck/v1/p/evt/vad", b"y", 2))
    assert c._sock_recv(1) == bytes([0x32])            # one byte taken, the rest read ahead
    assert c._rpos < len(c._rbuf)
    c._sock_close()
    assert (c._rbuf, c._rpos) == (b"", 0)
    b.close()


class _Msg:
    def __init__(self, mid, qos):
        self.mid, self.qos = mid, qos


def test_batched_pubacks_are_the_bytes_of_one_ack_per_message():
    link = MqttLink("mqtt://127.0.0.1:1", "acks")
    queued, acked = [], []
    link._client._packet_queue = lambda cmd, packet, mid, qos, info=None: queued.append((cmd, bytes(packet)))
    link._client.ack = lambda mid, qos: acked.append((mid, qos))
    conn = link._conn
    link._ack([(conn, _Msg(5, 1)), (conn, _Msg(0, 0)), (conn - 1, _Msg(6, 1)), (conn, _Msg(65535, 1)),
               (conn, _Msg(7, 2))])
    # QoS 0 and an earlier connection's message: no ack; QoS 2: paho's own ack
    assert acked == [(7, 2)]
    assert queued == [(0x40, b"\x40\x02\x00\x05" + b"\x40\x02\xff\xff")]
    assert _PUBACK.pack(0x40, 2, 5) == b"\x40\x02\x00\x05"
    assert link.acked == 3
    # a paho without _packet_queue: its public ack(), one per message
    del link._client._packet_queue
    link._client.__class__ = type("NoQueue", (_ReadAheadClient,), {"_packet_queue": None})
    acked.clear()
    link._ack([(conn, _Msg(8, 1)), (conn, _Msg(9, 1))])
    assert acked == [(8, 1), (9, 1)]
    assert link.acked == 5


def _received(packets, filtered=False):
    """What on_message gets for `packets`: (class name, topic, payload, qos, retain, mid)."""
    c, _ = _client(65536)
    got = []
    c.on_message = lambda cl, u, m: got.append((type(m).__name__, m.topic, bytes(m.payload), m.qos, bool(m.retain),
                                                m.mid if m.qos else 0))
    if filtered:
        c.message_callback_add("other/#", lambda cl, u, m: None)
    a, b = socket.socketpair()
    a.setblocking(False)
    c._sock = a
    b.sendall(b"".join(packets))
    for _ in range(100):
        c._loop(0.2)
        if len(got) == len(packets):
            break
    c._sock_close()
    b.close()
    return got


def test_lean_publish_handling_matches_paho_and_leaves_the_rest_to_it():
    packets = [_publish_packet("talkpuck/v1/p/evt/turn", b'{"a":1}', 7, qos=1),
               _publish_packet("talkpuck/v1/p/info", b"{}", 0, qos=0, retain=True),
               _publish_packet("talkpuck/v1/p/state", b"", 65535, qos=1, retain=True)]
    lean, paho = _received(packets), _received(packets, filtered=True)
    assert [g[0] for g in lean] == ["Received"] * 3 and [g[0] for g in paho] == ["MQTTMessage"] * 3
    assert [g[1:] for g in lean] == [g[1:] for g in paho] == [
        ("talkpuck/v1/p/evt/turn", b'{"a":1}', 1, False, 7), ("talkpuck/v1/p/info", b"{}", 0, True, 0),
        ("talkpuck/v1/p/state", b"", 1, True, 65535)]
    # a topic that is not UTF-8: paho's own message (its .topic raises, as paho's does)
    c, _ = _client(65536)
    kinds = []
    c.on_message = lambda cl, u, m: kinds.append(type(m).__name__)
    a, b = socket.socketpair()
    a.setblocking(False)
    c._sock = a
    b.sendall(_publish_packet(b"talkpuck/v1/\xff/evt/vad", b"x", 3))
    for _ in range(20):
        c._loop(0.2)
        if kinds:
            break
    c._sock_close()
    b.close()
    assert kinds == ["MQTTMessage"]
    assert Received("t", b"p", 1, False, 9).mid == 9

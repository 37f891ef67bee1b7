"""usb_link against a scripted bridge on an in-memory port (the real e2e is tests/e2e/test_usb_bridge.py):
connect handshake, QoS 1 publish returns only after the ack, a window of unacknowledged frames as
flow control, commands delivered once and in order, a broken frame counted and skipped (then
retransmitted), DOWN and a silent bridge become OSError (one reconnect path)."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

import asyncio  # noqa: E402

from puckport import usbframe as uf  # noqa: E402
from puckport.usbarq import Arq  # noqa: E402
from usb_link import UsbLink  # noqa: E402


class FakePort:
    """The puck's end of the cable; `peer` is the scripted bridge reading what the link writes."""

    def __init__(self):
        self.rx = bytearray()
        self.written = []
        self.opened = 0
        self.peer = None

    def open(self):
        self.opened += 1

    def read_into(self, buf):
        n = min(len(buf), len(self.rx))
        buf[:n] = self.rx[:n]
        self.rx = self.rx[n:]
        return n

    def write(self, data):
        self.written.append(bytes(data))
        if self.peer is not None:
            self.peer.got(bytes(data))

    def close(self):
        pass


class ScriptedBridge:
    def __init__(self, port, ack_pubs=True, answer=True):
        self.port = port
        port.peer = self
        self.arq = Arq(4, 60)
        self.session = None
        self.ack_pubs = ack_pubs
        self.answer = answer
        self.pubs = []
        self.subs = []

    def send(self, kind, seq=0, body=b"", corrupt=False):
        line = bytearray(uf.encode(kind, self.session or 0, seq, self.arq.ack, body))
        if corrupt:
            line[5] = 0x41 if line[5] != 0x41 else 0x42
        self.port.rx += line

    def msg(self, topic, payload, corrupt=False):
        body = uf.pack_msg(topic, payload)
        seq = self.arq.add(uf.MSG, body, 0)
        self.send(uf.MSG, seq, body, corrupt)

    def got(self, line):
        kind, session, seq, ack, body = uf.decode(line)
        if not self.answer:
            return
        if kind == uf.CONNECT:
            self.session = session
            self.arq.reset()
            self.send(uf.CONNACK)
            return
        self.arq.on_ack(ack, 0)
        if kind in (uf.PUB, uf.SUB) and self.arq.accept(seq):
            (self.pubs if kind == uf.PUB else self.subs).append(body)
            if self.ack_pubs:
                self.arq.done()
                self.send(uf.ACK)
        elif kind == uf.PING:
            self.send(uf.PONG)


def _link(port):
    link = UsbLink("puck-t1", "pw", port)
    link.poll_ms = 2
    link.retry_ms = 60
    link.arq.retry_ms = 60
    return link


def _run(coro):
    return asyncio.run(coro)


def test_connect_publish_subscribe_and_close():
    async def main():
        port = FakePort()
        bridge = ScriptedBridge(port)
        link = _link(port)
        await link.connect("talkpuck/v1/puck-t1/status", b"offline")
        assert link.up and link.connects == 1
        first = uf.decode(port.written[0])
        assert first[0] == uf.CONNECT
        assert uf.unpack_connect(first[4])[:4] == ("puck-t1", "pw", "talkpuck/v1/puck-t1/status", b"offline")
        assert len(uf.unpack_connect(first[4])[4]) == 4  # the nonce: a retry is told from a new connect
        for i in range(10):
            await link.publish("talkpuck/v1/puck-t1/evt/hand", b'{"seq":%d}' % i, 1, False)
        await link.subscribe("talkpuck/v1/puck-t1/cmd/#", 1)
        assert [uf.unpack_pub(b)[1] for b in bridge.pubs] == [b'{"seq":%d}' % i for i in range(10)]
        assert uf.unpack_sub(bridge.subs[0]) == ("talkpuck/v1/puck-t1/cmd/#", 1)
        await link.close()
        assert not link.up and uf.decode(port.written[-1])[0] == uf.CLOSE
    _run(main())


def test_qos1_waits_for_the_ack_and_the_window_bounds_what_is_in_flight():
    async def main():
        port = FakePort()
        bridge = ScriptedBridge(port, ack_pubs=False)
        link = _link(port)
        link.ack_timeout_ms = 400
        await link.connect("s", b"offline")
        for i in range(4):  # QoS 0: returns once in the window
            await link.publish("t", b"%d" % i, 0, False)
        assert link.arq.in_flight() == 4
        t = asyncio.create_task(link.publish("t", b"blocked", 0, False))
        await asyncio.sleep(0.05)
        assert not t.done() and len(bridge.pubs) == 4  # flow control: the fifth waits for an ack
        for _ in range(4):
            bridge.arq.done()
        bridge.send(uf.ACK)
        await asyncio.sleep(0.05)
        assert t.done() and len(bridge.pubs) == 5
        # QoS 1 with a bridge that never acks: OSError after ack_timeout_ms, link down
        try:
            await link.publish("t", b"never", 1, False)
            assert False, "no ack must fail"
        except OSError as e:
            assert "no ack" in str(e)
        assert not link.up
        await link.close()
    _run(main())


def test_commands_arrive_once_in_order_and_a_broken_frame_is_counted_and_skipped():
    async def main():
        port = FakePort()
        bridge = ScriptedBridge(port)
        link = _link(port)
        await link.connect("s", b"offline")
        bridge.msg("c/1", b"one")
        bridge.msg("c/2", b"two", corrupt=True)  # damaged on the wire
        bridge.msg("c/3", b"three")  # after a gap: refused until 2 comes again
        got = [await link.recv()]
        assert got == [("c/1", b"one")]
        assert link.broken == 1 and ("CRC" in link.last_error or "base64" in link.last_error)
        assert link.discards == 1
        # the bridge retransmits everything unacknowledged (go-back-N)
        await asyncio.sleep(0.08)
        for seq, kind, body in bridge.arq.unacked(0):
            bridge.send(kind, seq, body)
        got.append(await link.recv())
        got.append(await link.recv())
        assert got == [("c/1", b"one"), ("c/2", b"two"), ("c/3", b"three")]
        # a retransmission of a frame already delivered is acked again, not delivered twice
        bridge.send(uf.MSG, 0, uf.pack_msg("c/1", b"one"))
        await asyncio.sleep(0.03)
        assert len(link._inbox) == 0 and link.arq.duplicates == 1
        await link.close()
    _run(main())


def test_console_noise_is_ignored_not_broken():
    async def main():
        port = FakePort()
        ScriptedBridge(port)
        link = _link(port)
        await link.connect("s", b"offline")
        port.rx += b"some text\r\n"
        await asyncio.sleep(0.02)
        assert link.console == 1 and link.broken == 0 and link.up
        await link.close()
    _run(main())


def test_down_from_the_bridge_and_a_silent_bridge_are_oserrors():
    async def main():
        port = FakePort()
        bridge = ScriptedBridge(port)
        link = _link(port)
        await link.connect("s", b"offline")
        bridge.send(uf.DOWN, 0, b"no session: connect again")
        await asyncio.sleep(0.02)
        assert not link.up and "no session" in link.last_error
        try:
            await link.publish("t", b"x", 1, False)
            assert False
        except OSError:
            pass
        # a new connect is a new session; then the bridge goes quiet: down after dead_ms
        link.dead_ms = 100
        link.ping_ms = 30
        await link.connect("s", b"offline")
        assert link.up and uf.decode(port.written[-1])[1] == bridge.session
        bridge.answer = False
        await asyncio.sleep(0.2)
        assert not link.up and "silent" in link.last_error
        # and with nobody there at all, connect gives up after connect_timeout_ms
        link.connect_timeout_ms = 100
        link.connect_retry_ms = 20
        try:
            await link.connect("s", b"offline")
            assert False
        except OSError as e:
            assert "no bridge" in str(e)
        await link.close()
    _run(main())


def test_frames_of_an_old_session_are_ignored():
    async def main():
        port = FakePort()
        bridge = ScriptedBridge(port)
        link = _link(port)
        await link.connect("s", b"offline")
        old = bridge.session
        port.rx += uf.encode(uf.MSG, (old + 1) & 0xFF or 1, 0, 0, uf.pack_msg("x", b"y"))
        await asyncio.sleep(0.02)
        assert len(link._inbox) == 0 and link.up
        await link.close()
    _run(main())

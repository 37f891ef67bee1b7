"""usb_link — the puck's link over USB serial to the host's bridge (`talkpuck bridge`), with mqtt_client's interface.

For a puck with no Wi-Fi plugged into the laptop it sits beside. `hal.link` is this instead of
lib/mqtt_client.py's MQTTClient when config.json says `"link": "usb"`; puckcore/puck.py uses it
unchanged:

    up                                     True between a CONNACK and the first fault
    await connect(will_topic, will_payload)  opens the port, sends CONNECT until the bridge answers
                                           (the bridge logs in to the broker as this device)
    await publish(topic, payload, qos, retain)  QoS 1 returns when the bridge acks, which it does
                                           after the broker's PUBACK; QoS 0 once it is in the window
    await subscribe(topic, qos)            returns when the bridge has the broker's SUBACK
    await recv() -> (topic, payload)       commands, across reconnects (bounded inbox, as mqtt_client)
    await close()                          CLOSE (a clean disconnect: no last will)

Every fault is an OSError (one reconnect path, as mqtt_client): no CONNACK in `connect_timeout_ms`,
the bridge silent for `dead_ms` (it answers a PING every `ping_ms`), a DOWN from the bridge (it
restarted, or lost the broker), no ack in `ack_timeout_ms`, the port failing.

Frames are puckport.usbframe lines (printable; never 0x03/0x04, which would interrupt or reset the
console that shares the port) under puckport.usbarq (a window of `window` unacknowledged frames,
retransmitted after `retry_ms`). A broken frame is counted in `broken`, named in `last_error` (it
reaches `tele.link_error`) and skipped; its sender sends it again. One task (started by connect,
cancelled by close) polls the port every `poll_ms`, handles what came, and runs the timers.

`port` is the HAL's: open() (OSError if it cannot), read_into(buf) -> bytes copied, 0 when none
waiting (never blocks), write(bytes), close(). hal_unix gives a tty path, hal_mcu the USB console.
"""
import asyncio
import os

from puckcore.errors import ProtocolError
from puckcore.ringqueue import RingQueue
from puckcore.ticks import ticks_diff, ticks_ms
from puckport import usbframe as uf
from puckport.linesplit import LineSplitter
from puckport.usbarq import Arq


class UsbLink:
    poll_ms = 10
    ping_ms = 2000
    dead_ms = 7000
    connect_retry_ms = 500
    connect_timeout_ms = 20000
    ack_timeout_ms = 15000
    window = 4
    retry_ms = 500
    inbox_max = 16
    read_chunk = 256

    def __init__(self, client_id, password, port):
        self.client_id = client_id
        self.password = password or None
        self.port = port
        self.up = False
        self.connects = 0
        self.broken = 0  # frames that arrived damaged (CRC, base64, length) or lines too long
        self.console = 0  # lines from the bridge that were not frames (should stay 0)
        self.last_error = None
        self.arq = Arq(self.window, self.retry_ms)
        self._split = LineSplitter(uf.MAX_LINE)
        self._rx = bytearray(self.read_chunk)
        self._inbox_event = asyncio.Event()
        self._inbox = RingQueue(self.inbox_max, self._inbox_event)
        self._changed = asyncio.Event()  # set on every ack progress, CONNACK, or fault
        self._task = None
        self._open = False
        self._session = 0
        self._connack = None
        self._last_rx = 0
        self._last_tx = 0

    @property
    def discards(self):
        """Incoming messages lost (a full inbox) and broken frames (each sent again by the bridge)."""
        return self._inbox.dropped + self.broken + self._split.overflows

    # -- connection -----------------------------------------------------------------------------
    async def connect(self, will_topic, will_payload):
        await self.close()
        try:
            self.port.open()
        except Exception as e:
            raise self._fault(e, "open")
        self._open = True
        self._split.reset()
        self._session = self._new_session()
        self.arq.reset()
        self._connack = None
        self._task = asyncio.create_task(self._pump())
        body = uf.pack_connect(self.client_id, self.password, will_topic, will_payload, os.urandom(4))
        t0 = ticks_ms()
        while self._connack is None:
            if ticks_diff(ticks_ms(), t0) > self.connect_timeout_ms:
                await self._shut()
                raise self._fault(OSError("usb: no bridge answered in %d ms" % self.connect_timeout_ms), "connect")
            self._send_frame(uf.CONNECT, 0, body)
            await self._wait(self.connect_retry_ms)
            if not self._open:
                raise OSError(self.last_error or "usb: port lost")
        if self._connack:
            await self._shut()
            raise self._fault(OSError("usb bridge: %s" % self._connack.decode()), "connect")
        self.up = True
        self.connects += 1
        self._last_rx = ticks_ms()

    async def close(self):
        """Clean disconnect if up (the bridge then sends no last will), stop the task, close the port."""
        if self.up:
            try:
                self._send_frame(uf.CLOSE, 0, b"")
            except OSError:
                pass
        await self._shut()

    async def _shut(self):
        self.up = False
        t = self._task
        self._task = None
        if t is not None:
            t.cancel()
            try:
                await t
            except BaseException:  # CancelledError (a BaseException on CPython)
                pass
        self._open = False
        try:
            self.port.close()  # idempotent in every port
        except Exception:
            pass
        self._changed.set()

    def _down(self, why):
        if self.up:
            self.last_error = why
        self.up = False
        self._changed.set()

    def _fault(self, e, what):
        self.last_error = repr(e)
        return e if isinstance(e, OSError) else OSError("usb %s: %r" % (what, e))

    def _new_session(self):
        # random, not from the clock: a puck that reboots must not pick its last boot's session again
        s = os.urandom(1)[0]
        if s == 0 or s == self._session:
            s = (self._session + 1) & 0xFF or 1
        return s

    # -- requests -------------------------------------------------------------------------------
    async def publish(self, topic, payload, qos=0, retain=False):
        seq = await self._send(uf.PUB, uf.pack_pub(topic, payload, qos, retain))
        if qos:
            await self._acked(seq, "PUB")

    async def subscribe(self, topic, qos=1):
        seq = await self._send(uf.SUB, uf.pack_sub(topic, qos))
        await self._acked(seq, "SUB")

    async def recv(self):
        while not len(self._inbox):
            self._inbox_event.clear()
            await self._inbox_event.wait()
        return self._inbox.get_nowait()

    async def _send(self, kind, body):
        if len(body) > uf.MAX_PAYLOAD:  # too big for a frame: refuse it alone, the link stays up
            raise OSError("usb: %d bytes is over a frame's %d" % (len(body), uf.MAX_PAYLOAD))
        session = self._session
        t0 = ticks_ms()
        while not self.arq.can_send():  # flow control: the window is full until acks come
            self._check(session, t0, "window")
            await self._wait(self.ack_timeout_ms)
        self._check(session, t0, "window")
        seq = self.arq.add(kind, body, ticks_ms())
        self._send_frame(kind, seq, body)
        return seq

    async def _acked(self, seq, what):
        session = self._session
        t0 = ticks_ms()
        while not self.arq.is_acked(seq):
            self._check(session, t0, what)
            await self._wait(self.ack_timeout_ms)

    def _check(self, session, t0, what):
        if not self.up or session != self._session:
            raise OSError(self.last_error or "usb link down")
        if ticks_diff(ticks_ms(), t0) > self.ack_timeout_ms:
            self._down("usb: no ack for %s in %d ms" % (what, self.ack_timeout_ms))
            raise OSError(self.last_error)

    async def _wait(self, ms):
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), ms / 1000)
        except asyncio.TimeoutError:
            pass

    def _send_frame(self, kind, seq, body):
        try:
            self.port.write(uf.encode(kind, self._session, seq, self.arq.ack, body))
        except Exception as e:
            self._down("usb: write: %r" % (e,))
            raise self._fault(e, "write")
        self._last_tx = ticks_ms()

    # -- the task: read, handle, timers -----------------------------------------------------------
    async def _pump(self):
        buf = self._rx
        split = self._split
        while True:
            try:
                n = self.port.read_into(buf)
            except Exception as e:  # the port went away (a pulled cable, a closed tty)
                self._open = False
                self._down("usb: read: %r" % (e,))
                self.last_error = "usb: read: %r" % (e,)
                self._changed.set()
                return
            try:
                i = 0
                while i < n:
                    i, line = split.feed(buf, i, n)
                    if line is not None:
                        self._line(line)
                self._timers(ticks_ms())
            except OSError:
                self._open = False
                return  # a write failed: _down has been called; the next connect reopens the port
            if not n:
                await asyncio.sleep(self.poll_ms / 1000)

    def _timers(self, now):
        arq = self.arq
        if self.up and arq.retransmit_due(now):
            for seq, kind, body in arq.unacked(now):
                self._send_frame(kind, seq, body)
        if self.up and ticks_diff(now, self._last_rx) > self.dead_ms:
            self._down("usb: bridge silent for %d ms" % self.dead_ms)
        elif self.up and ticks_diff(now, self._last_tx) >= self.ping_ms:
            self._send_frame(uf.PING, 0, b"")

    def _line(self, line):
        if not uf.is_frame(line):
            self.console += 1  # the bridge never sends text: noise on the line, ignored
            return
        try:
            kind, session, seq, ack, body = uf.decode(line)
        except ProtocolError as e:
            self.broken += 1
            self.last_error = str(e)
            return
        if session != self._session:
            return  # a frame of an earlier session, still in flight
        now = ticks_ms()
        self._last_rx = now
        if kind == uf.CONNACK:
            if self._connack is None:
                self._connack = body
                self._changed.set()
            return
        if not self.up:
            return
        if self.arq.on_ack(ack, now):
            self._changed.set()
        if kind == uf.MSG:
            if self.arq.accept(seq):
                try:
                    self._inbox.put(uf.unpack_msg(body))  # full: the oldest goes, counted
                except ProtocolError as e:
                    self.broken += 1
                    self.last_error = str(e)
                self.arq.done()
            self._send_frame(uf.ACK, 0, b"")  # also for a duplicate: our last ack may be lost
        elif kind == uf.DOWN:
            self._down("usb bridge: %s" % body.decode())

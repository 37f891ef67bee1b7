"""bridge — one USB puck's events to MQTT and its commands back: `talkpuck bridge --port PORT`.

The puck (firmware/lib/usb_link.py) speaks puckport.usbframe lines under puckport.usbarq; this end
runs the same two modules. For each session the puck opens (CONNECT: its device id, password and
last will) the bridge logs in to the broker *as the puck* through talkpuck.mqtt.link.PahoLink (the
device id is the client id and username, clean_session=False, the puck's will), so the broker's
ACL, retained documents and queued commands are exactly those of a Wi-Fi puck:

    PUB  -> PahoLink.publish; the frame is acknowledged only after the broker's PUBACK, so an
            acknowledged event is never lost (a bridge killed in between: the puck sends it again)
    SUB  -> PahoLink.subscribe; acknowledged after the SUBACK
    MQTT message -> MSG frames, at most `window` unacknowledged, retransmitted after `retry_ms`;
            held across the puck's sessions (a pulled cable) in a bounded queue (`pending_max`,
            the oldest dropped and counted)
    PING -> PONG; a frame of an unknown session -> DOWN (the puck reconnects)

A broken frame (base64, CRC, length) is logged, counted in `stats["broken"]` and skipped; the puck
retransmits it. Lines without the frame mark are the puck's console output (print, tracebacks): they
are logged at INFO and counted, never treated as frames. When the puck goes away (the port fails, or
no frame for `dead_s`), the bridge publishes the puck's will itself (a clean disconnect would
suppress the broker's) and disconnects; a killed bridge leaves that to the broker.

Threads: the serial reader thread (bridge.serialport) hands bytes to the asyncio loop that runs
everything else; nothing here blocks that loop.
"""
import asyncio
import collections
import logging
import time
from collections.abc import Callable
from typing import Any

from puckcore.errors import ProtocolError
from puckport import usbframe as uf
from puckport.linesplit import LineSplitter
from puckport.usbarq import Arq
from talkpuck.bridge.serialport import SerialPort
from talkpuck.mqtt.link import PahoLink

log = logging.getLogger(__name__)


def _now_ms() -> int:
    return int(time.monotonic() * 1000) & ((1 << 30) - 1)


class Bridge:
    window = 4
    retry_ms = 500
    dead_s = 8.0
    tick_s = 0.02
    pending_max = 64
    console_keep = 50

    def __init__(self, port: str, broker_url: str, baud: int = 115200,
                 link_factory: Callable[[str, str], PahoLink] = PahoLink) -> None:
        self.broker_url = broker_url
        self.link_factory = link_factory
        self.serial = SerialPort(port, baud, self._bytes_from_thread, self._state_from_thread)
        self.arq = Arq(self.window, self.retry_ms)
        self.stats: collections.Counter[str] = collections.Counter()
        self.console: collections.deque[str] = collections.deque(maxlen=self.console_keep)  # the puck's last console lines
        self.device: str | None = None
        self.session: int | None = None  # the puck's session byte, None: no session
        self.up = False  # the puck's MQTT login is up
        # (topic, payload) commands not yet sent to the puck
        self.pending: collections.deque[tuple[str, bytes | bytearray]] = collections.deque()
        self._split = LineSplitter(uf.MAX_LINE)
        self._link: PahoLink | None = None
        self._will: tuple[str, bytes] | None = None
        self._nonce: bytes | None = None
        # (what, arg): "connect", "lost", "close" or a frame kind (uf.PUB, uf.SUB), with its frame's fields
        self._jobs: asyncio.Queue[tuple[str | int, Any]] = asyncio.Queue()   # made anew by each run()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_rx = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._forward: asyncio.Task[None] | None = None

    # -- life cycle ----------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Bridge until `stop` (an asyncio.Event) is set; then the puck, unreachable now, is said
        `offline` (its will) and its login closed."""
        self._loop = asyncio.get_running_loop()
        self._jobs = asyncio.Queue()
        self._tasks = [asyncio.create_task(self._worker()), asyncio.create_task(self._ticker())]
        self.serial.start()
        try:
            await (stop.wait() if stop is not None else asyncio.Event().wait())
        finally:
            self.serial.stop()
            for t in self._tasks:
                t.cancel()
            await self._end_session(publish_will=True)

    # -- from the serial thread ------------------------------------------------------------------------
    def _from_thread(self, fn: Callable[..., object], *args: object) -> None:
        if self._loop is not None:         # the serial thread starts inside run(), after the loop is known
            self._loop.call_soon_threadsafe(fn, *args)

    def _bytes_from_thread(self, data: bytes) -> None:
        self._from_thread(self._bytes, data)

    def _state_from_thread(self, is_open: bool) -> None:
        self._from_thread(self._port_state, is_open)

    def _port_state(self, is_open: bool) -> None:
        self.stats["port_opens" if is_open else "port_losses"] += 1
        self._split.reset()
        if not is_open and self.session is not None:
            log.warning("bridge: %s: cable pulled or port lost: ending its session", self.device)
            self._jobs.put_nowait(("lost", None))

    def _bytes(self, data: bytes) -> None:
        self.stats["bytes_in"] += len(data)
        i, n = 0, len(data)
        while i < n:
            i, line = self._split.feed(data, i, n)
            if line is not None:
                self._line(line)
        self.stats["overlong"] = self._split.overflows

    # -- frames in ---------------------------------------------------------------------------------------
    def _line(self, line: bytes) -> None:
        text = line.rstrip(b"\r")
        if not uf.is_frame(text):
            if text:
                self.stats["console"] += 1
                s = text.decode("utf-8", "replace")
                self.console.append(s)
                log.info("puck console: %s", s)
            return
        try:
            kind, session, seq, ack, body = uf.decode(text)
        except ProtocolError as e:
            self.stats["broken"] += 1
            log.warning("bridge: broken frame skipped (%s); %d so far", e, self.stats["broken"])
            return
        self.stats["frames_in"] += 1
        self._last_rx = time.monotonic()
        if kind == uf.CONNECT:
            self._jobs.put_nowait(("connect", (session, body)))
            return
        if session != self.session:
            if kind in (uf.PUB, uf.SUB, uf.PING):
                self.stats["stale"] += 1
                self._send(uf.DOWN, 0, b"no session: connect again", session)
            return
        now = _now_ms()
        if self.arq.on_ack(ack, now):
            self._pump()
        if kind == uf.PING:
            self._send(uf.PONG, 0, b"")
        elif kind == uf.CLOSE:
            self._jobs.put_nowait(("close", session))
        elif kind in (uf.PUB, uf.SUB):
            if self.arq.accept(seq):
                self._jobs.put_nowait((kind, (session, body)))
            else:
                self.stats["not_in_order"] += 1  # a repeat (our ack was lost) or after a gap
                self._send(uf.ACK, 0, b"")

    # -- frames out ----------------------------------------------------------------------------------------
    def _send(self, kind: int, seq: int, body: bytes, session: int | None = None) -> None:
        s = self.session if session is None else session
        line = uf.encode(kind, s or 0, seq, self.arq.ack, body)
        if self.serial.write(line):
            self.stats["frames_out"] += 1

    def _pump(self) -> None:
        """Commands waiting -> MSG frames while the window has room."""
        while self.up and self.pending and self.arq.can_send():
            topic, payload = self.pending.popleft()
            body = uf.pack_msg(topic, payload)
            seq = self.arq.add(uf.MSG, body, _now_ms())
            self._send(uf.MSG, seq, body)
            self.stats["commands"] += 1

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            now = _now_ms()
            if self.session is not None and self.arq.retransmit_due(now):
                for seq, kind, body in self.arq.unacked(now):
                    self._send(kind, seq, body)
                    self.stats["retransmits"] += 1
            if self.session is not None and time.monotonic() - self._last_rx > self.dead_s:
                log.warning("bridge: %s silent for %.0f s: ending its session", self.device, self.dead_s)
                self._jobs.put_nowait(("lost", None))
                self._last_rx = time.monotonic()  # once

    # -- MQTT side, one job at a time, in the order the frames came ----------------------------------------
    async def _worker(self) -> None:
        while True:
            what, arg = await self._jobs.get()
            try:
                if what == "connect":
                    await self._connect(*arg)
                elif what in (uf.PUB, uf.SUB):
                    await self._request(what, *arg)
                elif what == "lost":
                    await self._end_session(publish_will=True)
                elif what == "close" and arg == self.session:
                    await self._end_session(publish_will=False)
            except Exception:  # never let one job stop the bridge
                log.exception("bridge: %s failed", what)

    async def _connect(self, session: int, body: bytes) -> None:
        try:
            device, password, will_topic, will_payload, nonce = uf.unpack_connect(body)
        except ProtocolError as e:
            self.stats["broken"] += 1
            log.warning("bridge: bad CONNECT skipped (%s)", e)
            return
        if session == self.session and self.up and nonce == self._nonce:
            self._send(uf.CONNACK, 0, b"")  # a retry: our CONNACK was lost, say it again
            return
        await self._end_session(publish_will=False)
        self.arq.reset()
        self.session = session
        self.device = device
        self._will = (will_topic, will_payload)
        self._nonce = nonce
        self._last_rx = time.monotonic()
        if self._link is None or self._link.client_id != device:
            self._link = self.link_factory(self.broker_url, device)
            self.pending.clear()  # another puck on this port: the old one's commands are not its
        if password:
            self._link.password = password
        try:
            await self._link.connect(will_topic, will_payload)
        except OSError as e:
            log.warning("bridge: %s cannot log in to %s: %s", device, self.broker_url, e)
            self._send(uf.CONNACK, 0, ("broker: %s" % e).encode()[:200], session)
            self.session = None
            return
        self.up = True
        self.stats["sessions"] += 1
        log.info("bridge: %s connected through %s (session %d)", device, self.serial.path, session)
        self._send(uf.CONNACK, 0, b"")
        if self._forward is None or self._forward.done():
            self._forward = asyncio.create_task(self._forward_commands(self._link))
        self._pump()

    async def _request(self, kind: int, session: int, body: bytes) -> None:
        link = self._link
        if session != self.session or not self.up or link is None:
            return  # a frame of a session that ended while it waited
        try:
            if kind == uf.PUB:
                topic, payload, qos, retain = uf.unpack_pub(body)
                await link.publish(topic, payload, qos, retain)
                self.stats["published"] += 1
            else:
                topic, qos = uf.unpack_sub(body)
                await link.subscribe(topic, qos)
        except ProtocolError as e:  # intact frame, nonsense inside: counted, acked, skipped
            self.stats["rejected"] += 1
            log.warning("bridge: %s: bad request skipped (%s)", self.device, e)
        except OSError as e:
            log.warning("bridge: %s: broker fault (%s): the puck will reconnect", self.device, e)
            self._send(uf.DOWN, 0, ("broker: %s" % e).encode()[:200])
            await self._end_session(publish_will=False)
            return
        if session == self.session:
            self.arq.done()
            self._send(uf.ACK, 0, b"")

    async def _forward_commands(self, link: PahoLink) -> None:
        while link is self._link and link is not None:
            msg = await link.recv()          # (topic, payload, retained)
            topic, payload = msg[0], msg[1]
            if len(msg) > 2 and msg[2]:
                # a USB frame has no retain flag: refuse a retained command here, as a networked puck
                # does (Puck.drop_retained: the broker's ACL cannot see the flag)
                self.stats["retained_dropped"] += 1
                log.warning("bridge: %s: retained command on %s dropped", self.device, topic)
                continue
            if len(self.pending) >= self.pending_max:
                self.pending.popleft()
                self.stats["commands_dropped"] += 1
            self.pending.append((topic, payload))
            self._pump()

    async def _end_session(self, publish_will: bool) -> None:
        if self.session is None and not self.up:
            return
        # commands sent but not acknowledged go first next time (the puck may see one twice: at least once)
        for _seq, kind, body in reversed(self.arq.unacked(_now_ms())):
            if kind == uf.MSG:
                self.pending.appendleft(uf.unpack_msg(body))
        self.arq.reset()
        was_up = self.up
        self.session = None
        self.up = False
        link = self._link
        if link is None or not was_up:
            return
        if publish_will and self._will:
            try:
                await link.publish(self._will[0], self._will[1], 1, True)
            except OSError:
                pass
        await link.close()
        log.info("bridge: %s session ended%s", self.device, " (will published)" if publish_will else "")

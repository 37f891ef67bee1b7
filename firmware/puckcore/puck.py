"""puck — the puck application: asyncio tasks wiring the HAL to the detector, controller and outbox.

Portable (MicroPython asyncio and CPython asyncio); every hardware or network access goes through
the `hal` object of the platform (firmware/hal_<platform>.py, or the simulator's):

    hal.clock.now_ms()                  ticks ms (wrap-safe arithmetic via puckcore.ticks)
    await hal.mic.read(frame)           fills an array('h') of 320 samples (20 ms at 16 kHz)
    hal.button.value()                  True while the button is pressed (polled)
    hal.leds.write(buf)                 shows a bytearray of RGB colours
    hal.link                            MQTT: up, connect(will_topic, will_payload), publish(topic,
                                        payload, qos, retain), subscribe(topic, qos), recv(), close();
                                        every fault is an OSError (one reconnect path, as mqtt_as)
    hal.storage.load(name) / save(name, obj)   small JSON documents, saved atomically
    await hal.sleep_ms(ms)              sleeps on the puck's clock (the simulator may run it faster)
    hal.mem() -> (free, alloc) or (0, 0);  hal.rssi() -> dBm or None;  hal.new_boot_id() -> 8 hex
    hal.uptime_s()                      seconds since boot, right across the ticks wrap
    counters for `tele`, where a part has them: hal.link.discards / last_error, hal.mic.short_reads,
    hal.storage.errors (puckcore.tele)

The tasks (each owned here, cancelled in deinit()):
    audio   frames -> detector -> controller (turns, summaries, talking now)
    button  poll -> gestures -> controller
    ui      controller.tick, ring render, every `ui_ms`; wakes the link when tele is due or it dropped
    store   waits for the controller's persist Event, saves its record
    link    connect, birth/info/subscribe, then retained state, outbox (QoS 1, acked), responses, tele;
            between sends it waits on one Event (`wake`) that the outbox, the responses queue and
            the controller's state flag set, instead of polling
    rx      commands -> codec -> (time sync | controller) -> response

Every queue is a puckcore.ringqueue.RingQueue (drop-oldest, counted); every drop and error count
(outbox, detector, responses, MQTT inbox, I2S short reads, storage errors, the last link error)
goes out in `tele` (protocol §5).
"""
import asyncio
from array import array

from puckcore import VERSION, codec, tele
from puckcore.controller import Controller
from puckcore.detector import EV_SUMMARY, EV_TURN_END, TurnDetector
from puckcore.errors import ProtocolError
from puckcore.flag import Flag
from puckcore.gestures import Gestures
from puckcore.outbox import Outbox
from puckcore.protocol import PROTOCOL_REVISION
from puckcore.ringqueue import RingQueue
from puckcore.settings import Settings
from puckcore.ticks import ticks_diff


class Puck:
    ui_ms = 50
    button_poll_ms = 10
    tele_ms = 30000
    reconnect_min_ms = 500
    reconnect_max_ms = 30000
    responses_max = 8
    caps = ("vad", "turns", "ring", "button")

    def __init__(self, hal, device_id, board="sim", settings=None, record=None, prev_boot=None, prev_seq=0):
        if not codec.valid_device_id(device_id):
            raise ValueError("device id %r: use 1-32 of a-z 0-9 -" % device_id)
        self.hal = hal
        self.device = device_id
        self.board = board
        self.boot = hal.new_boot_id()
        self.prev_boot = prev_boot
        self.prev_seq = prev_seq
        self.root = codec.device_root(device_id)
        self.wake = asyncio.Event()  # the link task has something to send
        self.outbox = Outbox(self.boot, event=self.wake)
        self.detector = TurnDetector()
        self.gestures = Gestures(active_low=False)  # hal.button.value() already means pressed
        self._save = asyncio.Event()  # the controller's record should be saved (the store task waits)
        self.ctrl = Controller(device_id, self.boot, settings or Settings(), self.outbox,
                               state_flag=Flag(self.wake), persist_flag=self._save)
        if record:
            self.ctrl.restore(record, hal.clock.now_ms())
        self.leds = bytearray(3 * self.ctrl.leds)
        self.frame = array("h", bytes(2 * TurnDetector.FRAME_SAMPLES))
        self.rejected = 0
        self.retained_dropped = 0  # retained commands ignored (also counted in `rejected`, which tele carries)
        self.last_error = None  # the last exception a command raised in the rx task
        self.link_error = None  # the last link fault the link task saw (tele.link_error)
        self.online = False  # connected and subscribed to commands
        self.frames = 0
        self.host_sync = None  # (host Unix ms, ticks) from the last cmd/time
        self.responses = RingQueue(self.responses_max, self.wake)  # encoded `resp` documents
        self._saved_seq = 0
        self._tasks = []
        self._last_tele = None
        # optional hook, None on a device: on_message(topic, payload) -> True when it took the message
        # (the simulator's own topics); anything else goes on to handle_message
        self.on_message = None

    # -- life cycle ---------------------------------------------------------------
    @classmethod
    def from_storage(cls, hal, device_id, board="sim", settings=None):
        """Boot: read the previous boot's record and the saved session, start a new boot."""
        prev = hal.storage.load("boot") or {}
        record = hal.storage.load("puck")
        if settings is None and record and record.get("settings"):
            # settings that size things (leds, max_hands) must be known before the controller is built
            settings = Settings.from_dict(record["settings"])
        p = cls(hal, device_id, board, settings, record, prev.get("boot"), prev.get("seq", 0))
        p._save_boot()
        return p

    def start(self):
        for coro in (self._audio(), self._button(), self._ui(), self._store(), self._link(), self._rx()):
            self._tasks.append(asyncio.create_task(coro))

    def deinit(self):
        for t in self._tasks:
            t.cancel()
        self._tasks = []

    async def shutdown(self, drain_ms=10000):
        """Clean stop: wait (bounded) for the outbox to drain, say offline, then stop every task."""
        waited = 0
        while len(self.outbox) and waited < drain_ms:
            await asyncio.sleep(0.05)
            waited += 50
        self._persist(self.hal.clock.now_ms())
        self.deinit()
        link = self.hal.link
        if link.up:
            try:
                await link.publish(self.root + "status", b"offline", 1, True)
            except OSError:
                pass
        try:
            await link.close()
        except OSError:
            pass

    # -- tasks ----------------------------------------------------------------------
    async def _audio(self):
        det = self.detector
        ctrl = self.ctrl
        frame = self.frame
        talking = False
        voice = 0
        epoch = ctrl.voice_epoch
        while True:
            if epoch != ctrl.voice_epoch:
                epoch = ctrl.voice_epoch
                det.reset_voices()
            if not await self.hal.mic.read(frame):
                await self.hal.sleep_ms(20)
                continue
            self.frames += 1
            now = self.hal.clock.now_ms()
            if ctrl.mic_paused:
                continue  # privacy: the frame is dropped unheard
            if det.feed(frame, now):
                while True:
                    ev = det.pop_event()
                    if ev is None:
                        break
                    if ev[0] == EV_TURN_END:
                        ctrl.on_turn(ev[1], ev[2], ev[3], ev[4], ev[5], now, ev[6])
                    elif ev[0] == EV_SUMMARY:
                        ctrl.on_summary(ev[1], ev[2], ev[3], ev[4], ev[5], ev[6], now)
            if det.talking != talking or det.voice != voice:
                talking = det.talking
                voice = det.voice
                ctrl.set_talking(talking, voice, now)

    async def _button(self):
        g = self.gestures
        btn = self.hal.button
        while True:
            now = self.hal.clock.now_ms()
            gesture = g.update(btn.value(), now)
            self.ctrl.hold_ms = g.start_progress_ms(now)  # the ring fills while tap-tap-hold is held
            if gesture:
                self.ctrl.on_gesture(gesture, now)
            await self.hal.sleep_ms(self.button_poll_ms)

    async def _ui(self):
        ctrl = self.ctrl
        while True:
            now = self.hal.clock.now_ms()
            ctrl.tick(now)
            ctrl.render(now, self.leds)
            self.hal.leds.write(self.leds)
            if self._saved_seq != self.outbox.last_seq:
                self._save_boot()
            if self.online and (not self.hal.link.up or self._tele_due(now)):
                self.wake.set()  # the link task waits for work: time is the one thing it cannot see
            await self.hal.sleep_ms(self.ui_ms)

    async def _store(self):
        save = self._save
        while True:
            await save.wait()
            self._persist(self.hal.clock.now_ms())

    def _persist(self, now):
        if self.ctrl.persist_dirty:
            self._save.clear()
            self.hal.storage.save("puck", self.ctrl.record(now))
        if self._saved_seq != self.outbox.last_seq:
            self._save_boot()

    def _save_boot(self):
        # the host learns events lost at the end of a boot from info.prev_seq (protocol §4)
        self._saved_seq = self.outbox.last_seq
        self.hal.storage.save("boot", {"boot": self.boot, "seq": self._saved_seq})

    async def _link(self):
        link = self.hal.link
        backoff = self.reconnect_min_ms
        while True:
            try:
                await link.connect(self.root + "status", b"offline")
                await self._on_connect(link)
                backoff = self.reconnect_min_ms
                while True:
                    if not link.up:  # dropped in the background: notice now, not at the next publish
                        raise OSError("MQTT link down")
                    if self._has_pending():  # checked without a coroutine call
                        await self._send_pending(link)
                    else:
                        self.wake.clear()  # nothing can be added between the check and the wait
                        await self.wake.wait()
            except OSError as e:
                # one reconnect path for every link fault; the puck keeps time meanwhile
                self.link_error = e
                # the broker may have died before saving what it acked last: send that again
                self.outbox.rewind(self.hal.clock.now_ms())
                self.ctrl.connected = False
                self.online = False
                await self.hal.sleep_ms(backoff)
                backoff = min(backoff * 2, self.reconnect_max_ms)

    async def _on_connect(self, link):
        now = self.hal.clock.now_ms()
        await link.publish(self.root + "status", b"online", 1, True)
        await link.publish(self.root + "info", codec.encode_doc(self.boot, now, self.info_fields()), 1, True)
        await link.subscribe(self.root + "cmd/#", 1)
        await link.subscribe(codec.ROOT + codec.GROUP + "/cmd/#", 1)
        self.ctrl.connected = True
        self.ctrl.state_flag.set()
        self._last_tele = None
        self.online = True

    def info_fields(self):
        return {
            "fw": VERSION,
            "board": self.board,
            "leds": self.ctrl.leds,
            "room": self.ctrl.settings.room,  # pyright: ignore[reportAttributeAccessIssue]  (set from SPEC)
            "caps": self.capabilities(),
            "prev_boot": self.prev_boot,
            "prev_seq": self.prev_seq,
            "proto_rev": PROTOCOL_REVISION,
        }

    def capabilities(self):
        """`info.caps`: the fixed ones, and `voices` when the detector tells voices apart."""
        caps = list(self.caps)  # type: list[str]
        if self.detector.p.max_voices > 1:
            caps.append("voices")
        return caps

    def _tele_due(self, now):
        return self._last_tele is None or ticks_diff(now, self._last_tele) >= self.tele_ms

    def _has_pending(self):
        if self.ctrl.state_dirty or len(self.responses) or len(self.outbox):
            return True
        return self._tele_due(self.hal.clock.now_ms())

    async def _send_pending(self, link):
        ctrl = self.ctrl
        if ctrl.state_dirty:
            ctrl.state_flag.clear()
            now = self.hal.clock.now_ms()
            await link.publish(self.root + "state", codec.encode_doc(self.boot, now, ctrl.state_fields(now)), 1, True)
        resp = self.responses
        while True:
            doc = resp.peek()
            if doc is None:
                break
            await link.publish(self.root + "resp", doc, 1, False)
            if resp.peek() is doc:  # (unless a burst pushed it out meanwhile)
                resp.get_nowait()
        sent = 0
        while sent < 16:  # bounded, so state and responses are not starved by a long backlog
            item = self.outbox.peek()
            if item is None:
                break
            seq, kind, payload = item
            await link.publish(self.root + "evt/" + kind, payload, 1, False)
            self.outbox.ack(seq, self.hal.clock.now_ms())
            sent += 1
        now = self.hal.clock.now_ms()
        if self._tele_due(now):
            self._last_tele = now
            await link.publish(self.root + "tele", codec.encode_doc(self.boot, now, self.tele_fields(now)), 0, False)

    def tele_fields(self, now):
        return tele.fields(self, now)

    async def _rx(self):
        link = self.hal.link
        while True:
            msg = await link.recv()
            if self.drop_retained(msg):
                continue
            topic, payload = msg[0], msg[1]
            try:
                if self.on_message is None or not self.on_message(topic, payload):
                    self.handle_message(topic, payload, self.hal.clock.now_ms())
            except Exception as e:  # never let one message stop the command task
                self.rejected += 1
                self.last_error = repr(e)

    def drop_retained(self, msg):
        """True (and counted) when `msg` = (topic, payload[, retained]) is a retained command.

        Mosquitto's ACL cannot see the retain flag, so anyone allowed to command could leave a
        retained command that every puck connecting later would obey: a puck takes commands only
        as they are sent (the host never retains one and clears any it finds)."""
        if len(msg) > 2 and msg[2]:
            self.retained_dropped += 1
            self.rejected += 1
            return True
        return False

    def handle_message(self, topic, payload, now):
        """One incoming command: check it, run it, queue the response. Bad input is counted, never fatal."""
        try:
            verb, args = codec.decode_command(topic, payload, self.device)
        except ProtocolError as e:
            self.rejected += 1
            cid = _id_of(payload)
            if cid:
                self._respond(cid, topic.split("/")[-1], str(e), now)
            return
        if codec.expired(args, self.host_sync, now):
            self._respond(args["id"], verb, "expired", now)
            return
        if verb == "time":
            self.host_sync = (args["now_ms"], now)
            error = None
        else:
            try:
                error = self.ctrl.on_command(verb, args, now)
            except Exception as e:  # a controller bug must not stop the puck: report it
                error = "internal: %r" % (e,)
        if error:
            self.rejected += 1
        self._respond(args["id"], verb, error, now)

    def _respond(self, cid, verb, error, now):
        fields = {"id": cid, "verb": verb, "ok": error is None, "error": error}
        self.responses.put(codec.encode_doc(self.boot, now, fields))  # full: the oldest goes, counted



def _id_of(payload):
    """The command id of a payload that failed checks, if one can be read: to answer it."""
    try:
        import json

        doc = json.loads(payload)
        cid = doc.get("id") if type(doc) is dict else None
        return cid if type(cid) is str and cid else None
    except Exception:
        return None

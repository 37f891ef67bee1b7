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
    link    connect, birth/info/subscribe, then retained state, outbox, responses, tele (puckcore.uplink)
    rx      commands -> codec -> (time sync | controller) -> response (puckcore.uplink)

Every queue is a puckcore.ringqueue.RingQueue (drop-oldest, counted); every drop and error count
(outbox, detector, responses, MQTT inbox, I2S short reads, storage errors, the last link error)
goes out in `tele` (protocol §5).
"""
import asyncio
from array import array

from puckcore import VERSION, codec, tele
from puckcore.chime import Chime
from puckcore.controller import Controller
from puckcore.detect_light import LightParams
from puckcore.detector import EV_SUMMARY, EV_TURN_END, TurnDetector
from puckcore.flag import Flag
from puckcore.gestures import Gestures
from puckcore.outbox import Outbox
from puckcore.protocol import PROTOCOL_REVISION
from puckcore.settings import Settings
from puckcore.uplink import Uplink
from puckcore.watchdog import W_AUDIO, W_RING, Watchdog, boot_reason


class Puck:
    ui_ms = 50
    button_poll_ms = 10
    responses_max = Uplink.responses_max  # (tele_ms and the reconnect backoff are Uplink's)
    caps = ("vad", "turns", "ring", "button")

    def __init__(self, hal, device_id, board="sim", settings=None, record=None, prev_boot=None, prev_seq=0,
                 detector="full"):
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
        # "light" (a board's `detector`, e.g. the Pico W): one voice, no remote cue (detect_light.py)
        self.detector = TurnDetector(params=LightParams) if detector == "light" else TurnDetector()
        self.gestures = Gestures(active_low=False)  # hal.button.value() already means pressed
        self._save = asyncio.Event()  # the controller's record should be saved (the store task waits)
        self.ctrl = Controller(device_id, self.boot, settings or Settings(), self.outbox,
                               state_flag=Flag(self.wake), persist_flag=self._save)
        if record:
            self.ctrl.restore(record, hal.clock.now_ms())
        self.leds = bytearray(3 * self.ctrl.leds)
        self.frame = array("h", bytes(2 * TurnDetector.FRAME_SAMPLES))
        self.frames = 0
        # the link and rx tasks: publishing, commands, responses, and their counters (see the
        # properties below)
        self.uplink = Uplink(self)
        self._saved_seq = 0
        self._tasks = []
        # fed by the ui task while audio, ring and link all loop (puckcore.watchdog); hal.watchdog
        # is the platform's (machine.WDT, systemd), absent in the simulator
        self.watch = Watchdog(getattr(hal, "watchdog", None), hal.storage)
        self.reset_reason = "unknown"  # info.reset_reason; from_storage asks the platform
        self.chime = Chime(getattr(hal, "chime", None))  # optional speaker (setting `chime`)
        # optional hook, None on a device: on_message(topic, payload) -> True when it took the message
        # (the simulator's own topics); anything else goes on to handle_message
        self.on_message = None

    # -- life cycle ---------------------------------------------------------------
    @classmethod
    def from_storage(cls, hal, device_id, board="sim", settings=None, detector="full"):
        """Boot: read the previous boot's record and the saved session, start a new boot."""
        prev = hal.storage.load("boot") or {}
        record = hal.storage.load("puck")
        if settings is None and record and record.get("settings"):
            # settings that size things (leds, max_hands) must be known before the controller is built
            settings = Settings.from_dict(record["settings"])
        p = cls(hal, device_id, board, settings, record, prev.get("boot"), prev.get("seq", 0), detector)
        p.reset_reason = boot_reason(hal, hal.storage)
        p._save_boot()
        return p

    def start(self):
        for coro in (self._audio(), self._button(), self._ui(), self._store(), self.uplink.link(), self.uplink.rx()):
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
        watch = self.watch
        cue = det.voices_on  # the remote cue runs with the voices: else `remote` stays unknown
        while True:
            watch.checkin(W_AUDIO, self.hal.clock.now_ms())
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
                        ctrl.on_turn(ev[1], ev[2], ev[3], ev[4], ev[5], now, ev[6],
                                     det.voice_remote(ev[3]) if cue else None)
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
            self.watch.checkin(W_RING, now)
            self.watch.feed(now)
            self.chime.update(ctrl.session.phase, ctrl.settings.chime, now, self.detector)  # pyright: ignore[reportAttributeAccessIssue]
            if self._saved_seq != self.outbox.last_seq:
                self._save_boot()
            if self.uplink.online and (not self.hal.link.up or self.uplink.tele_due(now)):
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

    def info_fields(self):
        fields = {
            "fw": VERSION,
            "board": self.board,
            "leds": self.ctrl.leds,
            "room": self.ctrl.settings.room,  # pyright: ignore[reportAttributeAccessIssue]  (set from SPEC)
            "caps": self.capabilities(),
            "prev_boot": self.prev_boot,
            "prev_seq": self.prev_seq,
            "proto_rev": PROTOCOL_REVISION,
            "reset_reason": self.reset_reason,
        }
        if self.ctrl.fw is not None:
            fields.update(self.ctrl.fw.info_fields())  # fw_slot, fw_trial, fw_rollback (updates, §11)
        return fields

    def capabilities(self):
        """`info.caps`: the fixed ones, `voices` when the detector tells voices apart, and `remote`
        when it tells a voice from a laptop loudspeaker (both absent in the light configuration)."""
        caps = list(self.caps)  # type: list[str]
        if self.detector.voices_on:
            caps.append("voices")
            caps.append("remote")
        return caps

    def tele_fields(self, now):
        return tele.fields(self, now)

    # -- the uplink's state, under the names the simulator, tests and app_main use ---------------
    @property
    def online(self):
        """Connected and subscribed to commands."""
        return self.uplink.online

    @property
    def rejected(self):
        return self.uplink.rejected

    @property
    def retained_dropped(self):
        return self.uplink.retained_dropped

    @property
    def responses(self):
        return self.uplink.responses

    @property
    def link_error(self):
        return self.uplink.link_error

    @property
    def last_error(self):
        return self.uplink.last_error

    @property
    def host_sync(self):
        return self.uplink.host_sync

    def drop_retained(self, msg):
        return self.uplink.drop_retained(msg)

    def handle_message(self, topic, payload, now):
        """One incoming command (puckcore.uplink.Uplink.handle_message)."""
        self.uplink.handle_message(topic, payload, now)

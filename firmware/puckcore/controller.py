"""controller — the puck's pure, synchronous glue: commands, gestures, turns in; events, state, ring out.

The async app (puck.py) drives it: it passes each decoded command to `on_command`, each button
gesture to `on_gesture`, each finished talk-turn and summary from the detector, calls `tick()`
every 50-100 ms and `render()` every frame. Events go out through the outbox
(`outbox.add(kind, fields, now_ms)` -> seq). Two Event-like flags (`set()`, `clear()`,
`is_set()`: an asyncio.Event, or a puckcore.flag.Flag when nothing waits) tell the app what to do
next: `state_flag` (republish the retained `state`, protocol §3.2) and `persist_flag` (save
`record()` atomically); the task doing the work clears it; `state_dirty` / `persist_dirty` read
them. `mic_paused` tells the app to stop feeding audio. Nothing here does I/O or blocks.

Its parts live elsewhere: the ring view is filled by ringview.fill_view, the documents (`state`,
the saved record) are built by puckcore.records, the session's timing is puckcore.session's.
"""
from puckcore.commands import HANDLERS
from puckcore.gestures import DOUBLE, LONG, PRESS, START
from puckcore.flag import Flag
from puckcore.hands import Hands
from puckcore import records
from puckcore.ring import Ring
from puckcore.ringview import MAX_VOICES, RingView, fill_view
from puckcore.session import ENDED, NAMES, Session, in_session
from puckcore.ticks import ticks_diff



class Controller:
    state_every_s = 10  # republish `state` at least this often during a session
    persist_every_s = 60  # save the countdown this often during a session (bounds reboot drift)
    identify_default_s = 10
    ring_test_ms = 3200  # the test pattern runs this long

    def __init__(self, device_id, boot, settings, outbox, leds=None, state_flag=None, persist_flag=None):
        self.device_id = device_id
        self.boot = boot
        self.settings = settings
        self.outbox = outbox
        self.leds = leds if leds is not None else settings.leds
        self.session = Session(settings)
        self.hands = Hands(settings.max_hands)
        self.ring = Ring(self.leds, settings)
        self.view = RingView()
        self.state_flag = state_flag if state_flag is not None else Flag()
        self.persist_flag = persist_flag if persist_flag is not None else Flag()
        self.state_flag.set()  # publish a first `state` after boot
        self.mic_paused = False
        self.connected = True
        self.talking = False
        self.voice = 0
        self.voice_epoch = 0  # goes up when a session starts or ends: the detector forgets its voices
        self.hold_ms = 0  # set by the app while tap-tap-hold is being held (ring progress)
        self.identify_until = 0
        self.identify_on = False
        self.follow_until = 0  # the follow-up window after a call (cmd/follow_up): until this tick
        self.follow_on = False
        self.follow_total_ms = 0
        self.test_from = 0
        self.test_on = False
        self.fw = None  # the updater (puckport/fwupdate.py) on a puck that takes updates: app_main sets it
        self._state_ms = 0  # when the state flag was last raised
        self._persist_ms = 0  # when the persist flag was last raised
        self._voice_ms = self.view.voice_ms  # talk ms per voice this session (shared with the view)
        # per voice this session: 0 unknown, ROOM, CALL (the detector's voice_remote at its last turn)
        self.voice_where = bytearray(MAX_VOICES + 1)

    @property
    def state_dirty(self):
        return self.state_flag.is_set()

    @property
    def persist_dirty(self):
        return self.persist_flag.is_set()

    # --- commands -------------------------------------------------------------------------------
    def on_command(self, verb, args, now_ms):
        """Carry out a host command. None when done, else an error string for `resp`.

        The handlers are in puckcore.commands; the codec has checked the fields already."""
        handler = HANDLERS.get(verb)
        if handler is None:
            return "unknown verb %s" % verb
        return handler(self, args, now_ms)

    # --- the button -----------------------------------------------------------------------------
    def on_gesture(self, gesture, now_ms):
        if gesture == PRESS:
            if self.hands.full():
                return  # the ring already shows a full row of pips
            hand = self.outbox.next_seq
            self.hands.add(hand)
            seq = self.outbox.add("hand", {"action": "raise", "hand": hand, "waiting": self.hands.count}, now_ms)
            if seq != hand:  # an outbox that numbers differently: keep the number the host sees
                self.hands.withdraw()
                self.hands.add(seq)
            self._dirty(now_ms)
            self._persist(now_ms)  # a reboot keeps the waiting hands (records.record)
        elif gesture == DOUBLE:
            hand = self.hands.withdraw()
            if hand:
                self._hand_event("withdraw", hand, now_ms)
        elif gesture == LONG:
            self._toggle_mic(now_ms)
        elif gesture == START:
            s = self.session
            if in_session(s.phase):
                return  # a session runs already: the gesture does nothing
            sid = "%s:%s:%d" % (self.device_id, self.boot, self.outbox.next_seq)
            self._new_session()
            s.start(sid, self.settings.default_session_s, self.settings.warn_s, now_ms, "button")
            self._drain(now_ms)

    # --- the detector ---------------------------------------------------------------------------
    def on_turn(self, start_ms, end_ms, voice, conf, level_db, now_ms, cont=0, remote=None):
        """One finished turn piece. `remote`: True/False from the detector's voice_remote(voice),
        None when this puck does not tell (no remote cue: the field stays out, protocol §4.1)."""
        fields = {"start_ms": start_ms, "end_ms": end_ms, "voice": voice, "conf": conf, "level_db": level_db}
        if cont:
            fields["cont"] = True  # continues the turn event before it, no pause (protocol §4.1)
        if remote is not None:
            fields["remote"] = bool(remote)  # the voice comes from a laptop loudspeaker (revision 5)
        self.outbox.add("turn", fields, now_ms)
        if 1 <= voice <= MAX_VOICES:
            d = ticks_diff(end_ms, start_ms)
            if d > 0:
                self._voice_ms[voice] += d
            if remote is not None:
                self.voice_where[voice] = records.CALL if remote else records.ROOM

    def on_summary(self, from_ms, to_ms, speech_ms, turns, level_db, noise_db, now_ms):
        fields = {"from_ms": from_ms, "to_ms": to_ms, "speech_ms": speech_ms, "turns": turns,
                  "level_db": level_db, "noise_db": noise_db}
        if in_session(self.session.phase):
            voices = records.voices(self)  # the session's voices so far, with `remote` (revision 5)
            if voices:
                fields["voices"] = voices
        self.outbox.add("vad", fields, now_ms)

    def set_talking(self, talking, voice, now_ms):
        talking = bool(talking)
        if not talking:
            voice = 0
        if talking != self.talking or voice != self.voice:
            self.talking = talking
            self.voice = voice
            self._dirty(now_ms)

    # --- time -------------------------------------------------------------------------------------
    def tick(self, now_ms):
        s = self.session
        s.poll(now_ms)
        self._drain(now_ms)
        if self.identify_on and ticks_diff(now_ms, self.identify_until) >= 0:
            self.identify_on = False
        if self.follow_on and ticks_diff(now_ms, self.follow_until) >= 0:
            self.follow_on = False
            self._dirty(now_ms)  # state.follow_s goes
        if self.test_on and ticks_diff(now_ms, self.test_from) >= self.ring_test_ms:
            self.test_on = False
        if self.hands.acked and ticks_diff(now_ms, self.hands.last_ack_ms) >= 60000:
            self.hands.acked = False  # the overlay is long over: forget the time before ticks wrap
        if in_session(s.phase):
            if ticks_diff(now_ms, self._state_ms) >= self.state_every_s * 1000:
                self._dirty(now_ms)
            if ticks_diff(now_ms, self._persist_ms) >= self.persist_every_s * 1000:
                self._persist(now_ms)

    def render(self, now_ms, out):
        """Fill `out` (bytearray(3*leds)) with this frame; allocates nothing."""
        fill_view(self.view, self, now_ms)
        self.ring.render(self.view, now_ms, out)

    # --- documents (puckcore.records) -------------------------------------------------------------
    def state_fields(self, now_ms):
        return records.state_fields(self, now_ms)

    def record(self, now_ms):
        return records.record(self, now_ms)

    def restore(self, record, now_ms):
        """Resume from a saved record (puckcore.records.restore); returns a list of what was dropped."""
        dropped = records.restore(self, record, now_ms)
        self._drain(now_ms)
        self._dirty(now_ms)
        return dropped

    # --- internals --------------------------------------------------------------------------------
    def _new_session(self):
        self.voice_epoch += 1  # the detector forgets its voices: ids restart with every session
        for k in range(len(self._voice_ms)):
            self._voice_ms[k] = 0
            self.voice_where[k] = 0

    def _resize_hands(self):
        self.hands = self.hands.resized(self.settings.max_hands)

    def _toggle_mic(self, now_ms):
        """The privacy gesture: pause the microphone, or resume it."""
        self.mic_paused = not self.mic_paused
        if self.mic_paused:
            self.talking = False
            self.voice = 0
        self.outbox.add("mic", {"mic": records.mic_name(self.mic_paused)}, now_ms)
        self._dirty(now_ms)
        self._persist(now_ms)  # saved at once, in a session or not: a reboot must not listen again

    def _hand_event(self, action, hand, now_ms):
        self.outbox.add("hand", {"action": action, "hand": hand, "waiting": self.hands.count}, now_ms)
        self._dirty(now_ms)
        self._persist(now_ms)

    def _drain(self, now_ms):
        """Turn the session's queued phase changes into evt/session events."""
        s = self.session
        if not s.changes:
            if s.save_due:
                s.save_due = False
                self._persist(now_ms)
            return
        rem = s.remaining_s(now_ms)
        for phase, cause in s.changes:
            fields = {
                "phase": NAMES[phase],
                "session": s.session,
                "limit_s": s.limit_s,
                "warn_s": s.warn_s,
                "remaining_s": rem if in_session(phase) else 0,
                "cause": cause,
            }
            if phase == ENDED:
                self.voice_epoch += 1  # voice features do not outlive the session (docs/privacy.md)
                voices = records.voices(self)  # the session's summary: its voices (revision 5)
                if voices:
                    fields["voices"] = voices
            self.outbox.add("session", fields, now_ms)
        del s.changes[:]
        s.save_due = False
        self._persist(now_ms)
        self._dirty(now_ms)

    def _dirty(self, now_ms):
        self.state_flag.set()
        self._state_ms = now_ms

    def _persist(self, now_ms):
        self.persist_flag.set()
        self._persist_ms = now_ms

"""ring — renders the session, break and overlays onto the LED ring; integer maths, no allocation.

`Ring(leds, settings).render(view, now_ms, out)` fills `out` (a preallocated bytearray of 3*leds,
RGB order; the HAL reorders for its strip) from a `RingView` (puckcore.ringview). LED 0 is the top
of the ring (by the button); indices run clockwise. The visual language (docs/ring.md): every
phase and overlay differs by *position and pattern* as well as colour, so it reads for colour-blind
people and in a bright room.

    idle      one dim dot at the top
    running   a solid arc from the top, clockwise, draining back smoothly (sub-LED fades)
    warning   the whole ring pulses twice (once, clearly), then settles into a dashed arc; from
              here the whole ring stands for the warning time (the last minutes are zoomed in)
    wrapup    the (zoomed) arc breathes slowly
    timeup    light blooms from the top round the whole ring, breathes for a while, then rests
    overrun   a dim full ring with a bright arc growing anticlockwise from the top (one LED a minute
              up to the whole ring in `overrun_full_s`); steady, never flashing
    ended     the whole ring fades out
    break     every other LED, filling clockwise as the break is taken; all of them lit steady
              once the minimum break has been taken
    follow-up every third LED in soft rose, breathing slowly, draining clockwise as the follow-up
              window after a call runs out (in place of the break fill and the idle dot)
    overlays  hands: pips at the bottom (the next one brightest, gaps between); acknowledged: a
              band that spreads from the bottom and fades; mic paused: two steady dots at 3 and 9
              o'clock; connection lost: a short blink of the top LED every few seconds; identify:
              the whole ring blinks; the start gesture's hold fills the ring white; balance: ring
              segments by share of talk time, one per voice, with a dark LED between segments.

Colours move gently: a new phase crossfades from the old one over `crossfade_ms`. Brightness cap,
gamma and night mode are folded into one 256-entry table built by `configure()` (not per frame).
The renderer draws in linear 0..255 into a private buffer, then maps it through the table to `out`.
"""
from puckcore.gestures import START_HOLD_MS
from puckcore.ringmodes import VOICES, balance, follow_up, ring_test  # noqa: F401 (VOICES: kept importable)
from puckcore.session import BREAK, ENDED, IDLE, OVERRUN, RUNNING, TIMEUP, WARNING, WRAPUP

# linear colours per phase (index = the phase constant of puckcore.session, 3 bytes each)
PALETTE = bytes((
    200, 200, 200,  # idle: soft white
    0, 190, 140,  # running: teal
    255, 150, 0,  # warning: amber
    255, 80, 0,  # wrapup: orange
    190, 60, 255,  # timeup: violet
    160, 40, 230,  # overrun: violet
    255, 190, 120,  # ended: warm white
    40, 90, 255,  # break: blue (green once the minimum break is taken)
))
HAND = (255, 255, 255)
ACK = (0, 255, 90)
MIC = (255, 0, 60)
LOST = (255, 40, 0)
BREAK_OK = (0, 220, 90)


def _tri(t, period):
    """Triangle wave 0..256..0 over `period` ms (t >= 0)."""
    p = t % period
    v = p * 512 // period
    return v if v <= 256 else 512 - v


class Ring:
    crossfade_ms = 2000  # colour move between phases
    warn_flash_ms = 4000  # the warning pulses this long (two pulses), once
    wrapup_breathe_ms = 3000  # breathing period in wrap-up
    timeup_bloom_ms = 1500  # light spreads round the ring at time up
    timeup_breathe_for_ms = 30000  # then breathes this long, then rests steady
    breathe_ms = 4000  # breathing period at time up
    overrun_full_s = 900  # overrun arc: the whole ring after this long (one LED a minute on 15)
    ended_fade_ms = 20000  # the ended ring fades out over this long
    ack_show_ms = 4000  # the acknowledgement band shows this long
    lost_every_ms = 3000  # connection lost: the top LED blinks once this often
    lost_on_ms = 200
    identify_period_ms = 500  # identify: on/off blink period
    test_step_ms = 800  # ring test: each colour this long
    follow_breathe_ms = 6000  # follow-up window: breathing period
    start_hold_ms = START_HOLD_MS  # full fill of the start-gesture progress
    night_cap = 24  # brightness cap in night mode
    dim_idle = 110  # idle dot level (linear)
    dash_level = 70  # dashed arc: the odd LEDs at this level /256
    overrun_floor = 40  # overrun's dim full ring /256
    track_level = 14  # a faint track shows the drained part of the ring /256

    def __init__(self, leds, settings=None):
        self.n = leds
        self._lin = bytearray(3 * leds)
        self._lut = bytearray(256)
        self.night = False
        self.configure(settings)

    def configure(self, settings):
        """Build the output table from the brightness cap, gamma and night mode (not per frame)."""
        cap = 160
        gamma = True
        self.night = False
        if settings is not None:
            cap = settings.brightness
            gamma = settings.gamma
            self.night = settings.night
        if self.night and cap > self.night_cap:
            cap = self.night_cap
        lut = self._lut
        for i in range(256):
            if gamma:
                v = int(((i / 255.0) ** 2.2) * cap + 0.5)
                if v == 0 and i > 0 and cap > 0:
                    v = 1 if i * cap >= 255 * 8 else 0  # keep faint levels faintly visible
            else:
                v = (i * cap + 127) // 255
            lut[i] = v

    # --- drawing primitives on the linear buffer -------------------------------------------------
    def _clear(self):
        lin = self._lin
        for i in range(len(lin)):
            lin[i] = 0

    def _set(self, i, r, g, b, lvl):
        """LED i := colour at level lvl/256."""
        j = 3 * (i % self.n)
        lin = self._lin
        lin[j] = r * lvl >> 8
        lin[j + 1] = g * lvl >> 8
        lin[j + 2] = b * lvl >> 8

    def _max(self, i, r, g, b, lvl):
        """LED i := the brighter of itself and colour at lvl (per channel)."""
        j = 3 * (i % self.n)
        lin = self._lin
        v = r * lvl >> 8
        if v > lin[j]:
            lin[j] = v
        v = g * lvl >> 8
        if v > lin[j + 1]:
            lin[j + 1] = v
        v = b * lvl >> 8
        if v > lin[j + 2]:
            lin[j + 2] = v

    def _dot(self, i, r, g, b, lvl):
        """A marker: LED i in colour, its two neighbours dark (so it stands out by position)."""
        self._set(i - 1, 0, 0, 0, 0)
        self._set(i, r, g, b, lvl)
        self._set(i + 1, 0, 0, 0, 0)

    def _units(self, part, whole):
        """part/whole of the ring in 1/256 LED units, without leaving +-2**30."""
        if whole <= 0 or part <= 0:
            return 0
        if part > whole:
            part = whole
        while whole >= 65536:
            whole >>= 1
            part >>= 1
        if whole == 0:
            return 0
        return part * (self.n * 256) // whole

    def _arc(self, units, r, g, b, dashed, lvl, ccw):
        """An arc from the top, `units`/256 LEDs long, the last LED partly lit (sub-LED)."""
        n = self.n
        for i in range(n):
            a = units - i * 256
            if a <= 0:
                continue
            if a > 256:
                a = 256
            if dashed and (i & 1):
                a = a * self.dash_level >> 8
            a = a * lvl >> 8
            self._set((n - i) % n if ccw else i, r, g, b, a)

    # --- the frame --------------------------------------------------------------------------------
    def render(self, v, now_ms, out):
        """Fill `out` (3*leds bytes, RGB) for the view `v` at `now_ms`; allocates nothing."""
        self._clear()
        if v.test_ms >= 0:
            ring_test(self, v.test_ms)
        else:
            if v.balance:
                balance(self, v)
            else:
                self._phase(v)
            self._overlays(v, now_ms)
        if v.identify_ms > 0 and (v.identify_ms // self.identify_period_ms) & 1 == 0:
            for i in range(self.n):
                self._set(i, 255, 255, 255, 256)
        lut = self._lut
        lin = self._lin
        for i in range(3 * self.n):
            out[i] = lut[lin[i]]

    def _phase(self, v):
        p = v.phase
        n = self.n
        # the phase colour, crossfading from the previous phase
        k = 3 * p
        r = PALETTE[k]
        g = PALETTE[k + 1]
        b = PALETTE[k + 2]
        if v.prev_phase != p and 0 <= v.phase_ms < self.crossfade_ms and v.flash_ms < 0:
            t = v.phase_ms * 256 // self.crossfade_ms
            q = 3 * v.prev_phase
            r = (PALETTE[q] * (256 - t) + r * t) >> 8
            g = (PALETTE[q + 1] * (256 - t) + g * t) >> 8
            b = (PALETTE[q + 2] * (256 - t) + b * t) >> 8
        if v.follow_ms > 0 and (p == IDLE or p == BREAK):
            follow_up(self, v)  # the follow-up window, in place of the break fill (puckcore.ringmodes)
        elif p == IDLE:
            self._set(0, r, g, b, self.dim_idle)
        elif RUNNING <= p <= WRAPUP:  # the draining arc
            whole = v.limit_ms
            if p >= WARNING and 0 < v.warn_ms < whole:
                whole = v.warn_ms  # the last minutes, zoomed: the whole ring is the warning time
            units = self._units(v.remaining_ms, whole)
            for i in range(n):
                self._set(i, r, g, b, self.track_level)
            lvl = 256
            if p == WRAPUP:
                lvl = 144 + (_tri(v.phase_ms, self.wrapup_breathe_ms) * 112 >> 8)
            self._arc(units, r, g, b, p == WARNING, lvl, False)
            if p == WARNING and 0 <= v.flash_ms < self.warn_flash_ms:
                pulse = _tri(v.flash_ms, self.warn_flash_ms >> 1)
                for i in range(n):
                    self._max(i, r, g, b, pulse)
        elif p == TIMEUP:  # bloom from the top, breathe, rest
            t = v.phase_ms
            if t < self.timeup_bloom_ms:
                reach = t * (n * 128) // self.timeup_bloom_ms  # half the ring each way, in units
                for i in range(n):
                    d = i if i <= n - i else n - i  # distance from the top
                    a = reach - d * 256 + 256
                    if a > 256:
                        a = 256
                    if a > 0:
                        self._set(i, r, g, b, a)
            else:
                lvl = 200
                if t < self.timeup_breathe_for_ms:
                    lvl = 96 + (_tri(t - self.timeup_bloom_ms, self.breathe_ms) * 160 >> 8)
                for i in range(n):
                    self._set(i, r, g, b, lvl)
        elif p == OVERRUN:  # dim ring, bright arc counting up anticlockwise
            for i in range(n):
                self._set(i, r, g, b, self.overrun_floor)
            over = -v.remaining_ms
            units = self._units(over, self.overrun_full_s * 1000)
            if units < 256:
                units = 256  # at least the top LED
            self._arc(units, r, g, b, False, 256, True)
        elif p == ENDED:  # the whole ring fades out
            t = v.phase_ms
            lvl = 0
            if t < self.ended_fade_ms:
                lvl = 256 - t * 256 // self.ended_fade_ms
            for i in range(n):
                self._set(i, r, g, b, lvl)
        elif p == BREAK:  # every other LED, filling clockwise; all lit once enough
            if v.min_break_ms <= 0 or v.break_ms >= v.min_break_ms:
                c = BREAK_OK
                for i in range(0, n, 2):
                    self._set(i, c[0], c[1], c[2], 160)
            else:
                units = self._units(v.break_ms, v.min_break_ms)
                for i in range(0, n, 2):
                    a = units - i * 256
                    if a > 512:
                        a = 512
                    lvl = 48 if a <= 0 else 48 + (a * 176 >> 9)
                    self._set(i, r, g, b, lvl)

    def _overlays(self, v, now_ms):
        n = self.n
        bottom = n >> 1
        if v.hold_ms > 0:  # tap-tap-hold progress: the ring fills white
            units = self._units(v.hold_ms, self.start_hold_ms)
            self._arc(units, 255, 255, 255, False, 200, False)
        if v.hands > 0:
            h = v.hands
            if h > n >> 2:
                h = n >> 2
            first = bottom - (h - 1)  # pips two apart, centred on the bottom
            for k in range(h):
                self._dot(first + 2 * k, HAND[0], HAND[1], HAND[2], 256 if k == 0 else 150)
        if 0 <= v.ack_ms < self.ack_show_ms:
            t = v.ack_ms
            reach = 256 + t * (n * 96) // self.ack_show_ms  # spreads round most of the ring
            lvl = 256 - t * 256 // self.ack_show_ms
            for i in range(n):
                d = i - bottom
                if d < 0:
                    d = -d
                a = reach - d * 256
                if a > 0:
                    if a > 256:
                        a = 256
                    self._set(i, ACK[0], ACK[1], ACK[2], a * lvl >> 8)
        if v.mic_paused:
            self._dot(n >> 2, MIC[0], MIC[1], MIC[2], 256)
            self._dot((3 * n) >> 2, MIC[0], MIC[1], MIC[2], 256)
        if not v.connected:
            if self.night or (now_ms % self.lost_every_ms) < self.lost_on_ms:
                self._set(0, LOST[0], LOST[1], LOST[2], 200 if not self.night else 120)

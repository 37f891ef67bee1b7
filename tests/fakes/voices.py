"""voices — synthetic speech of set pitch and timbre (formant synthesis) as 20 ms array('h') frames.

A `Voice` is a small cascade formant synthesiser, integer-only from end to end (set-up included),
so the samples are identical under CPython, the device-limits harness and MicroPython, and every
intermediate value stays within +-2**30 (tests/firmware/test_voices_signal.py checks both):

    glottal pulses (KLGLOTT88 flow derivative, a table read at the current pitch) + breath noise
    -> first-order spectral tilt (a pole: darker, or a zero: brighter) -> x syllable envelope
    -> four resonators in cascade (F1-F3 of the vowel, a fixed F4; Q14, unity gain at DC)
    + fricative noise -> x output gain -> int16

Speech-like structure: syllables at about `rate` per second (attack, vowel, release, a brief dip
that is silent or a quiet voiced murmur), each on one of four vowels (the formants glide from the
last vowel over 50 ms), phrases of 4-8 syllables with falling intonation and a 120-240 ms breath
pause, random accents of +-jitter/2 on the pitch, and a burst of fricative noise at some syllable
edges. Formant frequencies are the adult male reference values times `tract` (> 1: a shorter
vocal tract, a brighter timbre).

    a = Voice(105, tract=0.95, tilt=0.6, seed=1)       # low pitch, dark timbre
    b = Voice(215, tract=1.2, tilt=-0.5, seed=2)       # high pitch, bright timbre
    frames = a.frames(50)                              # 1 s: a list of 50 array('h') of 320
    frames, segs = conversation([(a, 4), (None, 1.5), (b, 4), ((a, b), 1)], noise_amp=300)
    # segs: [(start_s, end_s, voice_index)], voice_index 0-based in order of first appearance

Randomness comes from `fakes.signals.Lcg`: at set-up, once per syllable, and for a noise table
made once (8192 samples) that the per-sample noise reads. Under MicroPython's unix port 20 s of
one voice takes about half a second.
"""
from array import array

try:
    from fakes.signals import Lcg
except ImportError:  # imported as tests.fakes.voices
    from tests.fakes.signals import Lcg

N = 320  # samples per frame (20 ms at 16 kHz)
FS = 16000
BLOCK = 32  # control (envelope, pitch, formants) is updated every 32 samples (2 ms)
BLOCKS_PER_FRAME = N // BLOCK
ONE = 16384  # Q14
PH = 1 << 20  # glottal phase: one period in Q20
GLOTTAL_LEN = 256
NOISE_LEN = 8192  # power of two: the index wraps with a mask
NOISE_MASK = NOISE_LEN - 1
CAL = 2048  # peak of a steady vowel inside the filters

# male reference vowels (Peterson & Barney): F1, F2, F3 and bandwidths B1, B2, B3 in Hz
VOWELS = (
    (730, 1090, 2440, 90, 110, 170),  # a
    (270, 2290, 3010, 60, 100, 170),  # i
    (300, 870, 2240, 60, 90, 150),  # u
    (530, 1840, 2480, 70, 100, 160),  # e
)
F4, B4 = 3400, 250  # a fixed fourth formant: the high end of natural speech

# --- integer maths for the set-up ------------------------------------------------------------


def _cos_q14(x):
    """cos of x (Q14 radians, 0 <= x <= pi/2) in Q14, Taylor series in Horner form."""
    x2 = x * x >> 14
    t = ONE
    for k in (90, 56, 30, 12, 2):
        t = ONE - x2 * t // (k * ONE)
    return t


def _exp_neg_q14(x):
    """exp(-x) for small x (Q14) in Q14."""
    t = ONE
    for k in (5, 4, 3, 2, 1):
        t = ONE - x * t // (k * ONE)
    return t


def resonator_q14(f_hz, bw_hz):
    """(A, a1, a2) in Q14 of y = A x + a1 y[-1] - a2 y[-2]: a resonance at f_hz of bandwidth
    bw_hz with unity gain at DC (Klatt). f_hz is kept below 7000 Hz."""
    if f_hz > 7000:
        f_hz = 7000
    theta = f_hz * 102944 // FS  # 2 pi f / fs in Q14 (2 pi * 16384 = 102944)
    r = _exp_neg_q14(bw_hz * 51472 // FS)  # exp(-pi bw / fs); pi * 16384 = 51472
    cos = _cos_q14(theta) if theta <= 25736 else -_cos_q14(51472 - theta)  # pi / 2 = 25736
    a1 = 2 * r * cos >> 14
    a2 = r * r >> 14
    return (ONE - a1 + a2, a1, a2)


def _glottal_table(open_q):
    """One period of the KLGLOTT88 glottal flow derivative, s (2 - 3 s) over the open phase
    (s = 0..1), 0 while closed: zero mean, a sharp negative step at closure. Peak |value| 8192."""
    n_open = open_q * GLOTTAL_LEN // 1024
    tab = [0] * GLOTTAL_LEN
    total = 0
    for i in range(n_open):
        s = i * 4096 // n_open  # Q12
        v = (s * (8192 - 3 * s) >> 12) * 2  # Q13: from +2731 down to -8192
        tab[i] = v
        total += v
    # remove the sampling residue of the mean so the source has no DC
    adj = total // n_open
    for i in range(n_open):
        tab[i] -= adj
    return tab


def _noise_tables():
    rng = Lcg(4242)
    white = [0] * NOISE_LEN
    for i in range(NOISE_LEN):
        white[i] = ((rng.next() >> 8) % 32769) - 16384  # uniform, peak 16384
    high = [0] * NOISE_LEN  # first difference: a hiss for fricatives
    prev = white[-1]
    for i in range(NOISE_LEN):
        high[i] = (white[i] - prev) >> 1
        prev = white[i]
    return white, high


_WHITE = None
_HIGH = None


def _tables():
    global _WHITE, _HIGH
    if _WHITE is None:
        _WHITE, _HIGH = _noise_tables()
    return _WHITE, _HIGH


def _q(x, num, den=1):
    """A set-up parameter x >= 0 (int or float) times num / den, rounded to an int (exactly, in
    integers, when x is an int)."""
    if isinstance(x, int):
        return (x * num + den // 2) // den
    return int(x * num / den + 0.5)


class Voice:
    """One synthetic talker; `frames(n)` / `frame_into(buf)` continue its talk from call to call.

    f0_hz    mean pitch, 50-400 (about 100-120 for a man, 200-230 for a woman)
    tract    formant scale: 1.0 adult male reference, 1.15-1.25 female (brighter), < 1 darker
    tilt     source spectral tilt, -0.95..0.95: > 0 a one-pole low-pass (pole at `tilt`: darker),
             < 0 a pre-emphasis zero at -tilt (brighter), 0 neither
    amp      peak of a steady vowel nucleus, 0-16000 (frame peaks vary about 0.7-1.7 x, up to 3 x
             for high bright voices; a frame's mean level is about -25 dBFS at 8000)
    seed     the Lcg seed of its syllable plan (vowels, durations, accents)
    jitter   intonation range as a fraction of f0 (declination +-jitter over a phrase, accents
             +-jitter/2 per syllable)
    open_q   glottal open quotient, 0.4-0.8 (higher: softer, more sinusoidal pulses)
    breath   aspiration noise mixed into the source, relative to the pulses
    rate     syllables per second
    period_jitter, shimmer   random change of each glottal period's length and strength, as a
             fraction (uniform +-): real voices are never exactly periodic
    """

    def __init__(self, f0_hz, tract=1.0, tilt=0.0, amp=8000, seed=1, jitter=0.04, open_q=0.6,
                 breath=0.04, rate=4.0, period_jitter=0.01, shimmer=0.06):
        if not 50 <= f0_hz <= 400:
            raise ValueError("f0_hz must be within 50..400, got %r" % (f0_hz,))
        if _q(tilt if tilt >= 0 else -tilt, 100) > 95:
            raise ValueError("tilt must be within -0.95..0.95, got %r" % (tilt,))
        if not 0 <= amp <= 16000:
            raise ValueError("amp must be within 0..16000, got %r" % (amp,))
        self.f0_hz = f0_hz
        self.tract = tract
        self.tilt = tilt
        self.amp = amp
        self._og = _q(amp, 2048, CAL)  # Q11
        self.seed = seed
        self._rng = Lcg(seed)
        self._white, self._high = _tables()
        self._inc0 = _q(f0_hz, PH, FS)  # phase step per sample at f0
        self._jit = _q(jitter, 4096)  # Q12
        # source tilt filter t = (k0 e + k1 e[-1] + kp t[-1]) >> 14: a pole (darker) or a zero (brighter)
        if tilt >= 0:
            self._tiltk = (ONE - _q(tilt, ONE), 0, _q(tilt, ONE))
        else:
            self._tiltk = (ONE, -_q(-tilt, ONE), 0)
        self._breath = _q(breath, ONE)
        self._syl_blocks = int(FS / (BLOCK * rate) + 0.5)  # mean syllable length in blocks
        self._tab = _glottal_table(_q(open_q, 1024))
        tq = _q(tract, 1024)
        self._vowels = []
        for f1, f2, f3, b1, b2, b3 in VOWELS:
            c = []
            for f, b in ((f1, b1), (f2, b2), (f3, b3), (F4, B4)):
                c.extend(resonator_q14(f * tq >> 10, b))
            c.append(4096)  # source gain (Q12), calibrated below
            self._vowels.append(c)
        self._pj = self._sh = 0  # calibrate on exactly periodic pulses
        for c in self._vowels:
            c[12] = self._calibrate(c)
        self._pj = _q(period_jitter, ONE)
        self._sh = _q(shimmer, ONE)
        # running state
        self._ni = self._rng.next() & NOISE_MASK
        # glottal phase, tilt filter output and input, this glottal period's phase step and gain
        self._state = [0, 0, 0, 0, 0]
        self._inc = self._inc0
        self._st = [0] * 8  # resonator states y[-1], y[-2] for the four stages
        self._cur = list(self._vowels[0])  # coefficients in use
        self._from = list(self._cur)
        self._to = self._vowels[0]
        self._vowel = 0
        self._tr = 0  # blocks into the formant transition
        self._tgt = self._inc0
        self._b = 0  # block in the current segment
        self._phr_left = 0
        self._phr_len = 1
        self.syllables = 0
        self.new_phrase()

    # --- the plan ---------------------------------------------------------------------------
    def new_phrase(self):
        """Start a new phrase (after a pause or at the start of a talk turn) at the next block."""
        rng = self._rng
        self._phr_len = 4 + (rng.next() >> 8) % 5
        self._phr_left = self._phr_len
        self._next_syllable()

    def _next_syllable(self):
        rng = self._rng
        if self._phr_left <= 0:  # phrase over: a breath pause, then a new phrase
            self._kind = 0
            self._len = 60 + (rng.next() >> 8) % 61  # 120-240 ms
            self._att = self._rel = self._voiced = 0
            self._fric_on = 0
            self._fric_off = 0
            self._phr_left = -1
            self._b = 0
            return
        self._kind = 1
        m = self._syl_blocks
        voiced = m * 3 // 4 + (rng.next() >> 8) % (m // 2 + 1) - m // 4  # 0.5 .. 1.0 x mean
        dip = 8 + (rng.next() >> 8) % 20  # 16-54 ms
        self._voiced = voiced
        self._len = voiced + dip
        self._att = 8 + (rng.next() >> 8) % 6
        self._rel = 10 + (rng.next() >> 8) % 8
        r = (rng.next() >> 8) % 8
        self._fric_on = 10 + (rng.next() >> 8) % 10 if r < 3 else 0  # s-like onset
        self._fric_off = 1 if r >= 6 else 0  # a hiss in the dip after it
        self._dip_floor = 0 if (rng.next() >> 8) % 3 == 0 else 500  # Q12: voiced consonant
        self._peak = 2900 + (rng.next() >> 8) % 1197  # Q12: -3 .. 0 dB
        # vowel: a different one each time, the formants glide over 25 blocks
        v = (self._vowel + 1 + (rng.next() >> 8) % (len(VOWELS) - 1)) % len(VOWELS)
        self._vowel = v
        self._from = list(self._cur)
        self._to = self._vowels[v]
        self._tr = 0
        # pitch: declination over the phrase from +jit to -jit, plus an accent of +-jit/2
        k = self._phr_len - self._phr_left
        n1 = self._phr_len - 1 if self._phr_len > 1 else 1
        j = self._jit
        drift = j - 2 * j * k // n1 + (rng.next() >> 8) % (j + 1) - j // 2
        self._tgt = self._inc0 * (4096 + drift) >> 12
        self._phr_left -= 1
        self.syllables += 1
        self._b = 0

    def _control(self):
        """Per block: returns (source gain Q12, breath gain Q14, fricative gain Q14) and moves the
        formants and the pitch."""
        b = self._b
        if self._b >= self._len:
            if self._kind == 0:
                self.new_phrase()
            else:
                self._next_syllable()
            b = 0
        self._b = b + 1
        if self._kind == 0:  # breath pause: a faint breath
            return 0, 0, 75
        # formant glide
        if self._tr < 25:
            self._tr += 1
            w = self._tr * 256 // 25
            fr = self._from
            to = self._to
            cur = self._cur
            for i in range(13):
                cur[i] = fr[i] + ((to[i] - fr[i]) * w >> 8)
        # pitch glide toward the syllable's target (time constant 16 blocks)
        self._inc += (self._tgt - self._inc) >> 4
        # envelope (Q12)
        v = self._voiced
        pk = self._peak
        fl = self._dip_floor
        if b < self._att:
            env = fl + (pk - fl) * b // self._att
        elif b < v - self._rel:
            env = pk
        elif b < v:
            env = fl + (pk - fl) * (v - b) // self._rel
        else:
            env = fl
        fric = 0
        if b < self._fric_on:
            fric = 350 * (self._fric_on - b) // self._fric_on
        elif self._fric_off and b >= v:
            fric = 250
        g = self._cur[12] * env >> 12
        return g, self._breath * env >> 12, fric

    def _calibrate(self, c):
        """Source gain (Q12) that makes the peak of a steady vowel at f0 equal to CAL inside the
        filters (the output gain then scales CAL to `amp`)."""
        buf = array("h", [0] * BLOCK)
        st = [0] * 8
        state = [0, 0, 0, 0, 0]
        peak = 0
        for k in range(20 * FS // 1000 // BLOCK + 3 * 15):  # 20 ms settle, then about 30 ms
            self._synth(buf, 0, c, 1024, 0, 0, self._inc0, state, st, 0, 2048)
            if k >= 20 * FS // 1000 // BLOCK:
                for i in range(BLOCK):
                    v = buf[i]
                    if v < 0:
                        v = -v
                    if v > peak:
                        peak = v
        return CAL * 1024 // (peak + 1)

    def _synth(self, buf, off, c, g, gb, gf, inc, state, st, ni, og):
        """BLOCK samples into buf[off:]. c: coefficients, g: source gain (Q12), gb / gf: breath /
        fricative noise gains (Q14), inc: phase step, state: [phase, tilt filter output and
        input, this period's step and gain], st: resonator states, ni: noise index, og: output
        gain (Q11). Returns the next noise index. Inside the filters a steady vowel peaks near
        CAL = 2048 whatever `amp` is, so every product stays well below 2**30."""
        tab = self._tab
        white = self._white
        high = self._high
        k0, k1, kp = self._tiltk
        ph = state[0]
        t = state[1]
        ep = state[2]
        incj = state[3] or inc
        gj = state[4]
        pj = self._pj
        sh = self._sh
        a1, b1, c1, a2, b2, c2, a3, b3, c3 = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
        a4, b4, c4 = c[9], c[10], c[11]
        p1, q1, p2, q2, p3, q3, p4, q4 = st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7]
        for j in range(off, off + BLOCK):
            ph += incj
            if ph >= PH:  # a new glottal period: its own length and strength (jitter, shimmer)
                ph -= PH
                incj = inc + ((inc * pj >> 14) * white[ni] >> 14)
                gj = g + ((g * sh >> 14) * white[(ni + 2731) & NOISE_MASK] >> 14)
            e = tab[ph >> 12] + (white[ni] * gb >> 14)
            t = (k0 * e + k1 * ep + kp * t) >> 14
            ep = e
            x = t * gj >> 12
            y = (a1 * x + b1 * p1 - c1 * q1) >> 14
            q1 = p1
            p1 = y
            y = (a2 * y + b2 * p2 - c2 * q2) >> 14
            q2 = p2
            p2 = y
            y = (a3 * y + b3 * p3 - c3 * q3) >> 14
            q3 = p3
            p3 = y
            y = (a4 * y + b4 * p4 - c4 * q4) >> 14
            q4 = p4
            p4 = y
            y = (y + (high[ni] * gf >> 14)) * og >> 11
            ni = (ni + 1) & NOISE_MASK
            if y > 32767:
                y = 32767
            elif y < -32768:
                y = -32768
            buf[j] = y
        state[0] = ph
        state[1] = t
        state[2] = ep
        state[3] = incj
        state[4] = gj
        st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7] = p1, q1, p2, q2, p3, q3, p4, q4
        return ni

    # --- output -----------------------------------------------------------------------------------
    def frame_into(self, buf):
        """Write the next 20 ms (320 samples) into buf (array('h')); returns buf."""
        state = self._state
        st = self._st
        ni = self._ni
        og = self._og
        for k in range(BLOCKS_PER_FRAME):
            g, gb, gf = self._control()
            ni = self._synth(buf, k * BLOCK, self._cur, g, gb, gf, self._inc, state, st, ni, og)
        self._ni = ni
        return buf

    def frames(self, n):
        """The next n frames (a list of array('h') of 320 samples); the next call goes on talking."""
        out = []
        for _ in range(n):
            out.append(self.frame_into(array("h", [0] * N)))
        return out


class Room:
    """Room noise: uniform white noise of peak `amp`, added to frames in place (clamped)."""

    def __init__(self, amp=300, seed=7):
        self.amp = amp
        self._white = _tables()[0]
        self._i = Lcg(seed).next() & NOISE_MASK

    def add(self, buf):
        amp = self.amp
        if amp <= 0:
            return buf
        w = self._white
        i = self._i
        for j in range(N):
            y = buf[j] + (w[i] * amp >> 14)
            i = (i + 3) & NOISE_MASK  # stride 3: another walk through the table than the voices'
            if y > 32767:
                y = 32767
            elif y < -32768:
                y = -32768
            buf[j] = y
        self._i = i
        return buf


def _mix(dst, src):
    for j in range(N):
        y = dst[j] + src[j]
        if y > 32767:
            y = 32767
        elif y < -32768:
            y = -32768
        dst[j] = y


def conversation(script, noise_amp=300, seed=7, voices=None):
    """Frames for a script of (who, seconds) items: who is a Voice, None (room noise only) or a
    tuple of voices talking at once. Returns (frames, segments): a list of array('h') frames and
    the reference talk [(start_s, end_s, voice_index)] in time order of starts, voice_index being
    0-based in `voices` (default: the voices in order of first appearance). Touching segments of
    one voice are merged. Durations are rounded to whole 20 ms frames."""
    if voices is None:
        voices = []
        for who, _ in script:
            for v in (who if isinstance(who, tuple) else (who,)):
                if v is not None and v not in voices:
                    voices.append(v)
    room = Room(noise_amp, seed)
    frames = []
    segs = []
    open_end = {}  # voice index -> (segment position, end frame)
    prev = ()
    k = 0
    tmp = array("h", [0] * N)
    for who, seconds in script:
        talkers = () if who is None else (who if isinstance(who, tuple) else (who,))
        n = int(seconds * 50 + 0.5)
        if n <= 0:
            continue
        for v in talkers:
            if v not in prev:
                v.new_phrase()  # a fresh start for a voice that was not talking
            idx = voices.index(v)
            o = open_end.get(idx)
            if o is not None and o[1] == k:  # the same voice goes on: extend its segment
                pos = o[0]
                segs[pos] = (segs[pos][0], (k + n) / 50, idx)
            else:
                pos = len(segs)
                segs.append((k / 50, (k + n) / 50, idx))
            open_end[idx] = (pos, k + n)
        for _ in range(n):
            buf = array("h", [0] * N)
            if talkers:
                talkers[0].frame_into(buf)
                for v in talkers[1:]:
                    _mix(buf, v.frame_into(tmp))
            room.add(buf)
            frames.append(buf)
        k += n
        prev = talkers
    return frames, segs

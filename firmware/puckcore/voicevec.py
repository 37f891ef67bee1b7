"""voicevec — the learned spectral voice vector (issue 15): log bands of voiced frames, projected.

On a voiced frame of a turn (every second one), `frame(buf, slot)`:
1. the frame's first 256 samples times a Hann window (Q14), block-scaled so the peak sits in
   4096..8191 (the scale cancels below), into `re`;
2. a 256-point radix-2 FFT in fixed point (Q14 twiddles, >> 1 per stage: no value grows past the
   input's peak, every product sum stays below 2**28);
3. per bin the magnitude |X| ~ max(|re|, |im|) + 3/8 min, summed over NB mel-spaced bands
   (voicevec_model.EDGES), Q8 log2 of each (+1), minus their mean (loudness out);
4. the model's int8 projection to DIM values, >> SHIFT, clamped to int8, stored at `slot`.
`piece(a, b, mean_q4, out)` pools slots a..b-1, adds the pitch term and the offset, and writes the
piece's unit vector (Q10) to out. The host prototype (talkpuck.detection.voicevec) mirrors it in
float; `talkpuck train-voices` fits the projection there and writes voicevec_model.py.

`fft_bands`, `project` and `pool` have viper twins in voicevec_viper (MicroPython); the tests check they
give the same integers. Nothing is allocated per frame.
"""
import sys
from array import array

from puckcore import voicevec_model as M
from puckcore.levels import LOG2_TAB, log2_q8

NFFT = 256
NB = M.NB
DIM = M.DIM


def isqrt(v):
    """floor(sqrt(v)) for 0 <= v < 2**30 (Newton)."""
    if v <= 0:
        return 0
    x = v
    y = (x >> 1) + (x & 1)
    while y < x:
        x = y
        y = (x + v // x) >> 1
    return x


def fft_bands(buf, win, re, im, rev, cosq, sinq, edges, nb, bands):
    """Portable: bands[b] = sum over bins edges[b]..edges[b+1]-1 of |X| (see the module docstring)."""
    peak = 0
    for i in range(NFFT):
        v = (buf[i] * win[i]) >> 14
        re[i] = v
        if v < 0:
            v = -v
        if v > peak:
            peak = v
    up = 0
    down = 0
    while peak and (peak << up) < 4096:
        up += 1
    while (peak >> down) > 8191:
        down += 1
    for i in range(NFFT):
        j = rev[i]
        if j > i:
            t = re[i]
            re[i] = re[j]
            re[j] = t
    for i in range(NFFT):
        re[i] = (re[i] << up) >> down
        im[i] = 0
    half = 1
    step = NFFT >> 1
    while half < NFFT:
        k = 0
        while k < half:
            c = cosq[k * step]
            s = sinq[k * step]
            i = k
            while i < NFFT:
                j = i + half
                tr = (re[j] * c + im[j] * s) >> 14
                ti = (im[j] * c - re[j] * s) >> 14
                ar = re[i]
                ai = im[i]
                re[i] = (ar + tr) >> 1
                im[i] = (ai + ti) >> 1
                re[j] = (ar - tr) >> 1
                im[j] = (ai - ti) >> 1
                i += half << 1
            k += 1
        half <<= 1
        step >>= 1
    for b in range(nb):
        acc = 0
        for k in range(edges[b], edges[b + 1]):
            x = re[k]
            y = im[k]
            if x < 0:
                x = -x
            if y < 0:
                y = -y
            if x > y:
                acc += x + ((3 * y) >> 3)
            else:
                acc += y + ((3 * x) >> 3)
        bands[b] = acc


def pool(store, a, b, dim, acc):
    """Portable: acc[j] = sum of store[i*dim + j] over slots a..b-1."""
    for j in range(dim):
        s = 0
        for i in range(a * dim + j, b * dim, dim):
            s += store[i]
        acc[j] = s


def project(bands, nb, tab, logs, w, dim, shift, store, off):
    """Portable: logs[b] = Q8 log2(bands[b] + 1) (levels.log2_q8, mantissa table `tab`), then
    store[off + j] = clamp((sum_b w[j*nb+b] * (logs[b] - mean)) >> shift, -127, 127)."""
    m = 0
    for b in range(nb):
        lg = log2_q8(bands[b] + 1)   # `tab` (the same table) is for the viper twin, which cannot call it
        logs[b] = lg
        m += lg
    m = m // nb
    for j in range(dim):
        acc = 0
        base = j * nb
        for b in range(nb):
            acc += w[base + b] * (logs[b] - m)
        acc >>= shift
        if acc > 127:
            acc = 127
        elif acc < -127:
            acc = -127
        store[off + j] = acc


if sys.implementation.name == "micropython":
    from puckcore.voicevec_viper import fft_bands_viper as _fft, pool_viper as _pool, project_viper as _proj
else:
    _fft = fft_bands
    _pool = pool
    _proj = project


class VoiceVector:
    def __init__(self, slots, fast=True, model=M):
        self.m = model
        self.slots = slots
        self.store = array("b", bytes(slots * DIM))  # per stored frame: DIM int8 values
        self.win = array("h", [0] * NFFT)
        self.re = array("h", [0] * NFFT)
        self.im = array("h", [0] * NFFT)
        self.rev = array("B", [0] * NFFT)
        self.cosq = array("h", [0] * (NFFT >> 1))
        self.sinq = array("h", [0] * (NFFT >> 1))
        self.edges = array("B", model.EDGES)
        self.w = array("b", model.W)
        self.tab = array("B", LOG2_TAB)
        self.bands = array("i", [0] * NB)
        self.logs = array("i", [0] * NB)
        self.acc = array("i", [0] * DIM)
        self._fft = _fft if fast else fft_bands
        self._proj = _proj if fast else project
        self._pool = _pool if fast else pool
        self._tables()

    def _tables(self):
        from math import cos, pi, sin

        for i in range(NFFT):
            self.win[i] = int(16384 * (0.5 - 0.5 * cos(2 * pi * i / NFFT)) + 0.5)
            r = 0
            v = i
            for _ in range(8):
                r = (r << 1) | (v & 1)
                v >>= 1
            self.rev[i] = r
        for k in range(NFFT >> 1):
            self.cosq[k] = int(round(16384 * cos(2 * pi * k / NFFT)))
            self.sinq[k] = int(round(16384 * sin(2 * pi * k / NFFT)))

    def clear(self):
        """Forget every stored frame (a session starts or ends: voice features never outlive it)."""
        st = self.store
        for i in range(len(st)):
            st[i] = 0

    def frame(self, buf, slot):
        """One voiced frame's projected values into `slot` (0 <= slot < slots)."""
        self._fft(buf, self.win, self.re, self.im, self.rev, self.cosq, self.sinq, self.edges, NB, self.bands)
        self._proj(self.bands, NB, self.tab, self.logs, self.w, DIM, self.m.SHIFT, self.store, slot * DIM)

    def piece(self, a, b, mean_q4, out):
        """The unit vector (Q10, DIM ints) of slots a..b-1 with mean pitch code mean_q4 into out.
        Returns False when the piece has no slot."""
        n = b - a
        if n <= 0:
            return False
        m = self.m
        acc = self.acc
        self._pool(self.store, a, b, DIM, acc)
        for j in range(DIM):
            # mean in the projection's units (<< SHIFT), plus pitch and offset
            acc[j] = ((acc[j] << m.SHIFT) // n) + m.WP[j] * (mean_q4 >> 2) - m.OFF[j]
        big = 0
        for j in range(DIM):
            v = acc[j]
            if v < 0:
                v = -v
            if v > big:
                big = v
        sh = 0
        while (big >> sh) >= 4096:
            sh += 1
        nn = 0
        for j in range(DIM):
            v = acc[j] >> sh
            acc[j] = v
            nn += v * v
        norm = isqrt(nn)
        if norm == 0:
            return False
        for j in range(DIM):
            out[j] = (acc[j] << 10) // norm
        return True

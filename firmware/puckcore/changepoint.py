"""changepoint — where the voice changes inside one talk-turn: binary segmentation of its pitch track.

While a turn lasts, `add(code, t_ms)` keeps one pitch code per voiced frame (Q8 log2 of the pitch
lag: one octave is 256) with the frame's time. When the turn ends, `split(n)` looks for the voiced
index that best cuts the first `n` codes into two parts of different mean pitch (a two-sample t
statistic over prefix sums), cuts there if the statistic passes, and does the same to each part, up
to `depth` levels: at most 2**depth pieces. Codes are first clipped to the turn's median +-
`clip`, so an octave error of the pitch tracker cannot fake a change.

Why the turn end and not every frame: the whole turn is known then, so one split costs one pass over
prefix sums (a viper loop on MicroPython) and no frame pays for it twice. A turn that fills the
buffer is cut there by the detector and the rest continues as a new turn.

After `split`, piece k covers voiced indices bounds[k] .. bounds[k+1] (`pieces` of them); `mean_q4`
and `count` give each piece's mean code (Q4) and number of voiced frames.
"""
import sys
from array import array

from puckcore.ticks import ticks_add, ticks_diff

MAX_PIECES = 8


def clip_prefix(codes, n, lo, hi, prefix):
    """prefix[0] = 0, prefix[i+1] = sum of codes[0..i] each clipped to lo..hi (portable version)."""
    s = 0
    prefix[0] = 0
    for i in range(n):
        c = codes[i]
        if c < lo:
            c = lo
        elif c > hi:
            c = hi
        s += c
        prefix[i + 1] = s
    return s


def best_split(prefix, a, b, m, out):
    """The cut a+m <= k <= b-m maximising (mean left - mean right)**2 * k'(n'-k')/n' over codes a..b.

    out[0] = k (0 if none), out[1] = its score. Means are Q4; the score is scaled by >> 4 so it stays
    below 2**30 (|mean difference| <= 2 * clip * 16 and k'(n'-k')/n' <= 250 for n' <= 1000).
    """
    n = b - a
    best = 0
    bk = 0
    base = prefix[a]
    tot = prefix[b] - base
    k = m
    while k <= n - m:
        sl = prefix[a + k] - base
        dm = (sl << 4) // k - ((tot - sl) << 4) // (n - k)
        q = k * (n - k) // n
        sc = ((dm * dm) >> 4) * q
        if sc > best:
            best = sc
            bk = a + k
        k += 1
    out[0] = bk
    out[1] = best


if sys.implementation.name == "micropython":
    from puckcore.changepoint_viper import best_split_viper as _best, clip_prefix_viper as _clip
else:
    _best = best_split
    _clip = clip_prefix


class ChangeDetector:
    def __init__(self, capacity, min_frames, clip, thr_score, depth, frame_ms, fast=True):
        self.cap = capacity
        self.m = min_frames  # no piece shorter than this many voiced frames
        self.clip = clip  # codes are clipped to the median +- this (Q8 log2)
        self.thr = thr_score  # a cut needs at least this score (see best_split)
        self.depth = depth
        self.frame_ms = frame_ms
        self.codes = array("h", [0] * capacity)
        self.offs = array("H", [0] * capacity)  # frame offsets from `base_ms`
        self.prefix = array("i", [0] * (capacity + 1))
        self.lag_hist = array("H", [0] * 64)  # voiced frames per pitch lag, for the median
        self.bounds = array("h", [0] * (MAX_PIECES + 1))
        self.mean_q4 = array("h", [0] * MAX_PIECES)
        self.count = array("h", [0] * MAX_PIECES)
        self._out = array("i", (0, 0))
        self._cuts = array("h", [0] * (MAX_PIECES + 1))
        self._best = _best if fast else best_split
        self._clip = _clip if fast else clip_prefix
        self.reset()

    def reset(self):
        """Start a new turn at the next `add` (and forget the last one's pitch track)."""
        self.n = 0
        self.base_ms = 0
        self.pieces = 0
        for i in range(64):
            self.lag_hist[i] = 0

    @property
    def full(self):
        return self.n >= self.cap

    def add(self, lag, code, t_ms):
        """One voiced frame of the turn: its pitch lag (for the median), code (Q8 log2), tick."""
        n = self.n
        if n == 0:
            self.base_ms = t_ms
        off = ticks_diff(t_ms, self.base_ms) // self.frame_ms
        if n >= self.cap or off > 65535:
            return False
        self.codes[n] = code
        self.offs[n] = off
        self.lag_hist[lag & 63] += 1
        self.n = n + 1
        return True

    def time_of(self, i):
        """Tick of voiced frame i of the turn."""
        return ticks_add(self.base_ms, self.offs[i] * self.frame_ms)

    def median_lag(self, n):
        """The median pitch lag of the turn's voiced frames (counts from a 64-bin histogram)."""
        half = (n + 1) >> 1
        acc = 0
        for lag in range(64):
            acc += self.lag_hist[lag]
            if acc >= half:
                return lag
        return 63

    def split(self, n, median_code):
        """Cut the first n voiced frames into pieces (see the module docstring). Returns `pieces`."""
        if n > self.n:
            n = self.n
        b = self.bounds
        b[0] = 0
        b[1] = n
        self.pieces = 1
        if n == 0:
            return 0
        self._clip(self.codes, n, median_code - self.clip, median_code + self.clip, self.prefix)
        out = self._out
        cuts = self._cuts
        for _ in range(self.depth if n >= 2 * self.m else 0):
            nc = 0
            for k in range(self.pieces):
                self._best(self.prefix, b[k], b[k + 1], self.m, out)
                if out[0] > 0 and out[1] >= self.thr:
                    cuts[nc] = out[0]
                    nc += 1
            if nc == 0:
                break
            self._merge_cuts(nc)
        self._stats()
        return self.pieces

    def _merge_cuts(self, nc):
        """Insert the new cuts into the sorted bounds (both short: an insertion sort in place)."""
        b = self.bounds
        cuts = self._cuts
        for j in range(nc):
            c = cuts[j]
            i = self.pieces + 1  # bounds used
            while i > 0 and b[i - 1] > c:
                b[i] = b[i - 1]
                i -= 1
            b[i] = c
            self.pieces += 1

    def _stats(self):
        b = self.bounds
        p = self.prefix
        for k in range(self.pieces):
            a = b[k]
            e = b[k + 1]
            self.count[k] = e - a
            self.mean_q4[k] = ((p[e] - p[a]) << 4) // (e - a)

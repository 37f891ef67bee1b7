"""remote — is a voice in the room, or coming from a laptop loudspeaker beside the puck? (issue 15)

A small loudspeaker gives next to nothing below a few hundred Hz, and a call's audio chain compresses
speech (levels sit close together). Both are measured on the frames the pitch tracker already marks
voiced, and pooled per voice over the whole session:

- low band: the front end's low band (one-pole low-pass, about 160 Hz) minus the frame level, in dB;
- level spread: the voice's frame levels in a histogram of 1 dB bins; p90 - p50 and p50 - p10;
- piece spread: within each piece, the mean absolute deviation of its frame levels from the piece's
  own mean (Q4 dB, each frame's deviation capped at DEV_CAP), averaged over the voice's frames. Unlike
  the histogram spreads it does not widen when a voice's pieces come from people at different
  levels (a cluster that mixed a loudspeaker voice with a room voice).

While a turn lasts, `add(i, level_dbq, low_dbq)` stores the two per voiced frame (index i, the same
index as changepoint's pitch codes: 2 bytes a frame). When the turn's pieces have their voices,
`take(voice, a, b)` adds frames a..b to that voice (a viper loop on MicroPython, `remote_viper`).
`remote(voice)` is the learned linear decision (voice_model.py, written by `talkpuck train-voices`):
B + W . (low mean Q4 dB, p90 - p50 dB, p50 - p10 dB, piece spread Q4 dB) >= 0 (as many features
as the model has weights), once the voice has REMOTE_MIN_FRAMES
voiced frames (before that: in the room). Everything is an integer; `reset()` forgets every voice
(docs/privacy.md: voice features never outlive a session).
"""
import sys

from puckcore import voice_model

BINS = 96  # 1 dB bins of frame level
LEVEL_OFFSET_DB = 96  # bin 0 is -96 dBFS and below, bin 95 is -1 dBFS and above
LOW_OFFSET_DB = 64  # stored low band minus level, dB, + this, clipped to 0..127
DEV_CAP = 127  # a frame's level deviation from its piece's mean, Q4 dB, is capped here (7.9 dB)
NS = 3  # sums per voice: low band sum, frames, piece-spread sum


def accumulate(lvl, low, a, b, hist, off, sums, j):
    """Portable version: frames a..b of the turn into the voice whose histogram starts at hist[off]
    and whose (low band sum, frames, piece-spread sum) are sums[j], sums[j + 1], sums[j + 2]."""
    if b <= a:
        return
    s = 0
    t = 0
    for i in range(a, b):
        k = off + lvl[i]
        hist[k] += 1
        s += low[i]
        t += lvl[i]
    m = (t << 4) // (b - a)  # the piece's mean level, Q4 dB
    d = 0
    for i in range(a, b):
        v = (lvl[i] << 4) - m
        if v < 0:
            v = -v
        d += v if v < DEV_CAP else DEV_CAP
    sums[j] += s
    sums[j + 1] += b - a
    sums[j + 2] += d


def low_sum(low, a, b):
    """Portable version: the sum of the stored low band bytes of frames a..b."""
    s = 0
    for i in range(a, b):
        s += low[i]
    return s


if sys.implementation.name == "micropython":
    from puckcore.remote_viper import accumulate_viper as _acc, low_sum_viper as _low_sum
else:
    _acc = accumulate
    _low_sum = low_sum


class RemoteCue:
    def __init__(self, max_voices, capacity, model=voice_model, fast=True):
        from array import array

        self.max = max_voices
        self.cap = capacity
        self.w = model.REMOTE_W
        self.b = model.REMOTE_B
        self.min_frames = model.REMOTE_MIN_FRAMES
        self.lvl = bytearray(capacity)
        self.low = bytearray(capacity)
        self.hist = array("i", [0] * (max_voices * BINS))
        self.sums = array("i", [0] * (max_voices * NS))
        self._acc = _acc if fast else accumulate
        self._low_sum = _low_sum if fast else low_sum
        self.reset()

    def reset(self):
        h = self.hist
        for i in range(len(h)):
            h[i] = 0
        s = self.sums
        for i in range(len(s)):
            s[i] = 0

    def add(self, i, level_dbq, low_dbq):
        """Voiced frame i of the turn (i < capacity); levels in 1/16 dB."""
        lv = (level_dbq >> 4) + LEVEL_OFFSET_DB
        self.lvl[i] = 0 if lv < 0 else (BINS - 1 if lv >= BINS else lv)
        lo = ((low_dbq - level_dbq) >> 4) + LOW_OFFSET_DB
        self.low[i] = 0 if lo < 0 else (127 if lo > 127 else lo)

    def piece_low(self, a, b):
        """Low band minus level (Q4 dB) over frames a..b of this turn, or None when b <= a."""
        if b <= a:
            return None
        return self._low_sum(self.low, a, b) * 16 // (b - a) - LOW_OFFSET_DB * 16

    def take(self, voice, a, b):
        """Voiced frames a..b of this turn belong to voice (1..max)."""
        j = voice - 1
        if 0 <= j < self.max and b > a:
            if self.sums[NS * j + 1] > (1 << 22):  # 23 h of voiced talk: halve, keep the shape
                self._halve(j)
            self._acc(self.lvl, self.low, a, b, self.hist, j * BINS, self.sums, NS * j)

    def _halve(self, j):
        h = self.hist
        for k in range(j * BINS, (j + 1) * BINS):
            h[k] >>= 1
        for k in range(NS * j, NS * j + NS):
            self.sums[k] >>= 1

    def features(self, voice):
        """(low band minus level, Q4 dB; p90 - p50, dB; p50 - p10, dB; piece spread, Q4 dB) of a
        voice, or None."""
        j = voice - 1
        if not 0 <= j < self.max:
            return None
        n = self.sums[NS * j + 1]
        if n <= 0:
            return None
        low = self.sums[NS * j] * 16 // n - LOW_OFFSET_DB * 16
        dev = self.sums[NS * j + 2] // n
        h = self.hist
        off = j * BINS
        # the bins where the cumulative count passes 10 %, 50 % and 90 % of n
        t10, t50, t90 = n // 10, n // 2, n - n // 10
        p10 = p50 = p90 = -1
        c = 0
        for k in range(BINS):
            c += h[off + k]
            if p10 < 0 and c > t10:
                p10 = k
            if p50 < 0 and c > t50:
                p50 = k
            if c > t90:
                p90 = k
                break
        return low, p90 - p50, p50 - p10, dev

    def remote(self, voice):
        """True when the voice sounds like a laptop loudspeaker (after REMOTE_MIN_FRAMES voiced frames)."""
        j = voice - 1
        if not 0 <= j < self.max or self.sums[NS * j + 1] < self.min_frames:
            return False
        f = self.features(voice)
        if f is None:  # not reached (checked above); tells the type checker
            return False
        w = self.w
        s = self.b
        for k in range(len(w)):
            s += w[k] * f[k]
        return s >= 0

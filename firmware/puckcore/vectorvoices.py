"""vectorvoices — online clustering of turn pieces by their learned voice vectors (issue 15).

Each piece arrives as a unit vector (Q10, `dim` ints, puckcore.voicevec) and its number of voiced
frames. Its cosine distance to each voice's centre decides: the nearest voice takes it, unless it
lies farther than `new_q10` from every voice and is long enough (`min_new` voiced frames): then it
is a candidate, which founds a voice when a second long piece lands within `new_q10` of it, or at
once when it lies beyond `sure_q10` (no second opinion needed). So the number of voices is decided
online, up to `max_voices`; memory is fixed (max_voices + 1 vectors).

Centres move towards each piece by its share of the voice's frames (capped at `weight_cap`).
`conf` (0-100) says how much nearer the piece is to its voice than to the next one. Everything is
integer; `reset()` forgets every voice (a new session: voice features never outlive it).

With `low_w` > 0 (session 8) a piece may also bring its low band minus level (Q4 dB, the remote
cue's first feature over the piece's frames): the distance to a voice (and to the candidate) gains
low_w x |low band difference| (Q10 per dB), each voice's low band following its pieces as its
centre does. A laptop loudspeaker takes 3-4 dB of low band away, so a loudspeaker person and a room
person of similar timbre stay apart (bench/remote_split.py, docs/detection.md 8.2).
"""
from array import array

from puckcore.voices import piece_conf


class VectorVoices:
    def __init__(self, max_voices, dim, new_q10, sure_q10, min_new, weight_cap, low_w=0):
        self.max = max_voices
        self.dim = dim
        self.new_q10 = new_q10
        self.sure_q10 = sure_q10
        self.min_new = min_new
        self.weight_cap = weight_cap
        self.low_w = low_w
        self.low = array("i", [0] * max_voices)  # Q4 dB per voice (when low_w)
        self.has_low = bytearray(max_voices)
        self.cand_low = 0
        self.cand_has_low = False
        self.centre = array("i", [0] * (max_voices * dim))  # Q10
        self.frames = array("i", [0] * max_voices)
        self.cand = array("i", [0] * dim)
        self.reset()

    def reset(self):
        for i in range(self.max * self.dim):
            self.centre[i] = 0
        for i in range(self.max):
            self.frames[i] = 0
            self.low[i] = 0
            self.has_low[i] = 0
        self.cand_low = 0
        self.cand_has_low = False
        for i in range(self.dim):
            self.cand[i] = 0
        self.n = 0
        self.has_cand = False
        self.conf = 0

    def distance(self, u, c, off):
        """1024 - cosine (Q10) of unit vector u and the vector at c[off:off+dim]."""
        dot = 0
        cc = 0
        for j in range(self.dim):
            v = c[off + j]
            dot += u[j] * v
            cc += v * v
        if cc <= 0:
            return 2048
        r = 1
        while r * r <= cc:  # isqrt by doubling then bisection (cc < 2**24)
            r <<= 1
        lo = r >> 1
        hi = r
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if mid * mid <= cc:
                lo = mid
            else:
                hi = mid
        return 1024 - dot // lo

    def _low_d(self, low, has, vlow):
        """The low band term (Q10) between a piece's low band and a voice's (or the candidate's)."""
        if low is None or not has or not self.low_w:
            return 0
        d = low - vlow
        if d < 0:
            d = -d
        return (self.low_w * d) >> 4

    def assign(self, u, count, low=None):
        """The voice (1..max) this piece belongs to; `conf` says how sure (0-100). low: the piece's
        low band minus level (Q4 dB) or None."""
        if self.n == 0:
            return self._new(u, count, low)
        j = 0
        d1 = 1 << 20
        d2 = 1 << 20
        for i in range(self.n):
            d = self.distance(u, self.centre, i * self.dim) + self._low_d(low, self.has_low[i], self.low[i])
            if d < d1:
                d2 = d1
                d1 = d
                j = i
            elif d < d2:
                d2 = d
        lim = self.new_q10
        if d1 > lim and count >= self.min_new and self.n < self.max:
            if (self.has_cand and self.distance(u, self.cand, 0) + self._low_d(low, self.cand_has_low, self.cand_low)
                    < lim) or d1 > self.sure_q10:
                return self._new(u, count, low)
            for k in range(self.dim):
                self.cand[k] = u[k]
            self.has_cand = True
            self.cand_has_low = low is not None
            self.cand_low = low if low is not None else 0
        else:
            self._move(j, u, count, low)
        self.conf = piece_conf(self.n, d1, d2, lim)
        return j + 1

    def _new(self, u, count, low=None):
        j = self.n
        off = j * self.dim
        for k in range(self.dim):
            self.centre[off + k] = u[k]
        self.frames[j] = count
        self.has_low[j] = 0 if low is None else 1
        self.low[j] = 0 if low is None else low
        self.n = j + 1
        self.has_cand = False
        self.conf = 100 if j == 0 else 60
        return j + 1

    def _move(self, j, u, count, low=None):
        w = self.frames[j] + count
        if w > self.weight_cap:
            w = self.weight_cap
        off = j * self.dim
        c = self.centre
        for k in range(self.dim):
            c[off + k] += (u[k] - c[off + k]) * count // w
        if low is not None:
            if self.has_low[j]:
                self.low[j] += (low - self.low[j]) * count // w
            else:
                self.low[j] = low
                self.has_low[j] = 1
        f = self.frames[j] + count
        self.frames[j] = f if f < (1 << 29) else (1 << 29)

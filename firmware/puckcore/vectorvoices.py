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
"""
from array import array

from puckcore.voices import piece_conf


class VectorVoices:
    def __init__(self, max_voices, dim, new_q10, sure_q10, min_new, weight_cap):
        self.max = max_voices
        self.dim = dim
        self.new_q10 = new_q10
        self.sure_q10 = sure_q10
        self.min_new = min_new
        self.weight_cap = weight_cap
        self.centre = array("i", [0] * (max_voices * dim))  # Q10
        self.frames = array("i", [0] * max_voices)
        self.cand = array("i", [0] * dim)
        self.reset()

    def reset(self):
        for i in range(self.max * self.dim):
            self.centre[i] = 0
        for i in range(self.max):
            self.frames[i] = 0
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

    def assign(self, u, count):
        """The voice (1..max) this piece belongs to; `conf` says how sure (0-100)."""
        if self.n == 0:
            return self._new(u, count)
        j = 0
        d1 = 1 << 20
        d2 = 1 << 20
        for i in range(self.n):
            d = self.distance(u, self.centre, i * self.dim)
            if d < d1:
                d2 = d1
                d1 = d
                j = i
            elif d < d2:
                d2 = d
        lim = self.new_q10
        if d1 > lim and count >= self.min_new and self.n < self.max:
            if (self.has_cand and self.distance(u, self.cand, 0) < lim) or d1 > self.sure_q10:
                return self._new(u, count)
            for k in range(self.dim):
                self.cand[k] = u[k]
            self.has_cand = True
        else:
            self._move(j, u, count)
        self.conf = piece_conf(self.n, d1, d2, lim)
        return j + 1

    def _new(self, u, count):
        j = self.n
        off = j * self.dim
        for k in range(self.dim):
            self.centre[off + k] = u[k]
        self.frames[j] = count
        self.n = j + 1
        self.has_cand = False
        self.conf = 100 if j == 0 else 60
        return j + 1

    def _move(self, j, u, count):
        w = self.frames[j] + count
        if w > self.weight_cap:
            w = self.weight_cap
        off = j * self.dim
        c = self.centre
        for k in range(self.dim):
            c[off + k] += (u[k] - c[off + k]) * count // w
        f = self.frames[j] + count
        self.frames[j] = f if f < (1 << 29) else (1 << 29)

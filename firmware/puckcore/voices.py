"""voices — online clustering of turn pieces into a bounded number of anonymous voices (1, 2, 3...).

Each piece of talk (from changepoint) arrives as its mean pitch code (Q4 of Q8 log2) and its number
of voiced frames. The nearest voice takes it when it lies within `new_k` times the session's
*spread*, else, if the piece is long enough, it is a candidate for a new voice. A candidate becomes
a voice only when a second long piece lands near it, or at once when it lies beyond twice the
threshold (a man and a woman, a child): one odd stretch (a laugh, a cough, a pitch tracker slip)
does not make a person. Until then the piece goes to the nearest voice.

The spread is how far pieces of one voice lie from its centre in this room with these people: it
starts at `spread0` and follows each long piece's distance to the voice that took it (an average
that moves by 1/8 of the difference), kept within `spread_min`..`spread_max`. So the threshold for
"a different voice" adapts within the session: a room of similar voices tightens it, a lively
speaker loosens it.

Voice centres move towards each piece by its share of the voice's frames (capped at `weight_cap`,
so a voice can still drift slowly over a long session). Everything is integer; `reset()` forgets
every voice (a new session: voice features never outlive the session).
"""
from array import array

NO_VOICE = 0


def piece_conf(n, d1, d2, limit):
    """0..100: how sure a piece's voice is: much nearer its voice (d1) than the next one (d2), and near
    enough to it (d1 <= limit); with one voice only the second. Both clusterings use it."""
    if n == 1:
        return 100 if d1 <= limit else 50
    conf = (d2 - d1) * 100 // (d2 + d1 + 1)
    return conf >> 1 if d1 > limit else conf


class VoiceClusters:
    def __init__(self, max_voices, new_k_q4, spread0, spread_min, spread_max, min_new, weight_cap):
        self.max = max_voices
        self.new_k_q4 = new_k_q4  # new voice beyond new_k * spread (Q4 factor)
        self.spread0 = spread0  # Q4 pitch code units
        self.spread_min = spread_min
        self.spread_max = spread_max
        self.min_new = min_new  # voiced frames a piece needs to found or confirm a voice
        self.weight_cap = weight_cap
        self.centre = array("i", [0] * max_voices)  # Q4 pitch code
        self.frames = array("i", [0] * max_voices)  # voiced frames seen per voice
        self.reset()

    def reset(self):
        for i in range(self.max):
            self.centre[i] = 0
            self.frames[i] = 0
        self.n = 0  # voices so far
        self.spread = self.spread0
        self.cand = 0  # candidate centre (Q4), 0 = none
        self.conf = 0  # how sure the last assignment was (0-100)

    def assign(self, mean_q4, count):
        """The voice (1..max) that this piece belongs to; `conf` says how sure (0-100)."""
        if self.n == 0:
            return self._new(mean_q4, count)
        j, d1, d2 = self._nearest(mean_q4)
        limit = self.new_k_q4 * self.spread >> 4
        if d1 > limit and count >= self.min_new and self.n < self.max:
            c = self.cand
            if (c and abs(c - mean_q4) < limit) or d1 > 2 * limit:  # confirmed, or beyond doubt
                return self._new(mean_q4, count)
            self.cand = mean_q4  # goes to the nearest voice meanwhile, without moving it
        else:
            if count >= self.min_new:
                s = self.spread
                s += (d1 - s) >> 3
                self.spread = self.spread_min if s < self.spread_min else (self.spread_max if s > self.spread_max else s)
            self._move(j, mean_q4, count)
        self.conf = piece_conf(self.n, d1, d2, limit)
        return j + 1

    def _new(self, mean_q4, count):
        j = self.n
        self.centre[j] = mean_q4
        self.frames[j] = count
        self.n = j + 1
        self.cand = 0
        self.conf = 100 if j == 0 else 60
        return j + 1

    def _nearest(self, x):
        j = 0
        d1 = 1 << 29
        d2 = 1 << 29
        for i in range(self.n):
            d = abs(self.centre[i] - x)
            if d < d1:
                d2 = d1
                d1 = d
                j = i
            elif d < d2:
                d2 = d
        return j, d1, d2

    def _move(self, j, x, count):
        w = self.frames[j] + count
        if w > self.weight_cap:
            w = self.weight_cap
        self.centre[j] += (x - self.centre[j]) * count // w
        f = self.frames[j] + count
        self.frames[j] = f if f < (1 << 29) else (1 << 29)

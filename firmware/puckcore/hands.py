"""hands — the hands waiting on this puck: raise, withdraw, acknowledge, lower, clear.

A puck is often shared, so every short press adds one waiting hand (up to `limit`) and never
lowers anyone else's. A hand's number is the `seq` of its `raise` event (protocol §4.3), so the
host names it (device, boot, hand). The withdraw gesture takes back the most recent hand raised
here (the person who just pressed is the one most likely to change their mind). The host's
`hand_ack` / `hand_lower` remove a hand by number, `hands_clear` removes them all; the last
acknowledged hand is kept (with the time) for the ring's acknowledgement overlay.
Storage is a preallocated list: raising and lowering allocate nothing.
"""


class Hands:
    def __init__(self, limit):
        self.limit = limit
        self._q = [0] * limit  # hand numbers, oldest first
        self.count = 0
        self.last_ack = 0  # hand number of the last acknowledged hand, 0 when none
        self.last_ack_ms = 0  # ticks when it was acknowledged
        self.acked = False  # an acknowledgement has happened this boot (last_ack_ms is valid)

    def __len__(self):
        return self.count

    def next(self):
        """The hand that waits longest (first in line), 0 when none."""
        return self._q[0] if self.count else 0

    def at(self, i):
        return self._q[i]

    def full(self):
        return self.count >= self.limit

    def add(self, hand):
        """Add a raised hand. False when the puck already holds `limit` hands."""
        if self.count >= self.limit:
            return False
        self._q[self.count] = hand
        self.count += 1
        return True

    def withdraw(self):
        """Take back the most recent hand; returns its number, 0 when none waits."""
        if not self.count:
            return 0
        self.count -= 1
        hand = self._q[self.count]
        self._q[self.count] = 0
        return hand

    def _remove(self, hand):
        for i in range(self.count):
            if self._q[i] == hand:
                for j in range(i, self.count - 1):
                    self._q[j] = self._q[j + 1]
                self.count -= 1
                self._q[self.count] = 0
                return True
        return False

    def ack(self, hand, now_ms):
        """The host acknowledged `hand`: remove it and remember it. False when it is not waiting."""
        if not self._remove(hand):
            return False
        self.last_ack = hand
        self.last_ack_ms = now_ms
        self.acked = True
        return True

    def lower(self, hand):
        """Remove `hand` without acknowledgement. False when it is not waiting."""
        return self._remove(hand)

    def clear(self):
        """Remove every hand; returns how many were waiting."""
        n = self.count
        for i in range(n):
            self._q[i] = 0
        self.count = 0
        return n

    def resized(self, limit):
        """A Hands of another `limit` holding these hands (those past a lower limit stay with the
        host's queue) and the last acknowledgement; self when the limit is the same."""
        if limit == self.limit:
            return self
        h = Hands(limit)
        for i in range(self.count):
            h.add(self._q[i])
        h.last_ack = self.last_ack
        h.last_ack_ms = self.last_ack_ms
        h.acked = self.acked
        return h

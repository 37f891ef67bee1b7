"""outbox — a bounded queue of encoded events, stamped with (boot, seq, ms), kept until the broker acks.

`add()` gives each event the next `seq` of this boot and encodes it at once, so what is queued is
exactly what will be sent. When the queue is full the oldest event is dropped and counted in
`dropped`: the host sees the gap in seq and reports the loss. Delivery is at-least-once: the link
task `peek()`s the oldest, publishes it with QoS 1 and `ack()`s it when the broker confirms.
"""
from puckcore.codec import encode_event


class Outbox:
    capacity_default = 64

    def __init__(self, boot, capacity=None, first_seq=1):
        self.boot = boot
        self.capacity = capacity or self.capacity_default
        self._kinds = [None] * self.capacity  # type: list  # str in every live slot
        self._seqs = [0] * self.capacity
        self._payloads = [None] * self.capacity  # type: list[bytes | None]
        self._head = 0  # index of the oldest
        self._len = 0
        self.next_seq = first_seq
        self.dropped = 0

    def __len__(self):
        return self._len

    @property
    def last_seq(self):
        return self.next_seq - 1

    def add(self, kind, fields, now_ms):
        """Queue an `evt/<kind>` with these fields; returns its seq."""
        seq = self.next_seq
        self.next_seq = seq + 1
        payload = encode_event(self.boot, seq, now_ms, fields)
        if self._len == self.capacity:  # full: drop the oldest, count it
            self._head = (self._head + 1) % self.capacity
            self._len -= 1
            self.dropped += 1
        i = (self._head + self._len) % self.capacity
        self._kinds[i] = kind
        self._seqs[i] = seq
        self._payloads[i] = payload
        self._len += 1
        return seq

    def peek(self):
        """(seq, kind, payload) of the oldest event, or None when empty."""
        if not self._len:
            return None
        i = self._head
        return self._seqs[i], self._kinds[i], self._payloads[i]

    def ack(self, seq):
        """The broker confirmed `seq`: drop it if it is still the oldest (it may have been dropped)."""
        if self._len and self._seqs[self._head] == seq:
            self._payloads[self._head] = None
            self._head = (self._head + 1) % self.capacity
            self._len -= 1
            return True
        return False

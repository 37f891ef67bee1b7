"""outbox — a bounded queue of encoded events, stamped with (boot, seq, ms), kept until the broker acks.

`add()` gives each event the next `seq` of this boot and encodes it at once, so what is queued is
exactly what will be sent. The events sit in a puckcore.ringqueue.RingQueue: when it is full the
oldest event is dropped and counted in `dropped`; the host sees the gap in seq and reports the loss.
Delivery is at-least-once: the link task `peek()`s the oldest, publishes it with QoS 1 and `ack()`s
it when the broker confirms; only then does it leave the queue. `event` (optional, Event-like) is
set on every add, so the link task can wait for work instead of polling.
"""
from puckcore.codec import encode_event
from puckcore.ringqueue import RingQueue


class Outbox:
    capacity_default = 64

    def __init__(self, boot, capacity=None, first_seq=1, event=None):
        self.boot = boot
        self.capacity = capacity or self.capacity_default
        self.queue = RingQueue(self.capacity, event)  # items: (seq, kind, payload)
        self.next_seq = first_seq

    def __len__(self):
        return len(self.queue)

    @property
    def dropped(self):
        return self.queue.dropped

    @property
    def last_seq(self):
        return self.next_seq - 1

    def add(self, kind, fields, now_ms):
        """Queue an `evt/<kind>` with these fields; returns its seq."""
        seq = self.next_seq
        self.next_seq = seq + 1
        self.queue.put((seq, kind, encode_event(self.boot, seq, now_ms, fields)))
        return seq

    def peek(self):
        """(seq, kind, payload) of the oldest event, or None when empty."""
        return self.queue.peek()

    def ack(self, seq):
        """The broker confirmed `seq`: drop it if it is still the oldest (it may have been dropped)."""
        item = self.queue.peek()
        if item is not None and item[0] == seq:
            self.queue.get_nowait()
            return True
        return False

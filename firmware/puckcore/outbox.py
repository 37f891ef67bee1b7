"""outbox — a bounded queue of encoded events, stamped with (boot, seq, ms), kept until the broker acks.

`add()` gives each event the next `seq` of this boot and encodes it at once, so what is queued is
exactly what will be sent. The events sit in a puckcore.ringqueue.RingQueue: when it is full the
oldest event is dropped and counted in `dropped`; the host sees the gap in seq and reports the loss.
Delivery is at-least-once: the link task `peek()`s the oldest, publishes it with QoS 1 and `ack()`s
it when the broker confirms; only then does it leave the queue. `event` (optional, Event-like) is
set on every add, so the link task can wait for work instead of polling.

Sized for an outage (issue 13): a lively meeting makes 100-200 turns in 10 minutes, plus a `vad`
summary a minute, hands and phases: `capacity_default` = 320 events is 10 minutes at 32 events a
minute. Only the encoded payload is kept per event: the queued seqs are always consecutive (events
leave only from the oldest end, by an ack or a drop), so the oldest's seq is `next_seq - len`, and
the kind is one byte in a preallocated table indexed by `seq % capacity`. Measured with
`bench/outbox_mem.py` under the unix port (64-bit): 192 bytes per queued `turn` event (256 when
each event was a (seq, kind, payload) tuple); on the 32-bit boards (a 16-byte GC block per object)
about 160 bytes, so a full outbox holds about 50 KB: fine beside the ESP32-S3's PSRAM, under a
third of a Pico W's ~180 KB free heap, and taken only while the link is down (an empty outbox
costs its slot table: 5 bytes a slot on 32-bit, 1.6 KB).
An outbox in RAM does not survive a reboot: events queued then are lost, and the host counts them
through `info.prev_seq` (protocol §4).
"""
from puckcore.codec import encode_event
from puckcore.ringqueue import RingQueue


class Outbox:
    capacity_default = 320

    def __init__(self, boot, capacity=None, first_seq=1, event=None):
        self.boot = boot
        self.capacity = capacity or self.capacity_default
        self.queue = RingQueue(self.capacity, event)  # items: the encoded payloads, oldest first
        self._kind_of = bytearray(self.capacity)  # seq % capacity -> index in self._kinds
        self._kinds = []  # the kind names seen (a handful: protocol.EVENT_KINDS)
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
        kinds = self._kinds
        if kind in kinds:
            k = kinds.index(kind)
        else:
            k = len(kinds)
            kinds.append(kind)
        self._kind_of[seq % self.capacity] = k
        self.queue.put(encode_event(self.boot, seq, now_ms, fields))
        return seq

    def peek(self):
        """(seq, kind, payload) of the oldest event, or None when empty."""
        payload = self.queue.peek()
        if payload is None:
            return None
        seq = self.next_seq - len(self.queue)
        return seq, self._kinds[self._kind_of[seq % self.capacity]], payload

    def ack(self, seq):
        """The broker confirmed `seq`: drop it if it is still the oldest (it may have been dropped)."""
        if len(self.queue) and self.next_seq - len(self.queue) == seq:
            self.queue.get_nowait()
            return True
        return False

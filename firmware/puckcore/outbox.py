"""outbox — a bounded queue of encoded events, stamped with (boot, seq, ms), kept until the broker acks.

`add()` gives each event the next `seq` of this boot and encodes it at once, so what is queued is
exactly what will be sent. The events sit in a puckcore.ringqueue.RingQueue: when it is full the
oldest event is dropped and counted in `dropped`; the host sees the gap in seq and reports the loss.
Delivery is at-least-once: the link task `peek()`s the oldest, publishes it with QoS 1 and `ack()`s
it when the broker confirms; only then does it leave the queue. `event` (optional, Event-like) is
set on every add, so the link task can wait for work instead of polling.

Sized for an outage (issue 13): a lively meeting makes 100-200 turns in 10 minutes, plus a `vad`
summary a minute, hands and phases: `capacity_default` = 360 events is 10 minutes at 32 events a
minute plus the reconnect backoff after it (up to 30 s; the soak in bench/ dropped 13 of 320 at
capacity 320 while it reconnected). Only the encoded payload is kept per event: the queued seqs are always consecutive (events
leave only from the oldest end, by an ack or a drop), so the oldest's seq is `next_seq - len`, and
the kind is one byte in a preallocated table indexed by `seq % capacity`. Measured with
`bench/outbox_mem.py` under the unix port (64-bit): 192 bytes per queued `turn` event (256 when
each event was a (seq, kind, payload) tuple); on the 32-bit boards (a 16-byte GC block per object)
about 160 bytes, so a full outbox holds about 56 KB: fine beside the ESP32-S3's PSRAM, under a
third of a Pico W's ~180 KB free heap, and taken only while the link is down (an empty outbox
costs its slot tables: 9 bytes a slot on 32-bit, about 3 KB; 6.6 KB measured on the 64-bit port).
Sent again after a link fault (`rewind`): the broker acknowledges an event before it has saved
it (the embedded Mosquitto writes its state every second), so a broker killed in that second loses
events it acked while nobody had taken them yet (the soak in bench/ caught 2 of 72 so). Acked
events are therefore kept `resend_ms` more (in the same ring; they give way to new events before
any unsent one does, uncounted), and when the link fails the ones acked that recently are sent
again after the reconnect; the host stores each (device, boot, seq) once and counts the repeats
in `duplicates_dropped`.
An outbox in RAM does not survive a reboot: events queued then are lost, and the host counts them
through `info.prev_seq` (protocol §4).
"""
from puckcore.codec import encode_event
from puckcore.ringqueue import RingQueue
from puckcore.ticks import ticks_diff


class Outbox:
    capacity_default = 360
    resend_ms = 10000  # after a link fault, events the broker acked this recently go again

    def __init__(self, boot, capacity=None, first_seq=1, event=None):
        self.boot = boot
        self.capacity = capacity or self.capacity_default
        # items: the encoded payloads, oldest first: the acked ones still kept, then the unsent
        self.queue = RingQueue(self.capacity, event)
        self._kind_of = bytearray(self.capacity)  # seq % capacity -> index in self._kinds
        self._acked_ms = [0] * self.capacity  # seq % capacity -> when the broker acked it
        self._kinds = []  # the kind names seen (a handful: protocol.EVENT_KINDS)
        self._unsent = 0
        self._rewound = 0  # the oldest this many unsent were acked once already (sent again by rewind)
        self._sending = 0  # the seq last handed out by peek() (the link task publishes it, then acks)
        self._dropped_sending = 0  # that seq, when a full outbox dropped it while it was on its way
        self.next_seq = first_seq

    def __len__(self):
        """Events waiting to be sent (or sent again)."""
        return self._unsent

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
        q = self.queue
        if q.full() and (len(q) > self._unsent or self._rewound):
            # an event the broker acked once makes room: not a loss (the host has it or the
            # broker died with it; either way no drop of this puck is counted for it)
            if len(q) == self._unsent:
                self._unsent -= 1
                self._rewound -= 1
            q.get_nowait()
        elif q.full() and self.next_seq - 1 - len(q) == self._sending:
            self._dropped_sending = self._sending  # counted now; uncounted if its ack still comes
        if not q.put(encode_event(self.boot, seq, now_ms, fields)):
            self._unsent += 1  # (a full ring of unsent events dropped its oldest: counted, still full)
        return seq

    def peek(self):
        """(seq, kind, payload) of the oldest unsent event, or None when there is none."""
        if not self._unsent:
            return None
        q = self.queue
        seq = self._sending = self.next_seq - self._unsent
        return seq, self._kinds[self._kind_of[seq % self.capacity]], q.at(len(q) - self._unsent)

    def ack(self, seq, now_ms=None):
        """The broker confirmed `seq`: it stops waiting if it is still the oldest (it may have been
        dropped). It is kept `resend_ms` from `now_ms` for `rewind` (without `now_ms`: not kept)."""
        if self._unsent and self.next_seq - self._unsent == seq:
            self._unsent -= 1
            if self._rewound:
                self._rewound -= 1
            self._acked_ms[seq % self.capacity] = now_ms if now_ms is not None else 0
            self._trim(now_ms)
            return True
        if seq == self._dropped_sending:
            # dropped from a full outbox while it was being published, and the broker took it after
            # all: delivered, so not a loss (the host stores it; its loss figure must match ours)
            self._dropped_sending = 0
            self.queue.dropped -= 1
        return False

    def rewind(self, now_ms):
        """The link failed: the events acked in the last `resend_ms` wait again; returns how many."""
        self._trim(now_ms)
        n = len(self.queue) - self._unsent
        self._unsent = len(self.queue)
        self._rewound += n
        return n

    def _trim(self, now_ms):
        q = self.queue
        while len(q) > self._unsent:
            seq = self.next_seq - len(q)
            if now_ms is not None and ticks_diff(now_ms, self._acked_ms[seq % self.capacity]) < self.resend_ms:
                break
            q.get_nowait()

"""usbarq — the USB link's acknowledgement protocol: sequence numbers, a send window, retransmit on timeout.

Pure (no I/O, no asyncio): the puck's UsbLink and the host's bridge each keep one `Arq` per
session and do the reading and writing around it. Go-back-N over 8-bit sequence numbers with
cumulative acknowledgements:

  sending   `add(kind, payload, now)` gives the next seq while fewer than `window` frames are
            unacknowledged (`can_send()`; else the sender waits: that is the flow control). Every
            frame either way carries `ack` = the next seq this end still needs; `on_ack(ack, now)`
            frees the frames it covers. When the oldest unacknowledged frame has waited `retry_ms`,
            `retransmit_due(now)` says so and `unacked()` lists them all to send again.
  receiving `accept(seq)` is True only for the next seq in order (deliver it); a duplicate (an old
            seq: our ack was lost) or a frame after a gap (one before it was broken) is False and is
            counted, and the caller answers with an ACK so the sender learns where we are. The
            receiver calls `done()` when it has *handled* the frame (the bridge: after the broker's
            PUBACK), and only then does `ack` move: an acknowledged frame is never lost.
`reset()` starts a new session (a CONNECT) with seq 0 both ways.
"""
from puckcore.ticks import ticks_diff


def seq_diff(a, b):
    """a - b on 8-bit sequence numbers, in -128..127."""
    return ((a - b + 128) & 0xFF) - 128


class Arq:
    def __init__(self, window=4, retry_ms=500):
        if not 1 <= window <= 64:
            raise ValueError("window must be 1..64")
        self.window = window
        self.retry_ms = retry_ms
        self._kinds = [0] * window
        self._payloads = [None] * window
        self.retransmits = 0  # frames sent again after retry_ms without an ack
        self.duplicates = 0  # frames received twice (our ack was lost or late)
        self.out_of_order = 0  # frames received after a gap (a broken frame before them)
        self.reset()

    def reset(self):
        self.tx_next = 0  # seq of the next new frame
        self.tx_base = 0  # oldest unacknowledged seq
        self.rx_next = 0  # next seq accepted for delivery
        self.rx_done = 0  # next seq not yet handled: the ack we send
        self._timer = None  # when the oldest unacknowledged frame was (re)sent
        for i in range(self.window):
            self._payloads[i] = None

    # -- sending ---------------------------------------------------------------------------------
    def in_flight(self):
        return seq_diff(self.tx_next, self.tx_base)

    def can_send(self):
        return self.in_flight() < self.window

    def add(self, kind, payload, now):
        """Keep a new frame until acknowledged; returns its seq. The caller checks can_send() first."""
        if not self.can_send():
            raise ValueError("usb window full")
        seq = self.tx_next
        i = seq % self.window
        self._kinds[i] = kind
        self._payloads[i] = payload
        if self.tx_next == self.tx_base:
            self._timer = now
        self.tx_next = (seq + 1) & 0xFF
        return seq

    def on_ack(self, ack, now):
        """A cumulative ack from the peer; returns how many frames it freed."""
        d = seq_diff(ack, self.tx_base)
        if d <= 0 or d > self.in_flight():
            return 0  # old, or nonsense (a stale frame of a previous session)
        for k in range(d):
            self._payloads[(self.tx_base + k) % self.window] = None
        self.tx_base = ack & 0xFF
        self._timer = now if self.tx_base != self.tx_next else None
        return d

    def is_acked(self, seq):
        return seq_diff(seq, self.tx_base) < 0

    def retransmit_due(self, now):
        return self._timer is not None and ticks_diff(now, self._timer) >= self.retry_ms

    def unacked(self, now):
        """Every unacknowledged frame, oldest first, as (seq, kind, payload); restarts the timer."""
        out = []
        for k in range(self.in_flight()):
            seq = (self.tx_base + k) & 0xFF
            i = seq % self.window
            out.append((seq, self._kinds[i], self._payloads[i]))
        if out:
            self._timer = now
            self.retransmits += len(out)
        return out

    # -- receiving -------------------------------------------------------------------------------
    def accept(self, seq):
        d = seq_diff(seq, self.rx_next)
        if d == 0:
            self.rx_next = (self.rx_next + 1) & 0xFF
            return True
        if d < 0:
            self.duplicates += 1
        else:
            self.out_of_order += 1
        return False

    def done(self):
        """The oldest accepted frame is handled: the ack moves past it."""
        if self.rx_done != self.rx_next:
            self.rx_done = (self.rx_done + 1) & 0xFF

    @property
    def ack(self):
        return self.rx_done

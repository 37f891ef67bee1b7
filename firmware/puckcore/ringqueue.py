"""ringqueue — a bounded, preallocated queue that drops the oldest item when full and counts it.

The one queue of the firmware (in the spirit of peterhinch's micropython-async `RingbufQueue`):
the outbox, the detector's events, the puck's responses and the MQTT inbox are each one of these.

    q = RingQueue(8)             # room for 8 items, allocated once
    q.put(item)                  # never blocks, never fails: when full the oldest goes (`dropped` += 1)
    q.get_nowait()               # the oldest item, removed; None when empty
    q.peek()                     # the oldest item, kept (at-least-once senders: peek, send, then get)
    q.at(i)                      # the i-th oldest, kept
    len(q), q.full()

`put` and `get_nowait` only move indices and store a reference: they allocate nothing beyond the
item itself. A task that waits for items passes an Event-like `event` (anything with `set()`: an
asyncio.Event on CPython and MicroPython, or a puckcore.flag.Flag in pure code and tests); `put`
sets it, and the waiting task clears it before it looks again (`await q.get()` does exactly that).
The queue itself is synchronous and needs no asyncio. Not safe from an ISR (use a ThreadSafeFlag
and a plain buffer there).
"""


class RingQueue:
    def __init__(self, size, event=None):
        if size < 1:
            raise ValueError("RingQueue size must be >= 1")
        self.size = size
        self.event = event  # set on every put (None: nobody waits)
        self.dropped = 0  # items pushed out by a put on a full queue
        self._q = [None] * size  # type: list
        self._head = 0  # index of the oldest
        self._n = 0

    def __len__(self):
        return self._n

    def full(self):
        return self._n == self.size

    def put(self, item):
        """Append `item`; a full queue first drops its oldest item (counted). True if one was dropped."""
        q = self._q
        n = self.size
        lost = self._n == n
        if lost:
            self._head = (self._head + 1) % n
            self._n -= 1
            self.dropped += 1
        q[(self._head + self._n) % n] = item
        self._n += 1
        if self.event is not None:
            self.event.set()
        return lost

    def peek(self):
        """The oldest item, left in the queue; None when empty."""
        if not self._n:
            return None
        return self._q[self._head]

    def at(self, i):
        """The i-th oldest item (0 = the oldest), left in the queue; None past the end."""
        if i < 0 or i >= self._n:
            return None
        return self._q[(self._head + i) % self.size]

    def get_nowait(self):
        """Remove and return the oldest item; None when empty."""
        if not self._n:
            return None
        i = self._head
        item = self._q[i]
        self._q[i] = None  # let the item go
        self._head = (i + 1) % self.size
        self._n -= 1
        return item

    def clear(self):
        while self._n:
            self.get_nowait()

    async def get(self):
        """Wait for an item (needs an asyncio Event as `event`) and remove it."""
        event = self.event
        assert event is not None, "RingQueue.get() needs an event"
        while not self._n:
            event.clear()
            await event.wait()
        return self.get_nowait()

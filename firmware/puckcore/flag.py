"""flag — a synchronous, Event-like "there is work" flag for pure code that must not need asyncio.

`Flag` has the part of asyncio.Event that setting and testing use: `set()`, `clear()`, `is_set()`.
The Controller raises its "republish state" and "save the record" flags through this interface, so
it stays synchronous and testable without an event loop. The app hands the Controller real
asyncio.Event objects where a task waits on them (the store task awaits the persist Event), or a
Flag with `notify`: an Event to set as well, so one task can wait for several kinds of work (the
link task wakes on state, responses and outbox events through one Event).
"""


class Flag:
    def __init__(self, notify=None, on=False):
        self.notify = notify  # an Event-like to set too (None: nobody waits)
        self._on = on
        if on and notify is not None:
            notify.set()

    def set(self):
        self._on = True
        if self.notify is not None:
            self.notify.set()

    def clear(self):
        self._on = False

    def is_set(self):
        return self._on

"""FakeClock — a millisecond clock that tests move by hand; starts just before the 2**30 wrap."""
from puckcore.ticks import ticks_add

WRAP_SOON = (1 << 30) - 5000  # five seconds before the device's ticks wrap


class FakeClock:
    def __init__(self, start=WRAP_SOON):
        self.t = start

    def now_ms(self):
        return self.t

    def advance(self, ms):
        self.t = ticks_add(self.t, ms)
        return self.t

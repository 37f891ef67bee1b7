"""uptime — seconds since boot from the wrapping ms ticks, for `tele.uptime_s` (any port).

ticks_ms wraps every 2**30 ms (12.4 days); a puck runs for months. Each call adds the wrap-safe
difference since the previous call, so the count stays right as long as it is read more often than
every 6 days (tele reads it every 30 s).
"""
from puckcore.ticks import ticks_diff, ticks_ms


class Uptime:
    def __init__(self):
        self._last = ticks_ms()
        self._ms = 0
        self._s = 0

    def seconds(self):
        now = ticks_ms()
        self._ms += ticks_diff(now, self._last)
        self._last = now
        if self._ms >= 1000:  # carry whole seconds so the ms part stays a small int
            self._s += self._ms // 1000
            self._ms %= 1000
        return self._s

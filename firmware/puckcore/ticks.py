"""ticks — wrap-safe millisecond clock arithmetic, the same on the device and on CPython.
# device-limits: exempt (this module emulates the platform ticks; on the device they are native)

On MicroPython the platform's `time.ticks_*` are used (their period is 2**30 ms on the ESP32 and
RP2040 ports). On CPython the same arithmetic is done with an explicit period, so tests can run
the clocks with the device's 2**30 wrap and catch code that subtracts ticks directly.
"""
# each branch below defines ticks_* for its own platform:
# pyright: reportRedeclaration=false
try:
    from time import ticks_add as _add, ticks_diff as _diff, ticks_ms as _ms  # MicroPython

    PERIOD = None

    def ticks_add(t, delta):
        return _add(t, delta)

    def ticks_diff(a, b):
        return _diff(a, b)

    def ticks_ms():
        return _ms()

except ImportError:  # CPython: emulate the device's ticks with a 2**30 ms period
    import time as _time

    PERIOD = 1 << 30
    _HALF = PERIOD >> 1
    _MASK = PERIOD - 1

    def ticks_add(t, delta):
        return (t + delta) & _MASK

    def ticks_diff(a, b):
        # signed difference a - b in (-PERIOD/2, PERIOD/2]
        return ((a - b + _HALF) & _MASK) - _HALF

    def ticks_ms():
        return int(_time.monotonic() * 1000) & _MASK  # pyright: ignore[reportAttributeAccessIssue]  (CPython)


class Clock:
    """A millisecond clock handed to the core: the real one, or a fake that tests move by hand."""

    def now_ms(self):
        return ticks_ms()

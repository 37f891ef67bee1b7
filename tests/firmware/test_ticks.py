"""Wrap-safe tick arithmetic (runs on CPython, the device-limits harness and MicroPython)."""
from puckcore.ticks import ticks_add, ticks_diff
from fakes.clock import FakeClock


def test_diff_across_wrap():
    c = FakeClock()
    t0 = c.now_ms()
    t1 = c.advance(10000)  # crosses the wrap
    assert t1 < t0 or t1 - t0 == 10000  # the raw value may have wrapped (platform period)
    assert ticks_diff(t1, t0) == 10000
    assert ticks_diff(t0, t1) == -10000


def test_add_negative():
    t = ticks_add(100, -200)
    assert ticks_diff(100, t) == 200

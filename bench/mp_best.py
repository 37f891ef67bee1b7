"""mp_best — the minimum time of many calls under MicroPython (the bench/*_mp.py scripts import it):
robust to a shared, busy machine where a mean or a maximum is not."""
import time


def best(fn, reps=200):
    b = 1 << 30
    for _ in range(reps):
        t = time.ticks_us()
        fn()
        d = time.ticks_diff(time.ticks_us(), t)
        if d < b:
            b = d
    return b

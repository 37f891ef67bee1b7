"""remote_viper — the viper twin of remote.accumulate (MicroPython only; same results).

Histogram counts and sums (the piece spread too) are non-negative and below 2**31, so ptr32 loads need no sign extension.
tests/firmware/test_remote.py checks it against the portable version.
"""
import micropython


@micropython.viper
def accumulate_viper(lvl, low, a: int, b: int, hist, off: int, sums, j: int):
    if b <= a:
        return
    pl = ptr8(lvl)
    po = ptr8(low)
    h = ptr32(hist)
    s32 = ptr32(sums)
    s = 0
    t = 0
    i = a
    while i < b:
        v = int(pl[i])
        k = off + v
        h[k] = int(h[k]) + 1
        s += int(po[i])
        t += v
        i += 1
    m = (t << 4) // (b - a)
    d = 0
    i = a
    while i < b:
        v = (int(pl[i]) << 4) - m
        if v < 0:
            v = 0 - v
        if v > 127:  # remote.DEV_CAP
            v = 127
        d += v
        i += 1
    s32[j] = int(s32[j]) + s
    s32[j + 1] = int(s32[j + 1]) + (b - a)
    s32[j + 2] = int(s32[j + 2]) + d


@micropython.viper
def low_sum_viper(low, a: int, b: int) -> int:
    po = ptr8(low)
    s = 0
    i = a
    while i < b:
        s += int(po[i])
        i += 1
    return s

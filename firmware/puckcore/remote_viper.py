"""remote_viper — the viper twin of remote.accumulate (MicroPython only; same results).

Histogram counts and sums are non-negative and below 2**31, so ptr32 loads need no sign extension.
tests/firmware/test_remote.py checks it against the portable version.
"""
import micropython


@micropython.viper
def accumulate_viper(lvl, low, a: int, b: int, hist, off: int, sums, j: int):
    pl = ptr8(lvl)
    po = ptr8(low)
    h = ptr32(hist)
    s32 = ptr32(sums)
    s = 0
    i = a
    while i < b:
        k = off + int(pl[i])
        h[k] = int(h[k]) + 1
        s += int(po[i])
        i += 1
    s32[j] = int(s32[j]) + s
    s32[j + 1] = int(s32[j + 1]) + (b - a)

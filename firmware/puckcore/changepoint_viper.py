"""changepoint_viper — viper twins of changepoint.clip_prefix and changepoint.best_split (MicroPython only).

ptr16 loads are unsigned: codes are sign-extended by hand. tests/firmware/test_changepoint.py checks
that they give exactly what the portable versions give.
"""
import micropython


@micropython.viper
def clip_prefix_viper(codes, n: int, lo: int, hi: int, prefix) -> int:
    c16 = ptr16(codes)
    p = ptr32(prefix)
    s = 0
    p[0] = 0
    i = 0
    while i < n:
        c = int(c16[i])
        if c >= 32768:
            c -= 65536
        if c < lo:
            c = lo
        elif c > hi:
            c = hi
        s += c
        p[i + 1] = s
        i += 1
    return s


@micropython.viper
def best_split_viper(prefix, a: int, b: int, m: int, out):
    p = ptr32(prefix)
    o = ptr32(out)
    n = b - a
    best = 0
    bk = 0
    base = p[a]
    tot = p[b] - base
    k = m
    while k <= n - m:
        sl = p[a + k] - base
        dm = (sl << 4) // k - ((tot - sl) << 4) // (n - k)
        q = k * (n - k) // n
        sc = ((dm * dm) >> 4) * q
        if sc > best:
            best = sc
            bk = a + k
        k += 1
    o[0] = bk
    o[1] = best

"""frontend_viper — the viper twin of frontend.frame_stats (MicroPython only; same results).

Imported by frontend.py only when `micropython` exists. ptr16 loads are unsigned, so each sample
is sign-extended by hand; `>>` of a negative viper int is not a floor, so the low-pass step floors
by hand. tests/firmware/test_frontend.py checks it against the portable version.
"""
import micropython


@micropython.viper
def frame_stats_viper(buf, n: int, dc: int, out):
    p = ptr16(buf)
    o = ptr32(out)
    s = 0
    a = 0
    z = 0
    h = 0
    lo = int(o[5]) - 65536  # stored offset: ptr32 loads do not sign-extend on 64-bit ports
    lsum = 0
    prev = int(p[0])
    if prev >= 32768:
        prev -= 65536
    neg = 0
    if prev < dc:
        neg = 1
    i = 0
    while i < n:
        x = int(p[i])
        if x >= 32768:
            x -= 65536
        s += x
        d = x - dc
        t = d - lo  # viper's >> is logical: floor the shift by hand
        if t < 0:
            lo -= ((0 - t) + 15) >> 4
        else:
            lo += t >> 4
        if lo < 0:
            lsum -= lo
        else:
            lsum += lo
        if d < 0:
            a -= d
            if neg == 0:
                z += 1
                neg = 1
        else:
            a += d
            if neg != 0:
                z += 1
                neg = 0
        d = x - prev
        if d < 0:
            h -= d
        else:
            h += d
        prev = x
        i += 1
    o[0] = s
    o[1] = a
    o[2] = z
    o[3] = h
    o[4] = lsum
    o[5] = lo + 65536

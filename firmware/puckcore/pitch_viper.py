"""pitch_viper — viper twins of pitch.decimate and pitch.acorr (MicroPython only; identical results).

ptr16 loads are unsigned: every load is sign-extended by hand. Constants mirror pitch.py (WIN=80,
LAG_MIN=10, LAG_MAX=50, HIST=130). tests/firmware/test_pitch.py compares them with the portable code.
"""
import micropython


@micropython.viper
def decimate_viper(frame, n: int, dc: int, hist) -> int:
    f = ptr16(frame)
    h = ptr16(hist)
    m = n >> 2
    keep = 130 - m
    i = 0
    while i < keep:
        h[i] = h[i + m]
        i += 1
    j = 0
    dc4 = 4 * dc
    while i < 130:
        v = 0
        k = 0
        while k < 4:
            s = int(f[j + k])
            if s >= 32768:
                s -= 65536
            v += s
            k += 1
        v -= dc4
        if v > 32767:
            v = 32767
        elif v < -32767:
            v = -32767
        h[i] = v
        j += 4
        i += 1
    peak = 0
    i = 0
    while i < 130:
        v = int(h[i])
        if v >= 32768:
            v -= 65536
        if v < 0:
            v = -v
        if v > peak:
            peak = v
        i += 1
    return peak


@micropython.viper
def acorr_viper(hist, shift: int, out):
    h = ptr16(hist)
    o = ptr32(out)
    base = 50
    e0 = 0
    i = base
    while i < 130:
        v = int(h[i])
        if v >= 32768:
            v -= 65536
        v = v >> shift
        e0 += v * v
        i += 1
    best = 0
    blag = 0
    if e0 > 0:
        el = 0
        i = base - 10
        while i < 120:
            v = int(h[i])
            if v >= 32768:
                v -= 65536
            v = v >> shift
            el += v * v
            i += 1
        lag = 10
        while lag <= 50:
            r = 0
            k = base - lag
            i = base
            while i < 130:
                a = int(h[i])
                if a >= 32768:
                    a -= 65536
                b = int(h[k])
                if b >= 32768:
                    b -= 65536
                r += (a >> shift) * (b >> shift)
                k += 1
                i += 1
            if r > 0:
                den = (e0 + el) >> 1
                if den > 2097152:
                    q = int(r) // ((den >> 8) + 1)
                else:
                    q = (r << 8) // (den + 1)
                if q > best:
                    best = q
                    blag = lag
            if lag < 50:
                v = int(h[base - lag - 1])
                if v >= 32768:
                    v -= 65536
                v = v >> shift
                el += v * v
                v = int(h[130 - lag - 1])
                if v >= 32768:
                    v -= 65536
                v = v >> shift
                el -= v * v
            lag += 1
    if best > 256:
        best = 256
    o[0] = best
    o[1] = blag

"""voicevec_viper — the viper twins of voicevec.fft_bands, project and pool (MicroPython only).

Same integers as the portable versions (tests/firmware/test_voicevec.py). ptr16/ptr8 loads do not
sign-extend, so signed 'h' and 'b' values are extended by hand ((v ^ 0x8000) - 0x8000); band sums
and logs are non-negative, so their ptr32 loads need nothing.
"""
import micropython


@micropython.viper
def fft_bands_viper(buf, win, re, im, rev, cosq, sinq, edges, nb: int, bands):
    px = ptr16(buf)
    pw = ptr16(win)
    pr = ptr16(re)
    pi = ptr16(im)
    pv = ptr8(rev)
    pc = ptr16(cosq)
    ps = ptr16(sinq)
    pe = ptr8(edges)
    pb = ptr32(bands)
    peak = 0
    i = 0
    while i < 256:
        x = (int(px[i]) ^ 0x8000) - 0x8000
        v = (x * int(pw[i])) >> 14
        pr[i] = v
        if v < 0:
            v = 0 - v
        if v > peak:
            peak = v
        i += 1
    up = 0
    down = 0
    while peak != 0 and (peak << up) < 4096:
        up += 1
    while (peak >> down) > 8191:
        down += 1
    i = 0
    while i < 256:
        j = int(pv[i])
        if j > i:
            t = pr[i]
            pr[i] = pr[j]
            pr[j] = t
        i += 1
    i = 0
    while i < 256:
        v = (int(pr[i]) ^ 0x8000) - 0x8000
        pr[i] = (v << up) >> down
        pi[i] = 0
        i += 1
    half = 1
    step = 128
    while half < 256:
        k = 0
        while k < half:
            c = (int(pc[k * step]) ^ 0x8000) - 0x8000
            s = (int(ps[k * step]) ^ 0x8000) - 0x8000
            i = k
            while i < 256:
                j = i + half
                rj = (int(pr[j]) ^ 0x8000) - 0x8000
                ij = (int(pi[j]) ^ 0x8000) - 0x8000
                tr = (rj * c + ij * s) >> 14
                ti = (ij * c - rj * s) >> 14
                ar = (int(pr[i]) ^ 0x8000) - 0x8000
                ai = (int(pi[i]) ^ 0x8000) - 0x8000
                pr[i] = (ar + tr) >> 1
                pi[i] = (ai + ti) >> 1
                pr[j] = (ar - tr) >> 1
                pi[j] = (ai - ti) >> 1
                i += half << 1
            k += 1
        half <<= 1
        step >>= 1
    b = 0
    while b < nb:
        acc = 0
        k = int(pe[b])
        e = int(pe[b + 1])
        while k < e:
            x = (int(pr[k]) ^ 0x8000) - 0x8000
            y = (int(pi[k]) ^ 0x8000) - 0x8000
            if x < 0:
                x = 0 - x
            if y < 0:
                y = 0 - y
            if x > y:
                acc += x + ((3 * y) >> 3)
            else:
                acc += y + ((3 * x) >> 3)
            k += 1
        pb[b] = acc
        b += 1


@micropython.viper
def project_viper(bands, nb: int, tab, logs, w, dim: int, shift: int, store, off: int):
    pb = ptr32(bands)
    pt = ptr8(tab)
    pl = ptr32(logs)
    pw = ptr8(w)
    po = ptr8(store)
    m = 0
    b = 0
    while b < nb:
        v = int(pb[b]) + 1
        n = 6
        while v >= 128:
            v >>= 1
            n += 1
        while v < 64:
            v <<= 1
            n -= 1
        lg = (n << 8) + int(pt[v - 64])
        pl[b] = lg
        m += lg
        b += 1
    m = m // nb
    j = 0
    while j < dim:
        acc = 0
        base = j * nb
        b = 0
        while b < nb:
            acc += ((int(pw[base + b]) ^ 0x80) - 0x80) * (int(pl[b]) - m)
            b += 1
        acc >>= shift
        if acc > 127:
            acc = 127
        elif acc < -127:
            acc = -127
        po[off + j] = acc
        j += 1


@micropython.viper
def pool_viper(store, a: int, b: int, dim: int, acc):
    ps = ptr8(store)
    pa = ptr32(acc)
    j = 0
    while j < dim:
        s = 0
        i = a * dim + j
        e = b * dim
        while i < e:
            s += (int(ps[i]) ^ 0x80) - 0x80
            i += dim
        pa[j] = s
        j += 1

"""Voice vector (issue 15): fixed-point FFT bands, log + projection, pooled unit vectors, viper twins equal."""
import sys
from array import array

from fakes.signals import Lcg, noise_frame, tone_frame, voiced_frame
from puckcore import voicevec_model as M
from puckcore.levels import LOG2_TAB, log2_q8
from puckcore.voicevec import DIM, NB, VoiceVector, fft_bands, isqrt, pool, project


def _bands(vv, frame, fn=fft_bands):
    out = array("i", [0] * NB)
    fn(frame, vv.win, vv.re, vv.im, vv.rev, vv.cosq, vv.sinq, vv.edges, NB, out)
    return out


def _band_of(hz):
    k = hz * 256 // 16000
    for b in range(NB):
        if M.EDGES[b] <= k < M.EDGES[b + 1]:
            return b
    return -1


def test_a_tone_lands_in_its_band():
    vv = VoiceVector(4, fast=False)
    for cycles, hz in ((4, 1000), (8, 2000), (16, 4000)):  # cycles_per_64 * 250 Hz
        for amp in (30000, 300, 40):  # block scaling: quiet tones are resolved too
            b = _bands(vv, tone_frame(amp, cycles))
            top = 0
            for i in range(NB):
                if b[i] > b[top]:
                    top = i
            assert top == _band_of(hz), (hz, amp, list(b))
            # sidelobes of a Hann window: far bands are much weaker
            far = _band_of(hz) - 4
            assert b[far] * 20 < b[top], (hz, amp, list(b))


def test_silence_gives_zero_bands():
    vv = VoiceVector(4, fast=False)
    assert list(_bands(vv, array("h", [0] * 320))) == [0] * NB


def test_values_stay_int16_and_within_device_limits():
    vv = VoiceVector(4, fast=False)
    rng = Lcg(3)
    for f in (array("h", [32767, -32768] * 160), noise_frame(32767, rng), tone_frame(32767, 31)):
        b = _bands(vv, f)
        assert max(b) < (1 << 30)
        for i in range(256):
            assert -32768 <= vv.re[i] <= 32767 and -32768 <= vv.im[i] <= 32767


def test_project_matches_the_definition():
    bands = array("i", [1 + 37 * b * b for b in range(NB)])
    logs = array("i", [0] * NB)
    store = array("b", [0] * (2 * DIM))
    w = array("b", [((7 * i) % 255) - 127 for i in range(DIM * NB)])
    project(bands, NB, array("B", LOG2_TAB), logs, w, DIM, 9, store, DIM)
    lg = [log2_q8(bands[b] + 1) for b in range(NB)]
    assert list(logs) == lg
    m = sum(lg) // NB
    for j in range(DIM):
        acc = sum(w[j * NB + b] * (lg[b] - m) for b in range(NB)) >> 9
        assert store[DIM + j] == max(-127, min(127, acc)), j
    assert list(store[:DIM]) == [0] * DIM


def test_isqrt():
    for v in (0, 1, 2, 3, 4, 15, 16, 17, 1000000, (1 << 30) - 1):
        r = isqrt(v)
        assert r * r <= v < (r + 1) * (r + 1), v


def test_piece_is_a_unit_vector_and_tells_two_sounds_apart():
    vv = VoiceVector(40, fast=False)
    rng = Lcg(5)
    for s in range(20):
        vv.frame(voiced_frame(8000, rng, noise=200, k=s), s)
    for s in range(20, 40):
        vv.frame(tone_frame(6000, 12, noise=1500, rng=rng), s)
    a = array("i", [0] * DIM)
    b = array("i", [0] * DIM)
    a2 = array("i", [0] * DIM)
    assert vv.piece(0, 10, 1360 * 16, a) and vv.piece(10, 20, 1360 * 16, a2) and vv.piece(20, 40, 1360 * 16, b)
    for u in (a, b):
        n = sum(x * x for x in u)
        assert abs(isqrt(n) - 1024) <= 8, n
    same = sum(x * y for x, y in zip(a, a2)) >> 10
    other = sum(x * y for x, y in zip(a, b)) >> 10
    assert same > 1000 and other < same - 100, (same, other)
    assert not vv.piece(5, 5, 0, a)


def test_viper_twins_give_identical_integers():
    if sys.implementation.name != "micropython":
        return
    from puckcore.voicevec_viper import fft_bands_viper, pool_viper, project_viper

    vv = VoiceVector(4, fast=False)
    rng = Lcg(11)
    frames = [noise_frame(a, rng, dc) for a, dc in ((100, 0), (32767, 0), (3000, -2000), (1, 5))]
    frames += [array("h", [32767, -32768] * 160), tone_frame(30000, 3, noise=2000, rng=rng),
               voiced_frame(12000, rng, noise=300), array("h", [0] * 320)]
    tab = array("B", LOG2_TAB)
    for f in frames:
        a = _bands(vv, f)
        re = list(vv.re)
        b = _bands(vv, f, fft_bands_viper)
        assert list(a) == list(b), (list(a), list(b))
        assert re == list(vv.re)
        s1 = array("b", [0] * DIM)
        s2 = array("b", [0] * DIM)
        l1 = array("i", [0] * NB)
        l2 = array("i", [0] * NB)
        project(a, NB, tab, l1, vv.w, DIM, M.SHIFT, s1, 0)
        project_viper(a, NB, tab, l2, vv.w, DIM, M.SHIFT, s2, 0)
        assert list(s1) == list(s2) and list(l1) == list(l2)
    st = array("b", [((37 * i) % 255) - 127 for i in range(10 * DIM)])
    for a, b in ((0, 10), (3, 7), (5, 5)):
        p1 = array("i", [0] * DIM)
        p2 = array("i", [0] * DIM)
        pool(st, a, b, DIM, p1)
        pool_viper(st, a, b, DIM, p2)
        assert list(p1) == list(p2), (a, b)

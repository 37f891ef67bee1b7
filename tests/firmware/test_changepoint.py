"""Change detection inside a turn: a pitch step is cut where it happens, noise and octave slips are not."""
import sys
from array import array

from fakes.signals import Lcg
from puckcore.changepoint import ChangeDetector, best_split, clip_prefix
from puckcore.detect_params import DetectParams as P
from puckcore.levels import log2_q8
from puckcore.ticks import ticks_add

T0 = (1 << 30) - 3000  # the turn crosses the tick wrap


def _detector(fast=True, cap=400):
    return ChangeDetector(cap, P.voice_min_frames, P.voice_clip_q8, P.voice_split_score, P.voice_split_depth,
                          P.frame_ms, fast)


def _feed(cd, lags, rng=None, jitter=0, every_ms=20, t0=T0):
    t = t0
    for lag in lags:
        if rng is not None and jitter:
            lag += (rng.next() >> 8) % (2 * jitter + 1) - jitter
        cd.add(lag, log2_q8(lag), t)
        t = ticks_add(t, every_ms)


def _split(cd):
    n = cd.n
    return cd.split(n, log2_q8(cd.median_lag(n)))


def test_a_pitch_step_is_cut_where_it_happens():
    cd = _detector()
    rng = Lcg(7)
    _feed(cd, [36] * 80 + [20] * 60, rng, jitter=2)  # 111 Hz, then 200 Hz: a man, then a woman
    assert _split(cd) == 2, [cd.bounds[i] for i in range(cd.pieces + 1)]
    assert abs(cd.bounds[1] - 80) <= 3, cd.bounds[1]
    assert cd.mean_q4[0] > cd.mean_q4[1]  # longer lag, lower voice
    assert cd.count[0] + cd.count[1] == 140
    # the cut's time is the time of its voiced frame, across the wrap
    assert cd.time_of(cd.bounds[1]) == ticks_add(T0, 20 * cd.bounds[1])


def test_one_voice_with_jitter_is_not_cut():
    cd = _detector()
    _feed(cd, [28] * 300, Lcg(11), jitter=3)
    assert _split(cd) == 1


def test_octave_slips_do_not_fake_a_change():
    cd = _detector()
    lags = [25] * 200
    for i in range(60, 200, 9):  # one frame in nine read at half the pitch
        lags[i] = 50
    _feed(cd, lags, Lcg(3), jitter=1)
    assert _split(cd) == 1


def test_three_voices_in_a_row_give_three_pieces():
    cd = _detector()
    _feed(cd, [40] * 70 + [22] * 70 + [30] * 70, Lcg(5), jitter=1)
    assert _split(cd) == 3, [cd.bounds[i] for i in range(cd.pieces + 1)]
    assert abs(cd.bounds[1] - 70) <= 3 and abs(cd.bounds[2] - 140) <= 3


def test_short_stretches_are_not_pieces():
    cd = _detector()
    _feed(cd, [40] * 50 + [22] * (P.voice_min_frames - 5) + [40] * 50, Lcg(9), jitter=1)
    assert _split(cd) == 1


def test_buffer_is_bounded_and_reset_forgets():
    cd = _detector(cap=50)
    _feed(cd, [30] * 80)
    assert cd.n == 50 and cd.full
    cd.reset()
    assert cd.n == 0 and cd.median_lag(1) == 63  # no history left


def test_portable_and_fast_versions_agree():
    rng = Lcg(21)
    codes = array("h", [0] * 300)
    pre_a = array("i", [0] * 301)
    pre_b = array("i", [0] * 301)
    out_a = array("i", (0, 0))
    out_b = array("i", (0, 0))
    if sys.implementation.name == "micropython":
        from puckcore.changepoint_viper import best_split_viper, clip_prefix_viper
    else:
        best_split_viper, clip_prefix_viper = best_split, clip_prefix
    for trial in range(20):
        step = (rng.next() >> 8) % 300
        for i in range(300):
            base = 900 if i < step else 1000
            codes[i] = base + (rng.next() >> 8) % 121 - 60
        s_a = clip_prefix(codes, 300, 880, 1020, pre_a)
        s_b = clip_prefix_viper(codes, 300, 880, 1020, pre_b)
        assert s_a == s_b and list(pre_a) == list(pre_b)
        best_split(pre_a, 0, 300, 20, out_a)
        best_split_viper(pre_b, 0, 300, 20, out_b)
        assert list(out_a) == list(out_b), (trial, list(out_a), list(out_b))
    # the whole detector, both ways
    a = _detector(True)
    b = _detector(False)
    for cd in (a, b):
        _feed(cd, [36] * 90 + [21] * 90 + [36] * 90, Lcg(4), jitter=3)
    assert _split(a) == _split(b)
    assert list(a.bounds) == list(b.bounds) and list(a.mean_q4) == list(b.mean_q4)

"""Front end: DC removal, level in 1/16 dBFS, zero crossings, and the viper twin's exact equality."""
import sys
from array import array

from fakes.signals import Lcg, noise_frame, tone_frame
from puckcore.frontend import FrontEnd, frame_stats


def _settle(fe, frame, n=40):
    for _ in range(n):
        fe.process(frame)


def test_full_scale_square_is_0_dbfs():
    f = array("h", [32767 if (i // 8) % 2 else -32767 for i in range(320)])
    fe = FrontEnd()
    _settle(fe, f)
    assert abs(fe.level_dbq) < 16, fe.level_dbq


def test_level_tracks_amplitude():
    fe = FrontEnd()
    _settle(fe, tone_frame(10000, 2))
    loud = fe.level_dbq
    _settle(fe, tone_frame(1000, 2))
    quiet = fe.level_dbq
    assert abs((loud - quiet) - 20 * 16) < 16, (loud, quiet)


def test_dc_is_removed():
    fe = FrontEnd()
    _settle(fe, tone_frame(1000, 2, dc=8000), 80)
    with_dc = fe.level_dbq
    fe2 = FrontEnd()
    _settle(fe2, tone_frame(1000, 2), 80)
    assert abs(with_dc - fe2.level_dbq) < 16


def test_zero_crossings_count_frequency():
    fe = FrontEnd()
    _settle(fe, tone_frame(8000, 4))  # 1 kHz: 20 cycles per 20 ms frame -> 40 crossings
    assert 38 <= fe.zc <= 41, fe.zc
    _settle(fe, tone_frame(8000, 1))  # 250 Hz -> 10 crossings
    assert 9 <= fe.zc <= 11, fe.zc


def test_high_band_level_rises_with_frequency():
    fe = FrontEnd()
    _settle(fe, tone_frame(8000, 1))
    low = fe.high_dbq - fe.level_dbq
    _settle(fe, tone_frame(8000, 16))
    high = fe.high_dbq - fe.level_dbq
    assert high > low + 10 * 16


def test_low_band_holds_low_tones_only():
    # the one-pole low-pass (about 160 Hz) keeps 250 Hz about 5.5 dB down, 2 kHz about 22 dB down
    fe = FrontEnd()
    _settle(fe, tone_frame(8000, 1))
    low = fe.low_dbq - fe.level_dbq
    _settle(fe, tone_frame(8000, 8))
    high = fe.low_dbq - fe.level_dbq
    assert -8 * 16 < low < -3 * 16 and high < -18 * 16, (low, high)
    fe.reset()
    assert fe.low_dbq == fe.p.floor_dbq and fe._out[5] == 65536


def test_silence_is_clamped():
    fe = FrontEnd()
    _settle(fe, array("h", [0] * 320))
    assert fe.level_dbq == fe.p.floor_dbq


def test_twin_gives_identical_sums():
    rng = Lcg(7)
    frames = [noise_frame(a, rng, dc) for a, dc in ((100, 0), (32767, 0), (3000, -2000), (1, 5))]
    frames.append(array("h", [32767, -32768] * 160))
    frames.append(tone_frame(30000, 3, noise=2000, rng=rng))
    fast = None
    if sys.implementation.name == "micropython":
        from puckcore.frontend_viper import frame_stats_viper as fast
    for f in frames:
        for dc in (0, -5000, 123, 32767, -32768):
            a = array("i", [0, 0, 0, 0, 0, 45536])
            frame_stats(f, 320, dc, a)
            assert a[1] < (1 << 30) and a[3] < (1 << 30) and a[4] < (1 << 30) and 0 < a[5] < 131072
            if fast is not None:
                b = array("i", [0, 0, 0, 0, 0, 45536])
                fast(f, 320, dc, b)
                assert list(a) == list(b), (list(a), list(b))

"""Integer log2 / dB conversions used by the detector."""
import math

from puckcore.levels import log2_q8, log2q8_to_dbq


def test_log2_exact_powers():
    for k in range(28):
        assert log2_q8(1 << k) == 256 * k


def test_log2_close_everywhere():
    for v in (1, 2, 3, 7, 100, 999, 12345, 65535, 320 * 32768, 10485759):
        err = log2_q8(v) / 256 - math.log2(v)
        assert abs(err) < 0.02, (v, err)


def test_log2_of_zero_is_zero():
    assert log2_q8(0) == 0


def test_db_per_octave():
    assert abs(log2q8_to_dbq(256) - 6.02 * 16) < 1
    assert log2q8_to_dbq(-256 * 10) < -60 * 16

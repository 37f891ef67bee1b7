"""i2s_convert: 32-bit I2S slots to int16, viper (MicroPython) and portable versions agree, clip."""
import sys
from array import array

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

import i2s_convert  # noqa: E402

WORDS = (0, 1 << 16, -(1 << 16), 0x7FFFFF00, -0x7FFFFF00, 12345678, -12345678, 0x00FF1234, -1, 1 << 13)


def _slots(words):
    b = bytearray(4 * len(words))
    for i, w in enumerate(words):
        w &= 0xFFFFFFFF
        for k in range(4):
            b[4 * i + k] = (w >> (8 * k)) & 0xFF
    return b


def _expected(w, shift):
    v = w >> shift
    return 32767 if v > 32767 else (-32768 if v < -32768 else v)


def test_both_versions_match_reference():
    src = _slots(WORDS)
    for fn in (i2s_convert.convert, i2s_convert.convert_py):
        for shift in (16, 14, 12, 8):
            dst = array("h", bytes(2 * len(WORDS)))
            fn(src, dst, len(WORDS), shift)
            assert list(dst) == [_expected(w, shift) for w in WORDS], (shift, list(dst))


def test_converts_a_full_frame_in_place():
    n = 320
    words = [((i * 7919) % 65536 - 32768) << 16 for i in range(n)]
    src = _slots(words)
    dst = array("h", bytes(2 * n))
    i2s_convert.convert(src, dst, n, 16)
    assert dst[0] == -32768 and dst[1] == 7919 - 32768
    assert list(dst) == [w >> 16 for w in words]

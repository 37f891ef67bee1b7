"""frontend — per-frame features of 16 kHz int16 audio: DC removal, level, zero crossings, tilt, low band.

One pass over the frame (`frame_stats`, with a viper twin in `frontend_viper` used on MicroPython)
gives integer sums; `FrontEnd.process` turns them into levels in 1/16 dB. Nothing is allocated per
frame: the sums land in a preallocated array('i') and the results in attributes.
"""
import sys
from array import array

from puckcore.detect_params import DetectParams
from puckcore.levels import log2_q8, log2q8_to_dbq


def frame_stats(buf, n, dc, out):
    """Portable version. buf: array('h'), n samples, dc: the DC estimate to remove.

    out[0] = sum of raw samples (for the next DC estimate)
    out[1] = sum |x - dc|                 (level)
    out[2] = zero crossings of x - dc     (a frequency proxy)
    out[3] = sum |x[i] - x[i-1]|          (first-difference level: the high band)
    out[4] = sum |lo|, lo a one-pole low-pass of x - dc (lo += (x - dc - lo) >> LOW_SHIFT, about
             160 Hz): the low band, where a laptop loudspeaker gives next to nothing (issue 15)
    out[5] = lo + 65536, in and out: the low-pass state carried from frame to frame (kept positive:
             the viper twin's 32-bit loads do not sign-extend on 64-bit ports)
    Every partial sum stays below 2**30 for n <= 320 int16 samples (|lo| < 65536).
    """
    s = 0
    a = 0
    z = 0
    h = 0
    lo = out[5] - 65536
    lsum = 0
    prev = buf[0]
    neg = prev < dc
    for i in range(n):
        x = buf[i]
        s += x
        d = x - dc
        lo += (d - lo) >> 4
        if lo < 0:
            lsum -= lo
        else:
            lsum += lo
        if d < 0:
            a -= d
            if not neg:
                z += 1
                neg = True
        else:
            a += d
            if neg:
                z += 1
                neg = False
        d = x - prev
        if d < 0:
            h -= d
        else:
            h += d
        prev = x
    out[0] = s
    out[1] = a
    out[2] = z
    out[3] = h
    out[4] = lsum
    out[5] = lo + 65536


if sys.implementation.name == "micropython":  # viper exists only there
    from puckcore.frontend_viper import frame_stats_viper as _stats
else:
    _stats = frame_stats


class FrontEnd:
    """Features of one 20 ms frame: `level_dbq`, `high_dbq` (first-difference level), `low_dbq`
    (below about 160 Hz), `zc`."""

    def __init__(self, params=DetectParams, fast=True):
        self.p = params
        self.n = params.frame_samples
        self._stats = _stats if fast else frame_stats
        self._out = array("i", (0, 0, 0, 0, 0, 0))
        # log2 of the sum of |x| at full scale over a frame: levels are dBFS of the mean |x|
        self._ref_l2 = log2_q8(self.n * 32768)
        self.reset()

    def reset(self):
        self.dc = 0
        self._out[5] = 65536  # lo = 0
        self.level_dbq = self.p.floor_dbq
        self.high_dbq = self.p.floor_dbq
        self.low_dbq = self.p.floor_dbq
        self.zc = 0

    def process(self, frame):
        out = self._out
        self._stats(frame, self.n, self.dc, out)
        # DC follows the frame mean (the frame mean is out[0] / n)
        mean = out[0] // self.n
        self.dc += (mean - self.dc) >> self.p.dc_shift
        floor = self.p.floor_dbq
        lv = log2q8_to_dbq(log2_q8(out[1]) - self._ref_l2)
        self.level_dbq = lv if lv > floor else floor
        hv = log2q8_to_dbq(log2_q8(out[3]) - self._ref_l2)
        self.high_dbq = hv if hv > floor else floor
        lv = log2q8_to_dbq(log2_q8(out[4]) - self._ref_l2)
        self.low_dbq = lv if lv > floor else floor
        self.zc = out[2]

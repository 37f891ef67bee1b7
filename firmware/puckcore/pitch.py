"""pitch — voicing strength of a frame: normalised autocorrelation peak at 4 kHz, lags 10-50 (80-400 Hz).

The frame is decimated by 4 (sum of 4 samples, DC removed) into a history of HIST = 130 samples
(the 80 new ones and 50 before them). Each lag's correlation of the newest 80 samples with the
80 samples `lag` earlier is divided by the mean of the two windows' energies, so a periodic signal
scores near 1 (256 in Q8) and noise near 0. The window is block-scaled first (a shift chosen from
its peak) so every product sum stays below 2**30. `decimate` and `acorr` have viper twins in
`pitch_viper` (used on MicroPython; tests check they agree exactly).
"""
import sys
from array import array

WIN = 80
LAG_MIN = 10
LAG_MAX = 50
HIST = WIN + LAG_MAX  # 130


def decimate(frame, n, dc, hist):
    """Shift hist left by n//4 and append the new decimated samples (sum of 4, minus 4*dc), clamped
    to int16. Returns the peak |value| over the whole history."""
    m = n >> 2
    keep = HIST - m
    for i in range(keep):
        hist[i] = hist[i + m]
    j = 0
    for i in range(keep, HIST):
        v = frame[j] + frame[j + 1] + frame[j + 2] + frame[j + 3] - 4 * dc
        if v > 32767:
            v = 32767
        elif v < -32767:
            v = -32767
        hist[i] = v
        j += 4
    peak = 0
    for i in range(HIST):
        v = hist[i]
        if v < 0:
            v = -v
        if v > peak:
            peak = v
    return peak


def acorr(hist, shift, out):
    """out[0] = best correlation (Q8, 0..256), out[1] = its lag. Values are hist >> shift."""
    base = HIST - WIN
    e0 = 0
    for i in range(base, HIST):
        v = hist[i] >> shift
        e0 += v * v
    best = 0
    blag = 0
    if e0 > 0:
        # energy of the window `lag` back, updated incrementally as the lag grows
        el = 0
        for i in range(base - LAG_MIN, HIST - LAG_MIN):
            v = hist[i] >> shift
            el += v * v
        lag = LAG_MIN
        while lag <= LAG_MAX:
            r = 0
            k = base - lag
            for i in range(base, HIST):
                r += (hist[i] >> shift) * (hist[k] >> shift)
                k += 1
            if r > 0:
                den = (e0 + el) >> 1
                # r / den in Q8 without leaving 2**30: scale the denominator rather than r
                q = r // ((den >> 8) + 1) if den > (1 << 21) else (r << 8) // (den + 1)
                if q > best:
                    best = q
                    blag = lag
            # next lag: the back window moves one sample earlier
            if lag < LAG_MAX:
                v = hist[base - lag - 1] >> shift
                el += v * v
                v = hist[HIST - lag - 1] >> shift
                el -= v * v
            lag += 1
    if best > 256:
        best = 256
    out[0] = best
    out[1] = blag


def block_shift(peak):
    """Right shift that brings `peak` below 2048, so 80 products stay under 2**29."""
    s = 0
    while (peak >> s) >= 2048:
        s += 1
    return s


if sys.implementation.name == "micropython":
    from puckcore.pitch_viper import acorr_viper as _acorr, decimate_viper as _decimate
else:
    _acorr = acorr
    _decimate = decimate


class Voicing:
    """Per-frame voicing strength `voicing_q8` (0..256) and `lag` (at 4 kHz) of the best peak."""

    def __init__(self, fast=True):
        self.hist = array("h", [0] * HIST)
        self._out = array("i", (0, 0))
        self._acorr = _acorr if fast else acorr
        self._decimate = _decimate if fast else decimate
        self.voicing_q8 = 0
        self.lag = 0

    def reset(self):
        for i in range(HIST):
            self.hist[i] = 0
        self.voicing_q8 = 0
        self.lag = 0

    def process(self, frame, n, dc):
        peak = self._decimate(frame, n, dc, self.hist)
        self._acorr(self.hist, block_shift(peak), self._out)
        self.voicing_q8 = self._out[0]
        self.lag = self._out[1]

"""signals — constructed test audio as array('h') frames: silence, noise, tones, 'speech' bursts.

Deterministic (a fixed LCG) and float-free per sample after set-up, so it runs the same under
CPython, the device-limits harness and MicroPython.
"""
import math
from array import array

N = 320


class Lcg:
    def __init__(self, seed=12345):
        self.s = seed

    def next(self):
        # 31-bit LCG; the product is reduced with a mask (tests may run with big ints on CPython)
        self.s = (self.s * 1103515245 + 12345) & 0x7FFFFFFF
        return self.s


def noise_frame(amp, rng, dc=0):
    """Uniform white noise of peak `amp` around `dc`."""
    f = array("h", [0] * N)
    for i in range(N):
        f[i] = dc + ((rng.next() >> 8) % (2 * amp + 1)) - amp
    return f


_SIN = [int(32767 * math.sin(2 * math.pi * k / 64)) for k in range(64)]


def tone_frame(amp, cycles_per_64, phase=0, noise=0, rng=None, dc=0):
    """A sine of amplitude `amp` at cycles_per_64 * 250 Hz, plus optional white noise."""
    f = array("h", [0] * N)
    for i in range(N):
        v = dc + _SIN[(phase + i * cycles_per_64) % 64] * amp // 32767
        if noise:
            v += ((rng.next() >> 8) % (2 * noise + 1)) - noise
        f[i] = max(-32768, min(32767, v))
    return f


def voiced_frame(amp, rng, noise=0, k=0):
    """A crude vowel: a 125 Hz pulse train shaped by a decaying 750 Hz ring, plus noise."""
    f = array("h", [0] * N)
    for i in range(N):
        j = (k * N + i) % 128  # 125 Hz period
        v = _SIN[(j * 3) % 64] * amp // 32767
        v = v * (128 - j) // 128
        if noise:
            v += ((rng.next() >> 8) % (2 * noise + 1)) - noise
        f[i] = max(-32768, min(32767, v))
    return f

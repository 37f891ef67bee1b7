"""Voicing: periodic signals score high at the right lag, noise low; viper twins agree exactly."""
import sys
from array import array

from fakes.signals import Lcg, noise_frame, tone_frame, voiced_frame
from puckcore.pitch import HIST, Voicing, acorr, block_shift, decimate


def _settle(v, frames):
    for f in frames:
        v.process(f, 320, 0)


def test_tone_is_voiced_at_its_period():
    v = Voicing()
    _settle(v, [tone_frame(8000, 1, phase=k * 5 * 64 % 64) for k in range(3)])  # 250 Hz
    assert v.voicing_q8 > 220, v.voicing_q8
    assert v.lag in (16, 32, 48), v.lag  # 4 kHz / 250 Hz = 16 samples (or a multiple)


def test_pulse_train_is_voiced():
    rng = Lcg(3)
    v = Voicing()
    _settle(v, [voiced_frame(8000, rng, noise=200, k=k) for k in range(3)])
    assert v.voicing_q8 > 180, v.voicing_q8
    assert v.lag == 32, v.lag  # 125 Hz


def test_noise_is_not_voiced():
    rng = Lcg(5)
    v = Voicing()
    vals = []
    for _ in range(10):
        v.process(noise_frame(8000, rng), 320, 0)
        vals.append(v.voicing_q8)
    assert max(vals[2:]) < 110, vals


def test_silence_is_zero():
    v = Voicing()
    _settle(v, [array("h", [0] * 320)] * 3)
    assert v.voicing_q8 == 0


def test_block_shift_bounds():
    assert block_shift(0) == 0
    assert block_shift(2047) == 0
    assert block_shift(2048) == 1
    assert (32767 >> block_shift(32767)) < 2048


def test_twins_identical():
    if sys.implementation.name != "micropython":
        return
    from puckcore.pitch_viper import acorr_viper, decimate_viper

    rng = Lcg(9)
    frames = [noise_frame(a, rng, dc) for a, dc in ((30000, 0), (50, 3), (2000, -1500))]
    frames += [voiced_frame(20000, rng, 500, k) for k in range(3)]
    frames += [array("h", [32767] * 320), array("h", [-32768, 32767] * 160), tone_frame(32000, 5)]
    h1 = array("h", [0] * HIST)
    h2 = array("h", [0] * HIST)
    o1 = array("i", [0, 0])
    o2 = array("i", [0, 0])
    for f in frames:
        for dc in (0, 700, -32768):
            p1 = decimate(f, 320, dc, h1)
            p2 = decimate_viper(f, 320, dc, h2)
            assert p1 == p2 and list(h1) == list(h2)
            s = block_shift(p1)
            acorr(h1, s, o1)
            acorr_viper(h2, s, o2)
            assert list(o1) == list(o2), (list(o1), list(o2))

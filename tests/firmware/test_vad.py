"""VAD stage: noise floor follows the room, voiced loud frames are speech, hangover, absolute minimum."""
from puckcore.detect_params import DBQ, DetectParams
from puckcore.vad import Vad

NOISE = (-50, 40, 0)  # level dB, zero crossings, voicing (Q8): a steady unvoiced room
VOICE = (-25, 25, 230)  # a loud voiced frame


def _run(v, n, level_db, zc, voicing, tilt_db=-6):
    out = []
    for _ in range(n):
        out.append(v.process(level_db * DBQ, (level_db + tilt_db) * DBQ, zc, voicing))
    return out


def test_steady_noise_is_not_speech():
    v = Vad()
    assert not any(_run(v, 300, *NOISE)[50:])
    assert abs(v.noise_dbq - (-50 * DBQ + DetectParams.noise_bias_dbq)) <= DBQ


def test_loud_voiced_burst_is_speech_with_hangover():
    v = Vad()
    _run(v, 200, *NOISE)
    burst = _run(v, 25, *VOICE)
    assert all(burst[3:]), burst
    tail = _run(v, 60, *NOISE)
    h = DetectParams.hangover_frames
    assert all(tail[:h]) and not any(tail[h + 20 :])


def test_floor_follows_a_louder_room():
    v = Vad()
    _run(v, 200, -70, 40, 0)
    frames = DetectParams.noise_block_frames * (DetectParams.noise_blocks + 1)
    _run(v, frames, -45, 40, 0)
    assert abs(v.noise_dbq - (-45 * DBQ + DetectParams.noise_bias_dbq)) <= DBQ


def test_floor_falls_at_once():
    v = Vad()
    _run(v, 200, -40, 40, 0)
    _run(v, 5, -70, 40, 0)
    assert v.noise_dbq <= -68 * DBQ


def test_never_speech_below_absolute_minimum():
    v = Vad()
    _run(v, 100, -100, 40, 0)
    assert not any(_run(v, 20, (DetectParams.speech_min_dbq // DBQ) - 2, 25, 230))


def test_features_stay_in_range():
    v = Vad()
    _run(v, 100, -100, 0, 0)
    _run(v, 30, 0, 320, 256, tilt_db=40)
    x = v.x
    assert x[0] <= 800 and x[2] <= 12000 and x[7] <= 256 and x[8] <= 400 and x[10] <= 1600

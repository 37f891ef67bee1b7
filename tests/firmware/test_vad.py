"""VAD stage: noise floor follows the room, speech needs to clear it, hysteresis and hangover."""
from puckcore.detect_params import DBQ, DetectParams
from puckcore.vad import Vad


def _run(v, level_db, n):
    out = []
    for _ in range(n):
        out.append(v.process(level_db * DBQ))
    return out


def test_steady_noise_is_not_speech():
    v = Vad()
    assert not any(_run(v, -50, 300)[50:])
    assert abs(v.noise_dbq - (-50 + 1) * DBQ) <= DBQ


def test_loud_burst_is_speech_with_hangover():
    v = Vad()
    _run(v, -60, 200)
    assert all(_run(v, -40, 20))
    tail = _run(v, -60, 30)
    h = DetectParams.hangover_frames
    assert all(tail[:h]) and not any(tail[h:])


def test_floor_follows_a_louder_room():
    v = Vad()
    _run(v, -70, 200)
    frames = DetectParams.noise_block_frames * (DetectParams.noise_blocks + 1)
    res = _run(v, -45, frames + 50)
    assert not any(res[-50:])  # the new, louder room has become the floor


def test_floor_falls_at_once():
    v = Vad()
    _run(v, -40, 200)
    _run(v, -70, 5)
    assert v.noise_dbq <= -68 * DBQ


def test_never_speech_below_absolute_minimum():
    v = Vad()
    _run(v, -100, 100)
    assert not any(_run(v, -80, 20))


def test_hysteresis_keeps_a_dipping_talker():
    v = Vad()
    _run(v, -60, 200)
    _run(v, -40, 5)
    lvl = -60 + 1 + (DetectParams.speech_off_dbq + DetectParams.speech_on_dbq) // (2 * DBQ)
    assert all(_run(v, lvl, 20))

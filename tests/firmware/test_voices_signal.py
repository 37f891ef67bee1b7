"""fakes.voices: deterministic synthetic talkers the detector hears as speech, apart in pitch and timbre.

The conversation test feeds A 4 s, silence 1.5 s, B 4 s, silence 1.5 s, A 4 s through TurnDetector
and checks one turn per talk and none in the silences; Voicing's lag and the front end's tilt and
zero crossings tell the two voices apart.
"""
import sys

from fakes.clock import FakeClock
from fakes.voices import Voice, conversation
from puckcore.detector import EV_TURN_END, EV_TURN_START, TurnDetector
from puckcore.ticks import ticks_diff

LOW = (105, 0.95, 0.6)  # f0_hz, tract, tilt: a low, dark voice
HIGH = (215, 1.2, -0.5)  # a high, bright voice


def _low(seed=1):
    return Voice(LOW[0], tract=LOW[1], tilt=LOW[2], seed=seed)


def _high(seed=2):
    return Voice(HIGH[0], tract=HIGH[1], tilt=HIGH[2], seed=seed)


def _hash(frames):
    h = 0
    for f in frames:
        for x in f:
            h = (h * 31 + x) & 0xFFFFFF
    return h


def _median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


# --- one detector pass over the conversation, shared by the tests below ---------------------------
_RUN = []


def _run():
    """A 4 s, silence 1.5 s, B 4 s, silence 1.5 s, A 4 s through TurnDetector. Returns (segs,
    events with times in ms from the first frame, per-frame (voicing_q8, lag, level_dbq, high_dbq, zc))."""
    if _RUN:
        return _RUN[0]
    a = _low()
    b = _high()
    frames, segs = conversation([(a, 4), (None, 1.5), (b, 4), (None, 1.5), (a, 4)], noise_amp=300, seed=7)
    det = TurnDetector()
    c = FakeClock()
    t0 = c.now_ms()
    events = []
    feats = []

    def drain():
        ev = det.pop_event()
        while ev is not None:
            if ev[0] == EV_TURN_START:
                events.append((EV_TURN_START, ticks_diff(ev[1], t0), ev[2]))
            elif ev[0] == EV_TURN_END:
                events.append((EV_TURN_END, ticks_diff(ev[1], t0), ticks_diff(ev[2], t0)) + ev[3:])
            ev = det.pop_event()

    for f in frames:
        det.feed(f, c.now_ms())
        c.advance(20)
        fe = det.frontend
        feats.append((det.voicing.voicing_q8, det.voicing.lag, fe.level_dbq, fe.high_dbq, fe.zc))
        drain()
    det.flush(c.now_ms())
    drain()
    _RUN.append((segs, events, feats))
    return _RUN[0]


def _frames_of(feats, seg):
    """Features of the frames inside a reference segment, 200 ms in from each edge."""
    return feats[int(seg[0] * 50 + 0.5) + 10:int(seg[1] * 50 + 0.5) - 10]


# --- tests -----------------------------------------------------------------------------------------
def test_same_seed_same_samples():
    f1 = _low(5).frames(30)
    f2 = _low(5).frames(30)
    assert len(f1) == 30 and all(len(f) == 320 for f in f1)
    assert [list(f) for f in f1] == [list(f) for f in f2]
    assert _hash(_low(6).frames(30)) != _hash(f1)
    # the talk goes on across calls: 10 + 20 frames are the same as 30 at once
    v = _low(5)
    assert [list(f) for f in v.frames(10) + v.frames(20)] == [list(f) for f in f1]


def test_same_samples_on_every_platform():
    # fixed checksums: CPython, the device-limits harness and MicroPython make the same audio
    assert _hash(_low(1).frames(50)) == 10851743, _hash(_low(1).frames(50))
    assert _hash(_high(2).frames(50)) == 3535405, _hash(_high(2).frames(50))


def test_ints_stay_within_device_limits():
    """Load voices.py through the device-limits rewrite (every int result checked against
    +-2**30) and check it makes exactly the same frames, overlap and room noise included."""
    if sys.implementation.name == "micropython":
        return  # the rewrite is CPython's; MicroPython runs the checksums above
    import importlib.util
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        import device_limits
    except ImportError:
        sys.path.insert(0, os.path.join(here, "..", "harness"))
        import device_limits
    path = os.path.join(here, "..", "fakes", "voices.py")
    loader = device_limits._Loader(path)
    spec = importlib.util.spec_from_file_location("voices_device_limits", path, loader=loader)
    checked = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checked)

    def talk(mod):
        a = mod.Voice(LOW[0], tract=LOW[1], tilt=LOW[2], seed=1)
        b = mod.Voice(HIGH[0], tract=HIGH[1], tilt=HIGH[2], seed=2)
        c = mod.Voice(400, tract=1.3, tilt=-0.95, amp=16000, seed=3, breath=0.3)  # the most headroom used
        return mod.conversation([(a, 2), ((a, b), 1), (None, 0.5), (b, 2), (c, 2)], noise_amp=2000)

    frames, segs = talk(checked)
    ref_frames, ref_segs = talk(sys.modules[Voice.__module__])
    assert segs == ref_segs
    assert [list(f) for f in frames] == [list(f) for f in ref_frames]


def test_conversation_segments():
    a = _low()
    b = _high()
    frames, segs = conversation([(a, 1), ((a, b), 0.5), (b, 1), (None, 0.52), (a, 0.3)], noise_amp=0)
    assert len(frames) == 50 + 25 + 50 + 26 + 15
    want = [(0.0, 1.5, 0), (1.0, 2.5, 1), (3.02, 3.32, 0)]
    assert len(segs) == 3
    for s, w in zip(segs, want):
        assert abs(s[0] - w[0]) < 1e-9 and abs(s[1] - w[1]) < 1e-9 and s[2] == w[2], segs
    assert all(x == 0 for f in frames[125:151] for x in f)  # silence without room noise is digital zero
    _, segs = conversation([(b, 0.2), (a, 0.2)], voices=[a, b])
    assert [s[2] for s in segs] == [1, 0]


def test_conversation_turns_match_the_talk():
    segs, events, _ = _run()
    assert [s[2] for s in segs] == [0, 1, 0]
    # A detector that tells voices apart may report one turn as several EV_TURN_END pieces, back to
    # back: join pieces less than 0.5 s apart into the turns the talker took.
    turns = []
    for e in events:
        if e[0] != EV_TURN_END:
            continue
        assert e[3] >= 1 and 0 <= e[4] <= 100, e  # a voice, a confidence
        assert -35 <= e[5] <= -15, e  # about -25 dBFS
        if turns and e[1] - turns[-1][1] < 500:
            turns[-1][1] = e[2]
        else:
            turns.append([e[1], e[2]])
    assert len(turns) == 3, events  # one turn per talk, none in the silences
    hang = TurnDetector().p.hangover_frames * 20
    for seg, t in zip(segs, turns):
        assert -200 <= t[0] - int(seg[0] * 1000) <= 300, (seg, t)
        assert -300 <= t[1] - int(seg[1] * 1000) <= hang + 300, (seg, t)
    for e in events:  # every start falls in a talk
        if e[0] == EV_TURN_START:
            assert any(s[0] * 1000 - 200 <= e[1] <= s[1] * 1000 for s in segs), (e, segs)
    assert events[0][0] == EV_TURN_START and events[-1][0] == EV_TURN_END


def test_voices_differ_in_pitch():
    segs, _, feats = _run()
    lags = []
    for seg in segs[:2]:
        voiced = [f[1] for f in _frames_of(feats, seg) if f[0] >= 150]
        assert len(voiced) >= 100, len(voiced)  # most of a 4 s talk is voiced
        lags.append(_median(voiced))
    lag_a, lag_b = lags
    # Voicing works at 4 kHz: lag = 4000 / f0
    assert abs(lag_a * LOW[0] - 4000) <= 400, lag_a
    assert abs(lag_b * HIGH[0] - 4000) <= 400, lag_b
    assert (lag_a - lag_b) * 10 > 3 * lag_a, lags  # more than 30 % apart


def test_voices_differ_in_timbre():
    # the high voice is brighter: more first-difference level against the level, more zero crossings
    segs, _, feats = _run()
    tilt = []
    zc = []
    for seg in segs[:2]:
        loud = [f for f in _frames_of(feats, seg) if f[2] > -30 * 16]
        tilt.append(_median([f[3] - f[2] for f in loud]))
        zc.append(_median([f[4] for f in loud]))
    assert tilt[1] - tilt[0] >= 2 * 16, tilt  # 1/16 dB
    assert zc[1] > zc[0] + 4, zc


def test_bad_voice_is_refused():
    for kw in ({"f0_hz": 30}, {"f0_hz": 500}, {"f0_hz": 120, "tilt": 1.0}, {"f0_hz": 120, "amp": 20000}):
        try:
            Voice(**kw)
        except ValueError as e:
            assert "must be within" in str(e)
        else:
            assert False, kw


def test_three_voices_apart_in_pitch():
    mid = Voice(150, tract=1.08, tilt=0.0, seed=3)
    frames, _ = conversation([(mid, 2)], noise_amp=300)
    det = TurnDetector()
    lags = []
    for k, f in enumerate(frames):
        det.feed(f, k * 20)
        if k >= 10 and det.voicing.voicing_q8 >= 150:
            lags.append(det.voicing.lag)
    assert abs(_median(lags) * 150 - 4000) <= 400, _median(lags)  # between the low (38) and high (19)

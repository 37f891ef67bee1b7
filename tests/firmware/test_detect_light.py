"""The light detector configuration (Pico W, detect_light.py): the same turns as the full detector,
every one voice 1, no pitch codes kept, no remote cue fed."""
from fakes.clock import FakeClock
from fakes.voices import Voice, conversation
from puckcore.detect_light import LightParams
from puckcore.detector import EV_SUMMARY, EV_TURN_END, EV_TURN_START, TurnDetector


def _events(det):
    a = Voice(105, tract=0.95, tilt=0.6, seed=1)
    b = Voice(215, tract=1.2, tilt=-0.5, seed=2)
    frames, _ = conversation([(a, 4), (None, 1.5), (b, 4), (None, 1.5), (a, 3)], noise_amp=300, seed=7)
    c = FakeClock()
    out = []
    kept = 0
    for f in frames:
        det.feed(f, c.now_ms())
        c.advance(20)
        kept = max(kept, det.changes.n)
        ev = det.pop_event()
        while ev is not None:
            out.append(ev)
            ev = det.pop_event()
    det.flush(c.now_ms())
    ev = det.pop_event()
    while ev is not None:
        out.append(ev)
        ev = det.pop_event()
    return out, kept


def test_light_configuration_keeps_the_turns_and_drops_the_voices():
    full, kept_full = _events(TurnDetector())
    light_det = TurnDetector(params=LightParams)
    assert not light_det.voices_on and TurnDetector().voices_on
    light, kept_light = _events(light_det)
    assert kept_full > 0 and kept_light == 0  # no pitch code stored per voiced frame
    ends_full = [e for e in full if e[0] == EV_TURN_END]
    ends_light = [e for e in light if e[0] == EV_TURN_END]
    assert len(ends_light) == 3, light
    assert set(e[3] for e in ends_light) == {1}  # every turn is voice 1
    assert len(set(e[3] for e in ends_full)) == 2  # the full detector tells the two apart
    # the same turn times: the VAD and segmenter are the same
    assert [(e[1], e[2], e[5]) for e in ends_light] == [(e[1], e[2], e[5]) for e in ends_full]
    assert [e[0] for e in light if e[0] != EV_SUMMARY] == [EV_TURN_START, EV_TURN_END] * 3
    assert light_det.remote.sums[1] == 0  # the remote cue was never fed

"""TurnDetector contract: events from constructed audio, bounded queue, summaries, no allocation."""
import gc
import sys
from array import array

from fakes.clock import FakeClock
from fakes.signals import Lcg, noise_frame, voiced_frame
from puckcore.detector import EV_SUMMARY, EV_TURN_END, EV_TURN_START, TurnDetector
from puckcore.ticks import ticks_add, ticks_diff


def _frames(rng):
    """4 s room noise, 2 s speech, 2 s noise, 1.5 s speech, 3 s noise (20 ms frames)."""
    plan = [(0, 200), (1, 100), (0, 100), (1, 75), (0, 150)]
    k = 0
    for speech, n in plan:
        for _ in range(n):
            yield voiced_frame(6000, rng, noise=300, k=k) if speech else noise_frame(300, rng)
            k += 1


def _run(det, clock, frames):
    events = []
    for f in frames:
        det.feed(f, clock.now_ms())
        clock.advance(20)
        ev = det.pop_event()
        while ev is not None:
            events.append(ev)
            ev = det.pop_event()
    return events


def test_two_turns_from_noise_and_voice():
    det = TurnDetector()
    c = FakeClock()
    t0 = c.now_ms()
    ev = _run(det, c, _frames(Lcg(1)))
    kinds = [e[0] for e in ev]
    assert kinds == [EV_TURN_START, EV_TURN_END, EV_TURN_START, EV_TURN_END], ev
    end1 = ev[1]
    assert abs(ticks_diff(end1[1], t0) - 4000) <= 100
    late = ticks_diff(end1[2], t0) - 6000  # the end includes the hangover
    assert -100 <= late <= det.p.hangover_frames * 20 + 300, late
    assert end1[3] == 1 and 0 <= end1[4] <= 100
    assert -40 <= end1[5] <= -10  # 6000 peak voiced frames: about -20 dBFS
    assert not det.talking and det.voice == 0


def test_talking_and_voice_attributes():
    det = TurnDetector()
    c = FakeClock()
    rng = Lcg(2)
    _run(det, c, [noise_frame(300, rng) for _ in range(100)])
    assert not det.talking and det.voice == 0
    _run(det, c, [voiced_frame(6000, rng, 300, k) for k in range(20)])
    assert det.talking and det.voice == 1


def test_summary_every_period():
    det = TurnDetector(summary_ms=2000)
    c = FakeClock()
    ev = _run(det, c, _frames(Lcg(3)))
    sums = [e for e in ev if e[0] == EV_SUMMARY]
    assert len(sums) == 6  # 12.5 s of audio
    total = 0
    for s in sums:
        assert ticks_diff(s[2], s[1]) == 2000
        assert 0 <= s[3] <= 2000
        total += s[3]
    assert 3000 <= total <= 4500, total
    assert sum(s[4] for s in sums) == 2
    assert all(-52 <= s[6] <= -44 for s in sums), sums  # uniform noise of peak 300: -47 dBFS


def test_queue_drops_oldest():
    det = TurnDetector(summary_ms=20)
    c = FakeClock()
    f = array("h", [0] * 320)
    for _ in range(det.p.queue_len + 5):
        det.feed(f, c.now_ms())
        c.advance(20)
    assert det.dropped == 5
    first = det.pop_event()
    assert first[0] == EV_SUMMARY and ticks_diff(first[2], first[1]) == 20
    n = 1
    while det.pop_event() is not None:
        n += 1
    assert n == det.p.queue_len


def test_no_allocation_per_frame():
    if sys.implementation.name != "micropython":
        return  # gc.mem_alloc exists only there
    det = TurnDetector()
    c = FakeClock()
    rng = Lcg(4)
    quiet = [noise_frame(300, rng) for _ in range(4)]
    loud = [voiced_frame(6000, rng, 300, k) for k in range(4)]
    for i in range(300):  # warm up
        det.feed(quiet[i % 4], c.now_ms())
        c.advance(20)
    while det.pop_event() is not None:
        pass
    gc.collect()
    checked = 0
    for i in range(48):  # noise, then a turn starting: frames without an event allocate nothing
        f = quiet[i % 4] if i < 40 else loud[i % 4]
        before = gc.mem_alloc()
        k = det.feed(f, c.now_ms())
        after = gc.mem_alloc()
        c.advance(20)
        if k == 0:
            assert after == before, (i, after - before)
            checked += 1
        while det.pop_event() is not None:
            pass
    assert checked >= 40


# --- voices (issue 4): two synthetic talkers of different pitch and timbre -------------------------
def _voice_turns(script):
    from fakes.voices import Voice, conversation

    low = Voice(105, tract=0.95, tilt=0.6, seed=1)
    high = Voice(215, tract=1.2, tilt=-0.5, seed=2)
    frames, segs = conversation([((low if who == "A" else high) if who else None, s) for who, s in script],
                                noise_amp=150, seed=3)
    det = TurnDetector()
    t0 = (1 << 30) - 5000  # across the tick wrap
    now = t0
    ends = []

    def drain():
        ev = det.pop_event()
        while ev is not None:
            if ev[0] == EV_TURN_END:
                ends.append((ticks_diff(ev[1], t0), ticks_diff(ev[2], t0), ev[3], ev[4]))
            ev = det.pop_event()

    for f in frames:
        if det.feed(f, now):
            drain()
        now = ticks_add(now, 20)
    det.flush(now)
    drain()
    return ends, det


def _voice_at(ends, t_ms):
    for s, e, v, _ in ends:
        if s <= t_ms < e:
            return v
    return 0


def test_two_synthetic_voices_come_out_as_two_voices():
    ends, det = _voice_turns([("A", 4), (None, 1.5), ("B", 4), (None, 1.5), ("A", 4), (None, 1.5), ("B", 4)])
    mids = [2000, 7500, 13000, 18500]  # the middle of each talk
    got = [_voice_at(ends, t) for t in mids]
    assert got[0] == got[2] and got[1] == got[3] and got[0] != got[1] and 0 not in got, (got, ends)
    assert det.voices.n == 2
    assert all(0 <= c <= 100 for _, _, _, c in ends)


def test_reset_voices_restarts_ids_and_forgets():
    ends, det = _voice_turns([("B", 4), (None, 1.5), ("A", 4), (None, 1.5)])
    assert det.voices.n == 2 and det.last_voice == 2
    assert det.vec is None or max(det.vec.store) > 0
    det.reset_voices()
    assert det.voices.n == 0 and det.last_voice == 0 and det.changes.n == 0
    assert list(det.voices.centre) == [0] * len(det.voices.centre)
    if det.vec is not None:  # the voice vector's per-frame values go with the session too (docs/privacy.md)
        assert max(det.vec.store) == 0 and min(det.vec.store) == 0


def test_pieces_of_one_turn_carry_cont():
    """A turn reported in pieces (here a monologue longer than the pitch buffer, cut when it is full)
    says so: every piece after the first continues the one before (evt/turn.cont), so the host does
    not count it as a cut-in; the turn after a pause starts afresh."""
    from fakes.voices import Voice, conversation

    low = Voice(105, tract=0.95, tilt=0.6, seed=1)
    high = Voice(215, tract=1.2, tilt=-0.5, seed=2)
    from puckcore.detect_params import DetectParams

    class ShortBuffer(DetectParams):
        voice_buf_frames = 250  # 5 s of voiced talk, so a short monologue is cut (the puck: 20 s)

    frames, _ = conversation([(low, 8), (None, 3), (high, 2), (None, 3)], noise_amp=150, seed=3)
    det = TurnDetector(params=ShortBuffer)
    now = 1000
    ends = []
    for f in frames:
        if det.feed(f, now):
            ev = det.pop_event()
            while ev is not None:
                if ev[0] == EV_TURN_END:
                    ends.append(ev)
                ev = det.pop_event()
        now = ticks_add(now, 20)
    assert all(len(e) == 7 and e[6] in (0, 1) for e in ends), ends
    assert ends[0][6] == 0 and ends[-1][6] == 0, "a turn's first piece, and the turn after the pause"
    assert [e[6] for e in ends].count(1) >= 1, ends
    for a, b in zip(ends, ends[1:]):
        if b[6] == 1:
            assert b[1] == a[2], "a continuing piece starts where the one before ended"

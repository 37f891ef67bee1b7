"""Turn segmentation: minimum turn length, gap to end, pre-roll, flush, wrap-safe times."""
from fakes.clock import FakeClock
from puckcore.detect_params import DetectParams
from puckcore.ticks import ticks_diff
from puckcore.turns import TurnSegmenter

P = DetectParams


def _feed(seg, clock, pattern):
    events = []
    for s in pattern:
        t = clock.now_ms()
        if seg.process(s, s, -30 * 16, 20 * 16, t):
            events.append(("start" if seg.started else "end", seg.start_ms, seg.end_ms))
        clock.advance(P.frame_ms)
    return events


def test_short_burst_is_no_turn():
    seg = TurnSegmenter()
    c = FakeClock()
    n = P.turn_min_ms // P.frame_ms - 1
    assert _feed(seg, c, [True] * n + [False] * 50) == []


def test_turn_start_and_end_times():
    seg = TurnSegmenter()
    c = FakeClock()
    t0 = c.now_ms()
    ev = _feed(seg, c, [False] * 10 + [True] * 50 + [False] * (P.turn_gap_ms // P.frame_ms + 5))
    assert [e[0] for e in ev] == ["start", "end"]
    assert ticks_diff(ev[1][1], t0) == 200 - P.preroll_ms
    assert ticks_diff(ev[1][2], t0) == 1200
    assert seg.level_dbq == -30 * 16


def test_short_gap_does_not_split():
    seg = TurnSegmenter()
    c = FakeClock()
    gap = P.turn_gap_ms // P.frame_ms - 1
    ev = _feed(seg, c, [True] * 20 + [False] * gap + [True] * 20 + [False] * (P.turn_gap_ms // P.frame_ms + 5))
    assert [e[0] for e in ev] == ["start", "end"]


def test_long_gap_splits():
    seg = TurnSegmenter()
    c = FakeClock()
    gap = P.turn_gap_ms // P.frame_ms
    ev = _feed(seg, c, [True] * 20 + [False] * gap + [True] * 20 + [False] * (P.turn_gap_ms // P.frame_ms + 5))
    assert [e[0] for e in ev] == ["start", "end", "start", "end"]


def test_flush_ends_open_turn():
    seg = TurnSegmenter()
    c = FakeClock()
    _feed(seg, c, [True] * 20)
    assert seg.flush() and seg.ended
    assert not seg.flush()

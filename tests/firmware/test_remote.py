"""remote: the per-voice loudspeaker cue (low band and level spread over voiced frames), its viper
twin, the learned decision's rules, and the detector keeping it per voice for the session only."""
import sys
from array import array

from fakes.clock import FakeClock
from fakes.voices import Voice, conversation
from puckcore.detector import TurnDetector
from puckcore.remote import BINS, DEV_CAP, LEVEL_OFFSET_DB, LOW_OFFSET_DB, NS, RemoteCue, accumulate, low_sum


class Model:
    REMOTE_W = (0, -16, 0)  # remote when p90 - p50 < 4 dB (compressed)
    REMOTE_B = 63
    REMOTE_MIN_FRAMES = 10


def test_twin_gives_identical_sums():
    lvl = bytearray((i * 7) % BINS for i in range(500))
    low = bytearray((i * 13) % 128 for i in range(500))
    fast = None
    if sys.implementation.name == "micropython":
        from puckcore.remote_viper import accumulate_viper as fast
    for a, b, j in ((0, 500, 0), (17, 230, 1), (499, 500, 2), (5, 5, 3)):
        h1 = array("i", [3] * (4 * BINS))
        s1 = array("i", [11, 2, 5] + [0] * (4 * NS - 3))
        accumulate(lvl, low, a, b, h1, j * BINS, s1, NS * j)
        assert sum(h1) == 3 * 4 * BINS + (b - a) and s1[NS * j + 1] == (2 if j == 0 else 0) + (b - a)
        if fast is not None:
            h2 = array("i", [3] * (4 * BINS))
            s2 = array("i", [11, 2, 5] + [0] * (4 * NS - 3))
            fast(lvl, low, a, b, h2, j * BINS, s2, NS * j)
            assert list(h1) == list(h2) and list(s1) == list(s2)


def test_piece_spread_is_the_capped_deviation_within_each_piece():
    # two pieces at very different levels, each flat: the histogram spreads are wide, the piece
    # spread is zero; a piece alternating +-2 dB has a piece spread of 2 dB (32 in Q4)
    cue = RemoteCue(1, 100, Model)
    for i in range(50):
        cue.add(i, (-20 if i < 25 else -50) * 16, -60 * 16)
    cue.take(1, 0, 25)
    cue.take(1, 25, 50)
    low, hi_spread, lo_spread, dev = cue.features(1)
    assert dev == 0 and hi_spread + lo_spread == 30
    cue.reset()
    for i in range(40):
        cue.add(i, (-30 + (2 if i & 1 else -2)) * 16, -60 * 16)
    cue.take(1, 0, 40)
    assert cue.features(1)[3] == 32
    cue.reset()
    for i in range(40):  # deviations beyond the cap count as the cap
        cue.add(i, (-30 + (20 if i & 1 else -20)) * 16, -60 * 16)
    cue.take(1, 0, 40)
    assert cue.features(1)[3] == DEV_CAP


def test_features_of_constructed_frames():
    cue = RemoteCue(2, 100, Model)
    # voice 1: levels spread evenly over -60..-21 dBFS (40 frames, one per dB), low band 10 dB down
    for i in range(40):
        lv = (-60 + i) * 16
        cue.add(i, lv, lv - 160)
    cue.take(1, 0, 40)
    low, hi_spread, lo_spread, dev = cue.features(1)
    assert low == -160
    assert 14 <= hi_spread <= 18 and 14 <= lo_spread <= 18, (hi_spread, lo_spread)
    assert dev == (sum(min(abs(16 * k - 312), DEV_CAP) for k in range(40)) // 40)  # mean 19.5 dB over the bins
    # voice 2: one level (compressed), no low band at all (clipped to LOW_OFFSET_DB below the level)
    for i in range(30):
        cue.add(i, -30 * 16, -100 * 16)
    cue.take(2, 0, 30)
    assert cue.features(2) == (-LOW_OFFSET_DB * 16, 0, 0, 0)
    # levels outside the histogram are clipped into its end bins
    cue.add(0, -120 * 16, -120 * 16)
    assert cue.lvl[0] == 0
    cue.add(0, 0, 0)
    assert cue.lvl[0] == BINS - 1 and cue.low[0] == LOW_OFFSET_DB
    assert -LEVEL_OFFSET_DB + BINS - 1 < 0
    assert cue.features(3) is None and cue.features(0) is None


def test_decision_needs_enough_frames_and_follows_the_model():
    cue = RemoteCue(2, 100, Model)
    for i in range(9):
        cue.add(i, -30 * 16, -50 * 16)
    cue.take(1, 0, 9)
    assert not cue.remote(1)  # 9 < REMOTE_MIN_FRAMES
    cue.take(1, 0, 9)
    assert cue.remote(1)  # 18 frames, p90 - p50 = 0: compressed
    for i in range(40):
        cue.add(i, (-70 + i) * 16, (-80 + i) * 16)
    cue.take(2, 0, 40)
    assert not cue.remote(2)  # wide level spread: in the room
    assert not cue.remote(0) and not cue.remote(5)
    cue.reset()
    assert cue.features(1) is None and not cue.remote(1)


def test_long_sessions_halve_instead_of_overflowing():
    cue = RemoteCue(1, 10, Model)
    for i in range(10):
        cue.add(i, -30 * 16, -40 * 16)
    cue.sums[1] = (1 << 22) + 1
    cue.sums[0] = 54 * ((1 << 22) + 1)
    cue.hist[60] = (1 << 22) + 1
    cue.take(1, 0, 10)
    assert cue.sums[1] == ((1 << 22) + 1) // 2 + 10 and cue.sums[1] < (1 << 30)


def test_detector_keeps_the_cue_per_voice_for_the_session():
    a = Voice(105, tract=0.95, tilt=0.6, seed=1)
    b = Voice(215, tract=1.2, tilt=-0.5, seed=2)
    frames, _ = conversation([(a, 4), (None, 1.5), (b, 4), (None, 1.5), (a, 3)], noise_amp=300, seed=7)
    det = TurnDetector()
    det.remote = RemoteCue(det.p.max_voices, det.p.voice_buf_frames, Model)
    c = FakeClock()
    for f in frames:
        det.feed(f, c.now_ms())
        c.advance(20)
        while det.pop_event() is not None:
            pass
    det.flush(c.now_ms())
    n = det.voices.n
    assert n >= 2
    feats = [det.remote.features(v) for v in range(1, n + 1)]
    assert all(f is not None for f in feats)
    # the low voice (105 Hz, voice 1) keeps more of its energy under 160 Hz than the high one
    assert feats[0][0] > feats[1][0], feats
    assert det.voice_remote(1) in (True, False)
    det.reset_voices()
    assert det.remote.features(1) is None and not det.voice_remote(1)


def test_a_four_weight_model_decides_on_the_piece_spread():
    class Model4:
        REMOTE_W = (0, 0, 0, -1)  # remote when the piece spread is at most 1 dB (16 in Q4)
        REMOTE_B = 16
        REMOTE_MIN_FRAMES = 10

    cue = RemoteCue(2, 100, Model4)
    for i in range(40):
        cue.add(i, (-30 + (i & 1)) * 16, -60 * 16)  # within 1 dB
    cue.take(1, 0, 40)
    for i in range(40):
        cue.add(i, (-30 + 6 * (i & 1)) * 16, -60 * 16)  # +-3 dB
    cue.take(2, 0, 40)
    assert cue.remote(1) and not cue.remote(2)


def test_piece_low_band_and_its_twin():
    low = bytearray((i * 13) % 128 for i in range(500))
    for a, b in ((0, 500), (17, 230), (499, 500), (5, 5)):
        assert low_sum(low, a, b) == sum(low[a:b])
        if sys.implementation.name == "micropython":
            from puckcore.remote_viper import low_sum_viper

            assert low_sum_viper(low, a, b) == low_sum(low, a, b)
    cue = RemoteCue(1, 100, Model)
    for i in range(20):
        cue.add(i, -30 * 16, (-30 - (5 if i < 10 else 9)) * 16)  # 5 dB, then 9 dB under the level
    assert cue.piece_low(0, 10) == -80 and cue.piece_low(10, 20) == -144 and cue.piece_low(0, 20) == -112
    assert cue.piece_low(3, 3) is None

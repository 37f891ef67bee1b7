"""Voice clustering: distinct voices found after confirmation, one odd piece ignored, ids restart."""
from puckcore.detect_params import DetectParams as P
from puckcore.levels import log2_q8
from puckcore.voices import VoiceClusters


def _clusters(max_voices=P.max_voices):
    return VoiceClusters(max_voices, P.voice_new_k_q4, P.voice_spread0_q4, P.voice_spread_min_q4,
                         P.voice_spread_max_q4, P.voice_min_new_frames, P.voice_weight_cap)


def _q4(lag):
    return log2_q8(lag) << 4


def test_two_clearly_different_voices_alternating_become_two_voices():
    vc = _clusters()
    got = [vc.assign(_q4(lag), 60) for lag in (36, 20, 36, 20, 37, 21, 35, 20)]  # 111 Hz and 200 Hz
    assert got == [1, 2, 1, 2, 1, 2, 1, 2], got  # beyond doubt: a new voice at once
    assert vc.n == 2


def test_a_closer_voice_needs_a_second_piece_to_be_believed():
    vc = _clusters()
    got = [vc.assign(_q4(lag), 60) for lag in (30, 30, 30, 25, 30, 25, 30, 25)]  # 133 Hz and 160 Hz
    assert got == [1, 1, 1, 1, 1, 2, 1, 2], got
    assert vc.n == 2


def test_one_odd_piece_does_not_make_a_voice():
    vc = _clusters()
    got = [vc.assign(_q4(lag), 60) for lag in (30, 30, 30, 25, 30, 31, 30, 29)]
    assert got == [1] * 8 and vc.n == 1, got


def test_short_pieces_never_found_a_voice():
    vc = _clusters()
    got = [vc.assign(_q4(lag), P.voice_min_new_frames - 1) for lag in (40, 20, 20, 20, 20)]
    assert got == [1] * 5 and vc.n == 1


def test_voices_are_bounded():
    vc = _clusters(max_voices=2)
    for lag in (12, 12, 20, 20, 34, 34, 48, 48):
        v = vc.assign(_q4(lag), 60)
        assert 1 <= v <= 2
    assert vc.n == 2


def test_spread_adapts_and_stays_in_bounds():
    vc = _clusters()
    for _ in range(40):
        vc.assign(_q4(30), 60)  # one very steady voice: the spread tightens to its floor
    assert vc.spread == P.voice_spread_min_q4
    vc2 = _clusters()
    for i in range(40):
        vc2.assign(_q4(28 + (i % 2) * 4), 60)  # a lively one: the spread opens, but not past the cap
    assert P.voice_spread_min_q4 < vc2.spread <= P.voice_spread_max_q4


def test_confidence_is_higher_for_a_clear_piece():
    vc = _clusters()
    for lag in (36, 20, 36, 20):
        vc.assign(_q4(lag), 60)
    vc.assign(_q4(36), 60)
    clear = vc.conf
    vc.assign(_q4(27), 60)  # halfway between the two voices
    assert 0 <= vc.conf < clear <= 100


def test_reset_forgets_every_voice():
    vc = _clusters()
    for lag in (36, 20, 20):
        vc.assign(_q4(lag), 60)
    assert vc.n == 2
    vc.reset()
    assert vc.n == 0 and vc.cand == 0 and vc.spread == P.voice_spread0_q4
    assert list(vc.centre) == [0] * P.max_voices
    assert vc.assign(_q4(20), 60) == 1  # ids start again at 1

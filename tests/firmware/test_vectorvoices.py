"""Vector voices (issue 15): online cosine clustering of unit vectors deciding the number of voices."""
from array import array

from puckcore.vectorvoices import VectorVoices

DIM = 4


def _u(*v):
    return array("i", v)


def _vv(max_voices=4):
    return VectorVoices(max_voices, DIM, 300, 460, 60, 2000)


def test_distance_is_one_minus_cosine_q10():
    vs = _vv()
    c = array("i", [1024, 0, 0, 0, 0, 1024, 0, 0])
    assert vs.distance(_u(1024, 0, 0, 0), c, 0) == 0
    assert vs.distance(_u(1024, 0, 0, 0), c, 4) == 1024
    assert vs.distance(_u(-1024, 0, 0, 0), c, 0) == 2048
    assert abs(vs.distance(_u(724, 724, 0, 0), c, 0) - 300) <= 2


def test_same_direction_stays_one_voice():
    vs = _vv()
    for k in range(10):
        assert vs.assign(_u(1000, 150 if k & 1 else -150, 80, 0), 100) == 1
    assert vs.n == 1


def test_far_piece_founds_a_voice_at_once_and_near_one_needs_confirmation():
    vs = _vv()
    assert vs.assign(_u(1024, 0, 0, 0), 100) == 1
    assert vs.assign(_u(0, 1024, 0, 0), 100) == 2  # orthogonal: beyond `sure`, at once
    # 0.37 from voice 1, beyond `new` (0.29) but within `sure` (0.45): a candidate first
    mid = _u(650, 0, 790, 0)
    assert vs.assign(mid, 100) == 1 and vs.n == 2
    assert vs.assign(mid, 100) == 3 and vs.n == 3  # confirmed by a second long piece
    assert vs.conf == 60


def test_short_pieces_never_found_a_voice_and_max_is_kept():
    vs = _vv(max_voices=2)
    assert vs.assign(_u(1024, 0, 0, 0), 100) == 1
    assert vs.assign(_u(0, 1024, 0, 0), 20) == 1  # too short to found one
    assert vs.assign(_u(0, 1024, 0, 0), 100) == 2
    assert vs.assign(_u(0, 0, 1024, 0), 100) in (1, 2) and vs.n == 2


def test_reset_forgets_every_voice():
    vs = _vv()
    vs.assign(_u(1024, 0, 0, 0), 100)
    vs.assign(_u(0, 1024, 0, 0), 100)
    vs.reset()
    assert vs.n == 0 and max(vs.centre) == 0 and min(vs.centre) == 0
    assert vs.assign(_u(0, 1024, 0, 0), 100) == 1


def test_centre_follows_its_voice():
    vs = _vv()
    vs.assign(_u(1024, 0, 0, 0), 100)
    vs.assign(_u(1000, 220, 0, 0), 100)
    assert 0 < vs.centre[1] < 220 and vs.centre[0] > 990


def test_low_band_difference_keeps_two_similar_voices_apart():
    # two pieces 0.2 apart by cosine (within `new`: one voice without the low band) whose low bands
    # differ by 4 dB (64 in Q4): with 0.1 per dB (102) the distance passes `sure` and a voice is founded
    a, b = _u(1024, 0, 0, 0), _u(819, 0, 614, 0)
    plain = _vv()
    assert plain.assign(a, 100, -100) == 1 and plain.assign(b, 100, -164) == 1  # low_w 0: the term is off
    vs = VectorVoices(4, DIM, 300, 460, 60, 2000, 102)
    assert vs.assign(a, 100, -100) == 1
    d = vs.distance(b, vs.centre, 0)
    assert 150 < d < 300 and d + (102 * 64 >> 4) > 460
    assert vs.assign(b, 100, -164) == 2 and vs.n == 2
    assert vs.assign(a, 100, -104) == 1 and vs.assign(b, 100, -160) == 2  # each stays with its own
    assert vs.low[0] < -100 and vs.low[1] > -164  # the voices' low bands follow their pieces
    assert vs.assign(b, 100) in (1, 2)  # a piece without a low band is placed by its vector alone
    vs.reset()
    assert vs.n == 0 and not vs.has_low[0] and not vs.cand_has_low

"""Metric definitions of `talkpuck eval` (issue 3): the reference scored as one voice, and small cases."""
import os

from talkpuck.detection import metrics
from talkpuck.detection.evaluate import find_pairs, load_reference, pool, score_file
from talkpuck.detection.rttm import format_rttm, read_rttm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AMI = os.path.join(ROOT, "data", "speech", "ami")


def test_reference_as_one_voice_matches_issue_table():
    rows = []
    for base, _wav, rttm in find_pairs(AMI):
        ref = load_reference(rttm, base)
        hyp = [(s, e, "1") for s, e, _ in ref]
        rows.append(score_file(base, ref, hyp, 30.0))
    p = pool(rows)
    assert round(p["f1"], 3) == 1.0
    # 0.2683 here: the one-voice hypothesis is the merged reference speech. Keeping the reference's
    # overlapping segments as separate one-voice segments would count overlap twice (0.2702).
    assert abs(p["der"] - 0.269) < 0.001, p["der"]
    assert round(p["talk_share_error"], 1) == 21.5, p["talk_share_error"]


def test_frame_labels_use_centres():
    lab = metrics.frame_labels([(0.014, 0.026, "a")], 0.05)
    assert list(lab) == [False, True, True, False, False]


def test_turn_changes_and_boundaries():
    ref = [(0, 1, "a"), (1.2, 2, "a"), (2, 3, "b"), (3.5, 4, "a")]
    assert metrics.reference_changes(ref) == [2, 3.5]
    hyp = [(0, 2.3, "1"), (2.6, 3.2, "1"), (3.3, 4, "2"), (3.9, 5, "1")]
    bounds = metrics.hypothesis_boundaries(hyp)
    assert bounds == [(2.3, 2.6), (3.2, 3.3), (3.9, 3.9)]
    # 2 matches (2.3,2.6); 3.5 matches (3.2,3.3) or (3.9,3.9), one to one
    assert metrics.match_boundaries([2, 3.5], bounds) == 2
    assert metrics.match_boundaries([2, 2.1], [(2.3, 2.6)]) == 1


def test_talk_share_error_hungarian():
    ref = [(0, 6, "a"), (6, 10, "b")]
    hyp = [(0, 5, "x"), (5, 10, "y")]
    errs = metrics.talk_share_errors(ref, hyp)
    assert [round(e, 6) for e in errs] == [10.0, 10.0]
    one = metrics.talk_share_errors(ref, [(0, 10, "1")])
    assert [round(e, 6) for e in one] == [40.0, 40.0]  # a maps to the one voice; b unmapped


def test_rttm_round_trip(tmp_path):
    p = tmp_path / "x.rttm"
    p.write_text(format_rttm("f", [(0.5, 1.25, 1), (2.0, 3.0, 1)]), encoding="utf-8")
    assert read_rttm(str(p)) == {"f": [(0.5, 1.25, "1"), (2.0, 3.0, "1")]}

"""piece_bounds (bench/voice_bench.py's hindsight rows): the firmware's pieces, relabelled from
outside the puck by the true speakers or by offline pitch clustering."""
import os

import numpy as np

from talkpuck.detection import metrics, piece_bounds
from talkpuck.detection.audio import RATE, read_wav
from talkpuck.detection.evaluate import load_reference, score_file
from talkpuck.detection.runner import run_detector

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AMI = os.path.join(ROOT, "data", "speech", "ami")


def test_kmeans_1d_finds_two_groups_whatever_their_weights():
    values = [100, 104, 98, 300, 310, 305, 102]
    weights = [50, 40, 60, 1, 2, 1, 30]  # the high group is light: a weighted mean must not swallow it
    a = piece_bounds.kmeans_1d(values, weights, 2)
    assert len(set(a[[0, 1, 2, 6]])) == 1 and len(set(a[[3, 4, 5]])) == 1
    assert a[0] != a[3]


def test_kmeans_1d_degenerate_inputs():
    assert list(piece_bounds.kmeans_1d([5], [1], 3)) == [0]
    assert list(piece_bounds.kmeans_1d([5, 5, 5], [1, 2, 3], 2)) == [0, 0, 0]  # one distinct value
    assert list(piece_bounds.kmeans_1d([1, 9], [1, 1], 1)) == [0, 0]


def test_oracle_labels_take_the_speaker_each_piece_overlaps_most():
    ref = [(0.0, 4.0, "A"), (3.0, 8.0, "B")]
    hyp = [(0.0, 3.5, 1), (3.5, 8.0, 2), (8.0, 9.0, 2), (9.5, 10.0, 3)]
    out = piece_bounds.oracle_labels(hyp, ref)
    assert out == [(0.0, 3.5, "A"), (3.5, 8.0, "B"), (8.0, 9.0, "B"), (9.5, 10.0, "none")]


def test_clustered_labels_map_piece_ids_to_clusters():
    pieces = [(1000, 40), (1400, 40), (1010, 30)]
    hyp = [(0, 1, 1), (1, 2, 2), (2, 3, 3), (3, 4, 3)]
    out = piece_bounds.clustered_labels(hyp, pieces, 2)
    assert out[0][2] == out[2][2] == out[3][2] != out[1][2]
    assert piece_bounds.clustered_labels(hyp, [], 2) == hyp


def test_pieces_of_a_real_clip_cover_the_firmware_turns_and_bound_its_labels():
    """trn09: a woman talking throughout, a man over her. The recorder must not change what the
    detector reports as speech, only the labels; the oracle labelling then scores no worse than
    the firmware's own voices."""
    from puckcore.detect_params import DetectParams

    x, _ = read_wav(os.path.join(AMI, "ami_trn09.wav"))
    ref = load_reference(os.path.join(AMI, "ami_trn09.rttm"), "ami_trn09")
    dur = len(x) / float(RATE)
    hyp, pieces = piece_bounds.detect_pieces(x, DetectParams)
    own, _ = run_detector(x)
    assert len(pieces) >= len({v for _, _, v in own})
    assert max(pid for _, _, pid in hyp) == len(pieces)
    speech = metrics.frame_labels(hyp, dur)
    assert np.array_equal(speech, metrics.frame_labels(own, dur))
    oracle = score_file("trn09", ref, piece_bounds.oracle_labels(hyp, ref), dur)
    firmware = score_file("trn09", ref, own, dur)
    assert oracle["der"] <= firmware["der"] + 1e-9
    two = piece_bounds.clustered_labels(hyp, pieces, 2)
    assert len({v for _, _, v in two}) == 2


def _row(err, total, shares):
    return {"der": err / total, "der_parts": {"missed detection": err, "false alarm": 0.0, "confusion": 0.0,
                                              "total": total}, "share_errors": shares}


def test_best_counts_lowest_share_error_within_the_der_bound():
    rows = {
        "a": [_row(1.0, 10.0, [20.0, 20.0]), _row(3.0, 10.0, [5.0, 5.0])],
        "b": [_row(1.0, 10.0, [10.0, 10.0]), _row(2.0, 10.0, [2.0, 2.0])],
        "solo": [{"speakers": 1}, {"speakers": 1}],  # one speaker: no DER row, left out
    }
    # both splits: DER 0.25, share 3.5; a split only: 0.2, 7.5; b only: 0.15, 11; neither: 0.1, 15
    assert piece_bounds.best_counts(rows, 0.25) == [rows["a"][1], rows["b"][1]]
    assert piece_bounds.best_counts(rows, 0.2) == [rows["a"][1], rows["b"][0]]
    assert piece_bounds.best_counts(rows, 0.12) == [rows["a"][0], rows["b"][0]]
    assert piece_bounds.best_counts(rows, 0.05) is None

"""Regression: frame F1, DER and talk-share error of the firmware detector on the dev clips must not get worse.

Recorded with `talkpuck eval data/speech/ami` (model from `talkpuck train-vad`, trained on all clips
and their generated copies, so these are in-sample; the leave-one-file-out figures are checked by
the slow test in test_detection_lofo.py).
Raise these when the detector improves; never lower them without saying why in docs/detection.md.
"""
import os

from talkpuck.detection.evaluate import evaluate_dir

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECORDED_F1 = 0.934
# collar 0.25. Was 0.348 with one voice; voice attribution (issue 4) costs 0.006 here while the
# talk-share error falls from 22.0 to 16.9 points. (0.349 / 17.0 with a cut at t >= 4; t >= 5 is
# better with the VAD held out, 0.374 / 17.4 against 0.401 / 18.1: docs/detection.md §7.)
# Session 7 (issue 15): voices by the learned spectral vector instead of mean pitch: 0.354 / 16.9
# -> 0.439 / 18.4 here. Lowered on purpose: the vector, trained and tuned on speaker-disjoint
# generated conversations (never on these clips), halves the talk-share error there (16.0 -> 6.9)
# but keeps 1-2 voices on several of these 30 s clips of 3-4 people (docs/detection.md §8.7).
RECORDED_DER = 0.439
RECORDED_SHARE = 18.4  # talk-share error, points; one voice gives 22.0, an equal split 20.8


def test_dev_clips_not_worse():
    p = evaluate_dir(os.path.join(ROOT, "data", "speech", "ami"))["pooled"]
    assert p["f1"] >= RECORDED_F1 - 0.0005, p["f1"]
    assert p["der"] <= RECORDED_DER + 0.0005, p["der"]
    assert p["talk_share_error"] <= RECORDED_SHARE + 0.05, p["talk_share_error"]

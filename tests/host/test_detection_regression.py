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
# collar 0.25. Was 0.348 with one voice; voice attribution (issue 4) costs 0.001 here while the
# talk-share error falls from 22.0 to 17.0 points (docs/detection.md, "Voices").
RECORDED_DER = 0.349
RECORDED_SHARE = 17.0  # talk-share error, points; one voice gives 22.0, an equal split 20.8


def test_dev_clips_not_worse():
    p = evaluate_dir(os.path.join(ROOT, "data", "speech", "ami"))["pooled"]
    assert p["f1"] >= RECORDED_F1 - 0.0005, p["f1"]
    assert p["der"] <= RECORDED_DER + 0.0005, p["der"]
    assert p["talk_share_error"] <= RECORDED_SHARE + 0.05, p["talk_share_error"]

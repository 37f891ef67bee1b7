"""vad_model — the learned frame classifier of the VAD, as integer constants (generated file).

Written by `talkpuck train-vad` (host/talkpuck/detection/train.py) from the clips in
data/speech/ami
plus generated harder copies (quiet, noisy, reverberant, changing level), fitted with copies
weighted COPY_WEIGHT 1.0, decision settings tuned with copies weighted TUNE_COPY_WEIGHT 0.3.
Do not edit by hand. The score of a frame is B + sum(W[i] * x[i]) in Q16 over the features of
puckcore/vad.py; the frame is loud when the score reaches Z_THR. LOFO holds the
leave-one-file-out figures (`talkpuck eval` definitions, pooled): each clip and its generated
copies detected with a model trained without them.
"""
FEATURES = ("snr", "snr_sum5", "snr_sum15", "below_peak", "voicing", "voicing_sum5", "voicing_sum15",
            "voicing_max10", "tilt", "zc", "level")
W = (-49, -25, 31, -136, 162, -15, 57, 1612, 392, 191, 515)
B = -783739
Z_THR = 143997
HANGOVER_FRAMES = 8
TURN_GAP_MS = 1000
TURN_MIN_MS = 60
PREROLL_MS = 100
LOFO = {'clips': {'f1': 0.925, 'precision': 0.898, 'recall': 0.954, 'der': 0.363, 'der_c0': 0.419, 'turn_recall': 0.276, 'boundary_precision': 0.696, 'talk_share_error': 22.019}, 'copies': {'f1': 0.842, 'precision': 0.953, 'recall': 0.754, 'der': 0.441, 'der_c0': 0.494, 'turn_recall': 0.302, 'boundary_precision': 0.631, 'talk_share_error': 22.593}}

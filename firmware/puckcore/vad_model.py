"""vad_model — the learned frame classifier of the VAD, as integer constants (generated file).

Written by `talkpuck train-vad` (host/talkpuck/detection/train.py) from the clips in
data/speech/ami; do not edit by hand. The score of a frame is B + sum(W[i] * x[i]) in Q16 over
the features of puckcore/vad.py; the frame is loud when the score reaches Z_THR. LOFO holds the
leave-one-file-out frame F1 (20 ms frames) of models trained without each clip.
"""
FEATURES = ("snr", "snr_sum5", "snr_sum15", "below_peak", "voicing", "voicing_sum5", "voicing_sum15",
            "voicing_max10", "tilt", "zc", "level")
W = (306, -18, 28, -425, 165, 3, 31, 1190, 767, -519, 476)
B = -771862
Z_THR = 90852
HANGOVER_FRAMES = 10
TURN_GAP_MS = 500
TURN_MIN_MS = 60
PREROLL_MS = 100
LOFO = {'ami_trn00': 0.878, 'ami_trn01': 0.587, 'ami_trn02': 0.772, 'ami_trn03': 0.954, 'ami_trn04': 0.896, 'ami_trn05': 0.962, 'ami_trn06': 0.94, 'ami_trn07': 0.652, 'ami_trn08': 0.945, 'ami_trn09': 0.984, 'pooled_f1': 0.908}

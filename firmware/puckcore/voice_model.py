"""voice_model — the learned remote-voice decision, as integer constants (generated file).

Written by `talkpuck train-voices` (host/talkpuck/detection/voicetrain.py) from 200 examples of the
training speakers (half through a loudspeaker simulation: laptop). Do not edit by hand. A voice
is remote when REMOTE_B + sum(REMOTE_W[i] * feature[i]) >= 0 over puckcore/remote.py's features,
once it has REMOTE_MIN_FRAMES voiced frames. HELD_OUT: accuracy per example on the validation
speakers, through each simulation; `other` is never seen in training.
"""
FEATURES = ('low_minus_level_q4db', 'level_p90_minus_p50_db', 'level_p50_minus_p10_db', 'piece_level_dev_q4db')
REMOTE_W = (-18, -275, -17, 0)
REMOTE_B = -1150
REMOTE_MIN_FRAMES = 100
HELD_OUT = {'train_accuracy': 0.965, 'laptop': 0.95, 'other': 0.883, 'broad': 0.683}

"""voice_model — the learned remote-voice decision, as integer constants (generated file).

Placeholder until `talkpuck train-voices` writes it: a voice is never called remote.
"""
FEATURES = ("low_minus_level_q4db", "level_p90_minus_p50_db", "level_p50_minus_p10_db")
REMOTE_W = (0, 0, 0)
REMOTE_B = -1
REMOTE_MIN_FRAMES = 100
HELD_OUT = {}

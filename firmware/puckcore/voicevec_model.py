"""voicevec_model — the learned voice vector's projection (generated file).

Written by `talkpuck train-voices` (host/talkpuck/detection/voicevec.py): LDA (classes: speaker and channel) over pooled
log bands and pitch of 610 examples of 296 training speakers (speechconv.split_of), folded to
integers for puckcore/voicevec.py (the clustering thresholds are in detect_params). Do not edit by
hand. HELD_OUT: equal error rate of 100-frame
chunks of the validation speakers (cosine of the vectors, and mean pitch alone for comparison).
"""
NB = 20
DIM = 12
EDGES = [2, 3, 5, 7, 9, 11, 14, 17, 20, 24, 29, 33, 39, 45, 51, 59, 67, 77, 87, 99, 112]
W = (  # DIM rows of NB int8 weights
    -56, -82, 15, 38, 0, -3, 18, 22, -12, 4, 11, 17, 12, 35, 4, 13, -1, 1, 5, -43,
    16, -60, 30, 1, -10, -28, -12, 16, 6, 23, -17, 12, 37, -16, 38, 12, 12, -21, -3, -36,
    33, 26, -52, -61, -29, -10, -2, 8, 2, 11, 13, 24, 4, 7, 1, 34, 36, 33, -26, -53,
    28, -34, -18, -25, 9, 13, 8, -1, -13, 11, -9, -56, 54, 109, 13, -54, -59, -55, 23, 56,
    -55, 73, -26, 9, -41, -51, 10, 36, 41, 23, 2, 9, 52, 38, -35, -103, -23, 53, 42, -55,
    -61, 77, 28, -51, 12, -22, -12, 12, 29, -15, 22, -45, -11, -10, 86, 65, -41, -78, 7, 6,
    -46, 38, -70, -19, 38, -4, 33, -31, 3, 28, -22, 11, -8, -47, 31, -3, 6, -2, 20, 42,
    10, -5, -3, 13, 40, -39, -6, -14, 7, 8, -27, -69, -42, 60, 90, -57, -12, 84, 37, -76,
    -35, -9, 74, -16, -67, 31, 34, -14, -25, -34, 6, -51, 63, 35, -82, 54, 2, 18, 6, 11,
    14, -45, 70, -54, 30, -35, -39, 26, 10, 7, -48, 102, -23, -56, 27, 15, -80, 24, 65, -10,
    6, -25, -8, 59, -14, -62, -57, 36, 47, 44, -6, -53, -5, 28, -41, 39, 16, -31, -57, 82,
    -20, 31, 3, -70, 127, -9, -69, -20, 14, 20, -21, -15, 63, 20, -76, 15, 34, -7, -8, -11,
)
WP = [-17, 87, -28, -6, 18, 9, 45, 2, 29, -33, -19, 15]
OFF = [-91925, 391352, -173581, -61424, 93983, 71427, 200985, 15005, 132178, -168666, -104341, 88973]
SHIFT = 11
HELD_OUT = {'vector_eer': 0.157, 'pitch_eer': 0.245}

"""voicevec_model — the learned voice vector's projection and clustering thresholds (generated file).

Written by `talkpuck train-voices` (host/talkpuck/detection/voicevec.py): LDA over pooled log bands
and pitch of 610 examples of 296 training speakers (speechconv.split_of), folded to
integers for puckcore/voicevec.py. Do not edit by hand. HELD_OUT: equal error rate of 100-frame
chunks of the validation speakers (cosine of the vectors, and mean pitch alone for comparison).
"""
NB = 20
DIM = 12
EDGES = [2, 3, 5, 7, 9, 11, 14, 17, 20, 24, 29, 33, 39, 45, 51, 59, 67, 77, 87, 99, 112]
W = (  # DIM rows of NB int8 weights
    11, -32, 40, -5, -17, -35, -13, 12, 14, 20, -16, 8, 27, -25, 39, 1, -7, -16, -7, 2,
    -11, -6, 36, 68, 29, 15, -1, -11, -2, -25, -9, -15, -24, -30, -24, -27, -21, 2, 30, 25,
    1, 2, -30, 20, -38, -15, 22, 18, 9, 23, -3, -4, 71, 96, -62, -127, -32, 22, 26, 1,
    -10, -6, 16, -30, 43, 5, 6, -13, -9, -12, -19, -88, 11, 79, 90, 4, -70, -60, 48, 17,
    32, -41, 82, -14, -50, 58, -5, -10, -46, -45, 10, -5, 51, 35, -82, 51, 12, -20, -24, 14,
    -1, 16, 16, 47, -35, -64, -35, 29, 39, -1, -16, -51, -27, 58, 32, -25, 1, 65, -12, -37,
    -35, 51, 23, -7, -67, -7, 3, 33, 35, -7, 45, -13, 1, -23, -12, 61, -41, -76, 13, 20,
    -31, 39, -47, 33, -79, 34, 82, -12, -18, -27, -14, -45, 49, -3, -23, 20, 27, 15, -18, 17,
    26, -22, 13, 23, -77, 46, 55, 3, -52, -21, 46, 26, -89, 3, 97, -64, -21, 46, 5, -43,
    16, -20, -31, 67, -24, 15, -15, -8, -7, 46, 53, -101, -28, 73, -39, 11, 61, -52, -61, 43,
    16, -48, -20, 94, -48, -44, 27, 21, 6, -23, -32, 49, 21, -36, 3, 55, -44, -27, 22, 8,
    -15, 68, -86, 57, 17, 13, -18, -57, -10, -19, 25, 35, 14, -15, 42, -4, -5, -22, -11, -8,
)
WP = [93, 16, 1, 10, -16, -17, -8, 40, -6, 7, -29, 4]
OFF = [427572, 122966, -9567, 48144, -70946, -72335, -25405, 181355, -29409, 31024, -148300, 50635]
SHIFT = 11
NEW_Q10 = 307  # a piece farther than this cosine distance (Q10) from every voice may found one
SURE_Q10 = 461  # ... at once beyond this
MIN_NEW = 60  # voiced frames a piece needs to found or confirm a voice
HELD_OUT = {'vector_eer': 0.1, 'pitch_eer': 0.245}

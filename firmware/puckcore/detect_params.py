"""detect_params — every tunable of the talk-turn detector, in one place, with units in the names.

Levels are kept in 1/16 dB ("dbq") integers so the per-frame path needs no floats; the names say
dB and the values are converted once, here. See docs/detection.md for what each one does and how
it was chosen.
"""

from puckcore import vad_model

DBQ = 16  # level units per dB


class DetectParams:
    frame_samples = 320  # 20 ms at 16 kHz
    frame_ms = 20
    sample_rate_hz = 16000

    # front end
    dc_shift = 3  # DC tracker follows the frame mean with a time constant of 2**dc_shift frames
    floor_dbq = -100 * DBQ  # levels below -100 dBFS are clamped (digital silence)

    # noise floor: minimum statistics over noise_blocks blocks of noise_block_frames frames
    noise_block_frames = 25  # 0.5 s
    noise_blocks = 8  # so the floor follows a rising room within 4 s
    noise_bias_dbq = 1 * DBQ  # the minimum of a noisy level sits below its mean

    # voice activity: a learned linear score over the features of vad.py (vad_model.py), then
    # hangover. The speech peak tracker decays by peak_decay_q (1/256 dB) per frame.
    peak_decay_q = 5  # about 1 dB/s
    speech_min_dbq = -80 * DBQ  # never call anything quieter than this speech
    score_w = vad_model.W
    score_b = vad_model.B
    score_thr = vad_model.Z_THR
    hangover_frames = vad_model.HANGOVER_FRAMES  # speech kept after the last loud frame

    # turns (learned with the model: they shape the frame decisions into talk-turns)
    turn_min_ms = vad_model.TURN_MIN_MS  # less speech than this is not a turn
    turn_gap_ms = vad_model.TURN_GAP_MS  # a silence at least this long ends a turn
    preroll_ms = vad_model.PREROLL_MS  # a turn starts this much before its first speech frame

    # voices (changepoint.py, voices.py; docs/detection.md "Voices"). Pitch codes are Q8 log2 of the
    # pitch lag (256 = one octave); centres and spreads are Q4 of those. 1 ln unit = 369 Q8.
    voice_min_voicing_q8 = 128  # a frame's pitch counts when its voicing is at least 0.5
    voice_buf_frames = 1000  # voiced frames kept per turn (20 s of voiced talk); a fuller turn is cut
    voice_min_frames = 20  # no piece shorter than 0.4 s of voiced talk; shorter turns keep the last voice
    voice_clip_q8 = 111  # a turn's codes are clipped to its median +- 0.43 octave (octave slips)
    voice_split_t = 5  # a cut needs a two-sample t statistic of at least this (5 not 4: bench/voice_bench.py) ...
    voice_frame_sd_q8 = 55  # ... with this spread of one voice's frame codes (0.22 octave)
    voice_split_score = 16 * (voice_split_t * voice_frame_sd_q8) ** 2  # in best_split's units
    voice_split_depth = 3  # up to 2**3 pieces per turn
    max_voices = 6  # voices per session (the vector clustering decides how many, issue 15)
    voice_vector = True  # voices by the learned spectral vector (voicevec), not by mean pitch alone
    # ... clustered by cosine distance (Q10): a piece of at least voice_vec_min_new voiced frames
    # farther than voice_vec_new_q10 (0.30) from every voice is a candidate, confirmed by a second
    # one or at once beyond voice_vec_sure_q10 (0.45); picked on training-speaker conversations
    # (docs/detection.md 8.7, bench/voicevec_proto.py), never on the frozen validation set
    voice_vec_new_q10 = 307
    voice_vec_sure_q10 = 461
    voice_vec_min_new = 60
    # ... and (session 8, off) the piece's low band minus level as a clustering cue: the distance gains
    # voice_vec_low_w_q10 / 1024 per dB of low band difference. 102 (0.1 per dB, picked on
    # training-speaker conversations: DER 0.300 -> 0.254 there) made the frozen set's remote flag
    # worse (0.904 -> 0.887; `other` conversations 0.773 -> 0.665), so it is off (docs/detection.md 8.2)
    voice_vec_low_w_q10 = 0
    voice_new_k_q4 = 48  # a piece farther than 3 spreads from every voice may be a new one
    voice_spread0_q4 = 355  # starting spread: 0.06 ln (1 semitone) ...
    voice_spread_min_q4 = 236  # ... kept within 0.04 ...
    voice_spread_max_q4 = 591  # ... and 0.1 ln
    voice_min_new_frames = 30  # voiced frames a piece needs to found or confirm a voice (0.6 s)
    voice_weight_cap = 2000  # a voice centre follows new pieces as if it had at most 40 s of talk

    # events
    queue_len = 24  # queued events; the oldest is dropped (and counted) when full

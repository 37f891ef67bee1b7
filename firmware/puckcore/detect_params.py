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

    # events
    queue_len = 16  # queued events; the oldest is dropped (and counted) when full

"""detect_params — every tunable of the talk-turn detector, in one place, with units in the names.

Levels are kept in 1/16 dB ("dbq") integers so the per-frame path needs no floats; the names say
dB and the values are converted once, here. See docs/detection.md for what each one does and how
it was chosen.
"""

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

    # voice activity: level above the noise floor, with hysteresis and hangover
    speech_on_dbq = 9 * DBQ
    speech_off_dbq = 6 * DBQ
    speech_min_dbq = -72 * DBQ  # never call anything quieter than this speech
    hangover_frames = 10  # 200 ms of speech kept after the last loud frame

    # turns
    turn_min_ms = 100  # a burst of activity shorter than this is not a turn
    turn_gap_ms = 300  # a silence at least this long ends a turn
    preroll_ms = 40  # a turn starts this much before the first loud frame (onsets are soft)

    # events
    queue_len = 16  # queued events; the oldest is dropped (and counted) when full

"""detect_light — the light detector configuration: one voice, no pitch track, no remote cue (Pico W).

The RP2040 of a Pico W (armv6m, no FPU, 264 KB of RAM shared with the Wi-Fi stack) runs the VAD and
the turns only: `max_voices = 1` makes TurnDetector skip the per-frame pitch codes and the per-turn
voice split, clustering and remote cue (`voices_on` False). Every turn is voice 1; the puck leaves
`voices` and `remote` out of `info.caps` and `remote` out of its events (unknown to the host).
The learned voice vector (voicevec) is off too. A board picks it with `"detector": "light"` in
hardware/boards/<board>.json (docs/detection.md §8.4).
"""
from puckcore.detect_params import DetectParams


class LightParams(DetectParams):
    max_voices = 1  # voices off: the voice split, clustering and remote cue are skipped
    voice_buf_frames = 1  # nothing is kept per voiced frame (the buffers stay allocated, tiny)
    voice_vector = False  # and no spectral voice vector (its FFT tables and per-turn store are not allocated)

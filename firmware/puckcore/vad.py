"""vad — frame-level voice activity from levels: an adaptive noise floor, hysteresis and hangover.

The noise floor is the minimum of the frame level over the last few seconds (minimum statistics:
the quietest moments of a room are its noise, whoever talks), kept as one minimum per block in a
small ring. A frame is loud when its level clears the floor by `speech_on_dbq` (or by
`speech_off_dbq` while already loud); speech lasts `hangover_frames` past the last loud frame.
"""
from array import array

from puckcore.detect_params import DetectParams


class Vad:
    def __init__(self, params=DetectParams):
        self.p = params
        self._mins = array("i", [0] * params.noise_blocks)
        self.reset()

    def reset(self):
        p = self.p
        # empty blocks hold 0 dBFS, so until the ring fills the floor is the quietest frame so far
        start = 0
        for i in range(len(self._mins)):
            self._mins[i] = start
        self._blk = 0  # index of the block being filled
        self._blk_n = 0  # frames in it so far
        self._blk_min = 0
        self.noise_dbq = start
        self.loud = False  # this frame clears the threshold
        self.speech = False  # after hangover
        self._hang = 0
        self.snr_dbq = 0

    def _track_noise(self, level):
        p = self.p
        if self._blk_n == 0 or level < self._blk_min:
            self._blk_min = level
        self._blk_n += 1
        m = self._mins
        if self._blk_n >= p.noise_block_frames:
            m[self._blk] = self._blk_min
            self._blk += 1
            if self._blk >= len(m):
                self._blk = 0
            self._blk_n = 0
        lo = self._blk_min
        for i in range(len(m)):
            if m[i] < lo:
                lo = m[i]
        self.noise_dbq = lo + p.noise_bias_dbq

    def process(self, level):
        """Feed one frame's level (1/16 dB); sets `loud`, `speech`, `noise_dbq`, `snr_dbq`."""
        p = self.p
        self._track_noise(level)
        snr = level - self.noise_dbq
        self.snr_dbq = snr
        thr = p.speech_off_dbq if self.loud else p.speech_on_dbq
        self.loud = snr >= thr and level >= p.speech_min_dbq
        if self.loud:
            self._hang = p.hangover_frames
            self.speech = True
        elif self._hang > 0:
            self._hang -= 1
            self.speech = True
        else:
            self.speech = False
        return self.speech

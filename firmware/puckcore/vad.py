"""vad — frame-level voice activity: adaptive noise floor and speech peak, features, a learned score.

Per frame: the noise floor is the minimum of the level over the last few seconds (minimum
statistics: the quietest moments of a room are its noise), the speech peak follows loud frames up
at once and decays slowly. Eleven integer features (vad_model.FEATURES) describe the frame and its
recent past: level above the floor (now, summed over 5 and 15 frames), distance below the peak,
voicing (now, sums, recent max), spectral tilt, zero crossings and absolute level. The frame is
loud when the linear score B + sum(W * x) (Q16, weights in vad_model.py) reaches the threshold;
speech lasts `hangover_frames` past the last loud frame. Everything is integer and allocation-free.
"""
from array import array

from puckcore.detect_params import DetectParams

NF = 11
RING = 15


class Vad:
    def __init__(self, params=DetectParams):
        self.p = params
        self._mins = array("i", [0] * params.noise_blocks)
        self._snr = array("i", [0] * RING)
        self._voi = array("i", [0] * RING)
        self.x = array("i", [0] * NF)  # this frame's features (read by the trainer)
        self._w = array("i", params.score_w)
        self.reset()

    def reset(self):
        p = self.p
        # empty blocks hold 0 dBFS, so until the ring fills the floor is the quietest frame so far
        for i in range(len(self._mins)):
            self._mins[i] = 0
        for i in range(RING):
            self._snr[i] = 0
            self._voi[i] = 0
        self._ri = 0
        self._s5 = 0
        self._s15 = 0
        self._v5 = 0
        self._v15 = 0
        self._blk = 0  # index of the block being filled
        self._blk_n = 0  # frames in it so far
        self._blk_min = 0
        self.noise_dbq = p.floor_dbq
        self._peak_q = p.floor_dbq << 4  # speech peak in 1/256 dB
        self.loud = False  # this frame scores as speech
        self.speech = False  # after hangover
        self._hang = 0
        self.snr_dbq = 0
        self.score = 0

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

    def process(self, level, high, zc, voicing):
        """One frame's level and first-difference level (1/16 dB), zero crossings, voicing (Q8)."""
        p = self.p
        self._track_noise(level)
        snr = level - self.noise_dbq
        snr = 0 if snr < 0 else (800 if snr > 800 else snr)
        self.snr_dbq = snr
        # speech peak: up at once, down by peak_decay_q per frame
        pk = self._peak_q - p.peak_decay_q
        lq = level << 4
        self._peak_q = lq if lq > pk else pk
        below = level - (self._peak_q >> 4)
        below = -800 if below < -800 else below
        # rings of the last 15 frames: running sums over 5 and 15
        ri = self._ri
        r5 = ri - 5
        if r5 < 0:
            r5 += RING
        self._s5 += snr - self._snr[r5]
        self._s15 += snr - self._snr[ri]
        self._v5 += voicing - self._voi[r5]
        self._v15 += voicing - self._voi[ri]
        self._snr[ri] = snr
        self._voi[ri] = voicing
        vmax = 0
        for k in range(10):
            j = ri - k
            if j < 0:
                j += RING
            if self._voi[j] > vmax:
                vmax = self._voi[j]
        ri += 1
        self._ri = 0 if ri >= RING else ri
        tilt = high - level
        tilt = -400 if tilt < -400 else (400 if tilt > 400 else tilt)
        lv = level + 1600
        lv = 0 if lv < 0 else lv
        x = self.x
        x[0] = snr
        x[1] = self._s5
        x[2] = self._s15
        x[3] = below
        x[4] = voicing
        x[5] = self._v5
        x[6] = self._v15
        x[7] = vmax
        x[8] = tilt
        x[9] = zc
        x[10] = lv
        w = self._w
        z = p.score_b
        for i in range(NF):
            z += w[i] * x[i]
        self.score = z
        self.loud = z >= p.score_thr and level >= p.speech_min_dbq
        if self.loud:
            self._hang = p.hangover_frames
            self.speech = True
        elif self._hang > 0:
            self._hang -= 1
            self.speech = True
        else:
            self.speech = False
        return self.speech

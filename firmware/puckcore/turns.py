"""turns — talk-turn segmentation from frame-level speech decisions.

A turn starts once `turn_min_ms` of speech has gathered (its start is put back to the first speech
frame minus `preroll_ms`) and ends when `turn_gap_ms` of silence follows; its end is the end of
the last speech frame. Per frame, `started` / `ended` say whether a turn began or finished with it;
the turn's start, end, mean level and SNR are left in attributes for the caller to read.

States (small ints):  IDLE --speech--> PENDING --turn_min_ms of speech--> TALKING
                      PENDING --gap--> IDLE (too short: dropped)
                      TALKING --turn_gap_ms of silence--> IDLE (ended)
"""
from puckcore.detect_params import DetectParams
from puckcore.ticks import ticks_add

IDLE = 0
PENDING = 1
TALKING = 2


class TurnSegmenter:
    def __init__(self, params=DetectParams):
        self.p = params
        self.reset()

    def reset(self):
        self.state = IDLE
        self.start_ms = 0  # ticks: start of the current / last turn
        self.end_ms = 0  # ticks: end of the last speech frame of it
        self.speech_ms = 0  # speech time inside the current turn
        self._gap_ms = 0
        self._lvl_sum = 0  # sum of levels (1/16 dB) over its loud frames
        self._snr_sum = 0
        self._lvl_n = 0
        self.started = False
        self.ended = False
        self.level_dbq = 0  # mean level of the turn just ended
        self.snr_dbq = 0

    def process(self, speech, loud, level_dbq, snr_dbq, t_ms):
        """One frame starting at tick `t_ms`. Returns True when a turn started or ended."""
        p = self.p
        self.started = False
        self.ended = False
        st = self.state
        if speech:
            if st == IDLE:
                self.state = st = PENDING
                self.start_ms = ticks_add(t_ms, -p.preroll_ms)
                self.speech_ms = 0
                self._lvl_sum = 0
                self._snr_sum = 0
                self._lvl_n = 0
            self.speech_ms += p.frame_ms
            self._gap_ms = 0
            self.end_ms = ticks_add(t_ms, p.frame_ms)
            if loud and self._lvl_n < 100000:  # keeps the sums within 2**30 (about 33 min)
                self._lvl_sum += level_dbq
                self._snr_sum += snr_dbq
                self._lvl_n += 1
            if st == PENDING and self.speech_ms >= p.turn_min_ms:
                self.state = TALKING
                self.started = True
        elif st != IDLE:
            self._gap_ms += p.frame_ms
            if self._gap_ms >= p.turn_gap_ms:
                if st == TALKING:
                    self.ended = True
                    self._close()
                self.state = IDLE
        return self.started or self.ended

    def _close(self):
        n = self._lvl_n
        if n > 0:
            self.level_dbq = self._lvl_sum // n
            self.snr_dbq = self._snr_sum // n
        else:
            self.level_dbq = self.p.floor_dbq
            self.snr_dbq = 0

    def cut(self):
        """Close the talking turn at its last speech frame (its figures are left as for an ended
        turn) and go on with a new one from there: a long monologue is reported in pieces.
        Returns True if cut; the caller reads the closed turn, then calls `resume()`."""
        if self.state != TALKING:
            return False
        self._close()
        return True

    def resume(self):
        """After `cut()`: the new turn starts where the closed one ended."""
        self.start_ms = self.end_ms
        self.speech_ms = 0
        self._lvl_sum = 0
        self._snr_sum = 0
        self._lvl_n = 0

    def flush(self):
        """End an open turn now (end of input / a session stops). Returns True if one ended."""
        self.started = False
        self.ended = self.state == TALKING
        if self.ended:
            self._close()
        self.state = IDLE
        return self.ended

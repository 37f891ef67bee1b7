"""detector — the talk-turn detector the puck runs on every 20 ms frame: features, VAD, turns, events.

    det = TurnDetector()
    det.feed(frame, now_ms)        # frame: array('h') of 320 samples; now_ms: tick of its first sample
    ev = det.pop_event()           # (EV_TURN_START, start_ms, voice)
                                   # (EV_TURN_END, start_ms, end_ms, voice, conf, level_db)
                                   # (EV_SUMMARY, from_ms, to_ms, speech_ms, turns, level_db, noise_db)

Events are tuples made only when something happens; a frame without an event allocates nothing.
The queue holds `queue_len` events and drops the oldest when full (counted in `dropped`).
`conf` (0-100) is how sure the detector is of the turn: its mean SNR, 20 dB and above is 100; with
one voice the label itself is certain. Levels are integer dBFS of the mean absolute sample.
"""
from puckcore.detect_params import DBQ, DetectParams
from puckcore.frontend import FrontEnd
from puckcore.pitch import Voicing
from puckcore.ticks import ticks_add, ticks_diff
from puckcore.turns import TurnSegmenter
from puckcore.vad import Vad

EV_TURN_START = 1
EV_TURN_END = 2
EV_SUMMARY = 3


class TurnDetector:
    FRAME_SAMPLES = 320  # 20 ms at 16 kHz

    def __init__(self, summary_ms=60000, params=DetectParams, fast=True):
        self.p = params
        self.summary_ms = summary_ms
        self.frontend = FrontEnd(params, fast)
        self.voicing = Voicing(fast)
        self.vad = Vad(params)
        self.turns = TurnSegmenter(params)
        self._q = [None] * params.queue_len
        self._qhead = 0
        self._qn = 0
        self.dropped = 0
        self.frames = 0
        self.talking = False
        self.voice = 0
        self._sum_from = None
        self._reset_summary()

    # --- the contract -------------------------------------------------------------------------
    def reset_voices(self):
        """A new session starts: forget voice identities (one voice for now: nothing to forget)."""
        pass

    def feed(self, frame, now_ms):
        """Process one frame whose first sample was taken at tick `now_ms`; returns queued events."""
        p = self.p
        if self._sum_from is None:
            self._sum_from = now_ms
        fe = self.frontend
        fe.process(frame)
        vo = self.voicing
        vo.process(frame, self.FRAME_SAMPLES, fe.dc)
        vad = self.vad
        speech = vad.process(fe.level_dbq, fe.high_dbq, fe.zc, vo.voicing_q8)
        tr = self.turns
        if tr.process(speech, vad.loud, fe.level_dbq, vad.snr_dbq, now_ms):
            if tr.started:
                self.talking = True
                self.voice = 1
                self._push((EV_TURN_START, tr.start_ms, 1))
            if tr.ended:
                self._end_turn()
        self.frames += 1
        # summary accumulators (1/16 dB sums stay below 2**30 for hours of frames at >= -100 dB)
        if speech:
            self._speech_ms += p.frame_ms
            if vad.loud:
                self._lvl_sum += fe.level_dbq >> 4
                self._lvl_n += 1
        self._noise_sum += vad.noise_dbq >> 4
        self._noise_n += 1
        end = ticks_add(now_ms, p.frame_ms)
        if ticks_diff(end, self._sum_from) >= self.summary_ms:
            self._summary(end)
        return self._qn

    def pop_event(self):
        if self._qn == 0:
            return None
        ev = self._q[self._qhead]
        self._q[self._qhead] = None
        self._qhead = (self._qhead + 1) % len(self._q)
        self._qn -= 1
        return ev

    # --- extras -----------------------------------------------------------------------------------
    def flush(self, now_ms):
        """End of input: close an open turn (and nothing else). Returns queued events."""
        if self.turns.flush():
            self._end_turn()
        return self._qn

    @property
    def noise_db(self):
        return self.vad.noise_dbq // DBQ

    # --- internals --------------------------------------------------------------------------------
    def _end_turn(self):
        tr = self.turns
        conf = tr.snr_dbq * 5 // DBQ
        conf = 0 if conf < 0 else (100 if conf > 100 else conf)
        self._push((EV_TURN_END, tr.start_ms, tr.end_ms, 1, conf, tr.level_dbq // DBQ))
        self._turns += 1
        self.talking = False
        self.voice = 0

    def _reset_summary(self):
        self._speech_ms = 0
        self._turns = 0
        self._lvl_sum = 0
        self._lvl_n = 0
        self._noise_sum = 0
        self._noise_n = 0

    def _summary(self, end):
        lvl = self._lvl_sum // self._lvl_n if self._lvl_n else self.p.floor_dbq // DBQ
        noise = self._noise_sum // self._noise_n if self._noise_n else self.p.floor_dbq // DBQ
        self._push((EV_SUMMARY, self._sum_from, end, self._speech_ms, self._turns, lvl, noise))
        self._sum_from = end
        self._reset_summary()

    def _push(self, ev):
        q = self._q
        n = len(q)
        if self._qn == n:  # full: drop the oldest
            self._qhead = (self._qhead + 1) % n
            self._qn -= 1
            self.dropped += 1
        q[(self._qhead + self._qn) % n] = ev
        self._qn += 1

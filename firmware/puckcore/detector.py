"""detector — the talk-turn detector the puck runs on every 20 ms frame: features, VAD, turns, events.

    det = TurnDetector()
    det.feed(frame, now_ms)        # frame: array('h') of 320 samples; now_ms: tick of its first sample
    ev = det.pop_event()           # (EV_TURN_START, start_ms, voice)
                                   # (EV_TURN_END, start_ms, end_ms, voice, conf, level_db, cont)
                                   # (EV_SUMMARY, from_ms, to_ms, speech_ms, turns, level_db, noise_db)
    det.reset_voices()             # a session starts or ends: voice 1, 2... begin again
    det.voice_remote(voice)        # True: the voice comes from a laptop loudspeaker (the call)

Voices: while a turn lasts, each voiced frame's pitch is kept (changepoint.ChangeDetector); when the
turn ends it is cut where the voice changes, also with no pause between the two speakers, and each
piece is given an anonymous voice by voices.VoiceClusters. So one turn of the segmenter may end as
several EV_TURN_END events, one per piece, back to back. EV_TURN_START carries the voice that spoke
last (the new one is only known at the end). A turn that fills the pitch buffer is cut there.
`cont` is 1 on every piece that continues the piece before it with no pause (a voice change inside
one turn, or the cut of a long one), 0 on the first piece of a turn: `evt/turn` carries it as
`cont: true`, so the host does not count a piece as a cut-in.

Voices by a learned vector (issue 15, `voice_vector`): every second voiced frame of a turn also
goes through voicevec.VoiceVector (a fixed-point FFT, log bands, an int8 projection learned by
`talkpuck train-voices`); each piece's pooled unit vector is clustered by vectorvoices.VectorVoices,
which decides online how many voices the session has (up to `max_voices`). With `voice_vector`
off, pieces are clustered by mean pitch (voices.VoiceClusters).

Remote voices (issue 15): the low band and the frame level of every voiced frame are kept with its
pitch; the frames of each piece go to its voice's remote.RemoteCue, which decides per voice whether
it sounds like a laptop loudspeaker (band-limited, compressed).

Events are tuples made only when something happens; a frame without an event allocates nothing.
The events wait in a puckcore.ringqueue.RingQueue of `queue_len` (`det.events`): when it is full
the oldest is dropped and counted (`dropped`, reported in `tele` as `detector_dropped`).
`conf` (0-100) is how sure the detector is of the turn: the lower of its SNR confidence (20 dB and
above is 100) and the voice label's (how much nearer its voice is than the next one). Levels are
integer dBFS of the mean absolute sample.
"""
from array import array

from puckcore.changepoint import ChangeDetector
from puckcore.detect_params import DBQ, DetectParams
from puckcore.frontend import FrontEnd
from puckcore.levels import log2_q8
from puckcore.pitch import Voicing
from puckcore.remote import RemoteCue
from puckcore.ringqueue import RingQueue
from puckcore.ticks import ticks_add, ticks_diff
from puckcore.turns import IDLE, TurnSegmenter
from puckcore.vad import Vad
from puckcore.vectorvoices import VectorVoices
from puckcore.voicevec import DIM, VoiceVector
from puckcore.voices import VoiceClusters

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
        p = params
        self.changes = ChangeDetector(p.voice_buf_frames, p.voice_min_frames, p.voice_clip_q8,
                                      p.voice_split_score, p.voice_split_depth, p.frame_ms, fast)
        if p.voice_vector:  # the learned spectral vector (issue 15): every second voiced frame of a turn
            self.vec = VoiceVector((p.voice_buf_frames + 1) >> 1, fast)
            self.voices = VectorVoices(p.max_voices, DIM, p.voice_vec_new_q10, p.voice_vec_sure_q10,
                                       p.voice_vec_min_new, p.voice_weight_cap, p.voice_vec_low_w_q10)
        else:  # mean pitch alone (issue 4)
            self.vec = None
            self.voices = VoiceClusters(p.max_voices, p.voice_new_k_q4, p.voice_spread0_q4,
                                        p.voice_spread_min_q4, p.voice_spread_max_q4,
                                        p.voice_min_new_frames, p.voice_weight_cap)
        self.remote = RemoteCue(p.max_voices, p.voice_buf_frames, fast=fast)
        # one voice (the light configuration, detect_light.py): no pitch track, no voice pieces, no
        # remote cue; every turn is voice 1 and voice_remote() is not asked (caps without `voices`)
        self.voices_on = p.max_voices > 1
        self._u = array("i", [0] * DIM)
        self.last_voice = 0  # the voice of the last piece of talk (0: none yet this session)
        self._cont = 0  # 1: the next EV_TURN_END piece continues the last one (a long turn was cut)
        self._voiced_at_speech = 0  # voiced frames stored up to the turn's last speech frame
        self.events = RingQueue(params.queue_len)
        self.frames = 0
        self.talking = False
        self.voice = 0
        self._sum_from = None
        self._masking = False  # the puck's own chime is sounding (mask_until)
        self._mask_end = 0
        self.masked = 0  # frames not heard while the chime sounded
        self._reset_summary()

    # --- the contract -------------------------------------------------------------------------
    def reset_voices(self):
        """A session starts or ends: forget every voice and the pitch track (docs/privacy.md)."""
        self.voices.reset()
        if self.vec is not None:
            self.vec.clear()
        self.remote.reset()
        self.changes.reset()
        self._voiced_at_speech = 0
        self.last_voice = 0

    def mask_until(self, end_ms):
        """The puck's own chime sounds until tick `end_ms`: frames before it are not heard
        (puckcore.chime); counted in `masked`."""
        self._mask_end = end_ms
        self._masking = True

    def feed(self, frame, now_ms):
        """Process one frame whose first sample was taken at tick `now_ms`; returns queued events."""
        if self._masking:
            if ticks_diff(self._mask_end, now_ms) > 0:
                self.masked += 1
                return len(self.events)
            self._masking = False
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
            if tr.ended:
                self._end_turn()
            if tr.started:
                self._start_turn()
        cd = self.changes
        if tr.state == IDLE:
            if cd.n:
                cd.reset()  # a burst too short to be a turn: its pitch is not kept
        elif self.voices_on:
            full = False
            if vo.voicing_q8 >= p.voice_min_voicing_q8 and vo.lag > 0:
                i = cd.n
                if cd.add(vo.lag, log2_q8(vo.lag), now_ms):
                    self.remote.add(i, fe.level_dbq, fe.low_dbq)
                    if self.vec is not None and not i & 1:
                        self.vec.frame(frame, i >> 1)
                full = cd.n >= cd.cap  # only an add can fill the buffer
            if speech:
                self._voiced_at_speech = cd.n
            if full and tr.cut():
                self._end_turn()
                tr.resume()
                self._cont = 1  # the turn goes on: its next piece continues this one
                self._start_turn()
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
        return len(self.events)

    def pop_event(self):
        return self.events.get_nowait()

    @property
    def dropped(self):
        """Events lost to a full queue (the app did not pop them in time)."""
        return self.events.dropped

    # --- extras -----------------------------------------------------------------------------------
    def flush(self, now_ms):
        """End of input: close an open turn (and nothing else). Returns queued events."""
        if self.turns.flush():
            self._end_turn()
        self.changes.reset()
        return len(self.events)

    def voice_remote(self, voice):
        """True when this session's voice sounds like a laptop loudspeaker (remote.RemoteCue)."""
        return self.remote.remote(voice)

    @property
    def noise_db(self):
        return self.vad.noise_dbq // DBQ

    # --- internals --------------------------------------------------------------------------------
    def _start_turn(self):
        self.talking = True
        self.voice = self.last_voice or 1
        self.events.put((EV_TURN_START, self.turns.start_ms, self.voice))

    def _end_turn(self):
        """The turn closed: cut it where the voice changes and report one event per voice piece."""
        tr = self.turns
        cd = self.changes
        snr_conf = tr.snr_dbq * 5 // DBQ
        snr_conf = 0 if snr_conf < 0 else (100 if snr_conf > 100 else snr_conf)
        level = tr.level_dbq // DBQ
        n = self._voiced_at_speech
        if n < self.p.voice_min_frames:
            # too little voiced talk to tell whose it is: the voice that spoke last
            v = self.last_voice or 1
            self.events.put((EV_TURN_END, tr.start_ms, tr.end_ms, v, snr_conf >> 1, level, self._cont))
            self._turns += 1
        else:
            pieces = cd.split(n, log2_q8(cd.median_lag(n)))
            vs = self.voices
            start = tr.start_ms
            v = 0
            conf = 100
            cont = self._cont
            vec = self.vec
            u = self._u
            vv = vs if isinstance(vs, VectorVoices) else None  # the vector's voices (else the pitch's)
            for k in range(pieces):
                if vec is not None and vv is not None:
                    a2 = cd.bounds[k]
                    b2 = cd.bounds[k + 1]
                    if vec.piece((a2 + 1) >> 1, (b2 + 1) >> 1, cd.mean_q4[k], u):
                        pv = vv.assign(u, cd.count[k], self.remote.piece_low(a2, b2) if vv.low_w else None)
                        pconf = vv.conf
                    else:
                        pv = v or self.last_voice or 1
                        pconf = 50
                else:
                    pv = vs.assign(cd.mean_q4[k], cd.count[k])
                    pconf = vs.conf
                self.remote.take(pv, cd.bounds[k], cd.bounds[k + 1])
                if v and pv != v:  # the voice changed: report the piece so far
                    cut = cd.time_of(cd.bounds[k])
                    self.events.put((EV_TURN_END, start, cut, v, conf, level, cont))
                    self._turns += 1
                    start = cut
                    conf = 100
                    cont = 1
                v = pv
                conf = min(conf, snr_conf, pconf)
            self.events.put((EV_TURN_END, start, tr.end_ms, v, conf, level, cont))
            self._turns += 1
        self._cont = 0
        self.last_voice = v
        cd.reset()
        self._voiced_at_speech = 0
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
        self.events.put((EV_SUMMARY, self._sum_from, end, self._speech_ms, self._turns, lvl, noise))
        self._sum_from = end
        self._reset_summary()

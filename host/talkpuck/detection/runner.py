"""runner — feed int16 audio through the firmware TurnDetector frame by frame and collect turns."""
import time
from array import array

from puckcore.detector import EV_TURN_END, TurnDetector
from puckcore.ticks import ticks_add, ticks_diff

# the puck's clock at the first sample; deliberately near the 2**30 wrap so host runs cross it
T0 = (1 << 30) - 10000


def run_detector(samples, detector=None, events_out=None, remote_out=None):
    """samples: int16 numpy array at 16 kHz. Returns ([(start_s, end_s, voice)], seconds of CPU).
    remote_out: a dict to fill with {voice: remote} as the detector decides it at the end (issue 15).

    Exactly what the puck does: one `feed()` per 20 ms frame with the frame's tick time, events
    popped as they come; a final flush closes a turn still open at the end of the file.
    """
    det = detector or TurnDetector()
    n = det.FRAME_SAMPLES
    frame_ms = n * 1000 // 16000
    segs: list = []
    t0 = time.process_time()
    now = T0
    nframes = len(samples) // n
    raw = samples[: nframes * n].astype("<i2").tobytes()
    for i in range(nframes):
        frame = array("h")
        frame.frombytes(raw[i * 2 * n : (i + 1) * 2 * n])
        if det.feed(frame, now):
            _drain(det, segs, events_out)
        now = ticks_add(now, frame_ms)
    det.flush(now)
    _drain(det, segs, events_out)
    if remote_out is not None:
        for v in sorted({v for _, _, v in segs}):
            remote_out[v] = det.voice_remote(v)
    cpu = time.process_time() - t0
    dur = nframes * n / 16000.0
    out = []
    for start, end, voice in segs:
        s = max(0.0, ticks_diff(start, T0) / 1000.0)
        e = min(dur, ticks_diff(end, T0) / 1000.0)
        if e > s:
            out.append((s, e, voice))
    return out, cpu


def _drain(det, segs, events_out):
    ev = det.pop_event()
    while ev is not None:
        if events_out is not None:
            events_out.append(ev)
        if ev[0] == EV_TURN_END:
            segs.append((ev[1], ev[2], ev[3]))
        ev = det.pop_event()

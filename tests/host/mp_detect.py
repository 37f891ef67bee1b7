"""mp_detect — run the TurnDetector over a WAV under MicroPython and print every event (one per line).

Used by tests/host/test_detection_micropython.py:  micropython tests/host/mp_detect.py WAV T0
"""
import sys
from array import array

sys.path.append("bench")  # run from the repo root, as the test does

from wavpcm import pcm_start

from puckcore.detector import TurnDetector
from puckcore.ticks import ticks_add


def main(path, t0):
    with open(path, "rb") as f:
        data = f.read()
    i = pcm_start(data)
    det = TurnDetector()
    now = t0
    fr = array("h", [0] * 320)
    while i + 640 <= len(data):
        for k in range(320):
            v = data[i + 2 * k] | (data[i + 2 * k + 1] << 8)
            fr[k] = v - 65536 if v >= 32768 else v
        if det.feed(fr, now):
            ev = det.pop_event()
            while ev is not None:
                print(repr(ev))
                ev = det.pop_event()
        now = ticks_add(now, 20)
        i += 640
    det.flush(now)
    ev = det.pop_event()
    while ev is not None:
        print(repr(ev))
        ev = det.pop_event()


main(sys.argv[1], int(sys.argv[2]))

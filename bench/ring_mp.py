"""ring_mp — the ring's per-frame cost and heap growth (MicroPython or CPython; run by bench/ring_bench.py,
or directly: MICROPYPATH=firmware .venv/bin/micropython bench/ring_mp.py [LEDS]  from the repo root).

Renders every phase with the hands, mic-paused and connection-lost overlays on, through the
Controller (the path the app runs every frame), and prints one line per phase: us per frame and
bytes allocated over all its frames (MicroPython only; CPython prints -1).
"""
import sys
import time

from puckcore.controller import Controller
from puckcore.gestures import PRESS
from puckcore.settings import Settings
from puckcore.ticks import ticks_add

try:
    import gc

    gc.mem_alloc
    HAVE_GC = True
except (ImportError, AttributeError):
    HAVE_GC = False


class _Outbox:
    next_seq = 1

    def add(self, kind, fields, now_ms):
        self.next_seq += 1
        return self.next_seq - 1


def us():
    try:
        return time.ticks_us()
    except AttributeError:
        return int(time.perf_counter() * 1000000)


def main(leds):
    c = Controller("bench", "00000000", Settings({"leds": leds}), _Outbox())
    out = bytearray(3 * leds)
    t = 1000
    c.on_command("session_start", {"session": "b", "limit_s": 600}, t)
    c.on_gesture(PRESS, t)
    c.on_gesture(PRESS, t)
    c.mic_paused = True
    c.connected = False
    frames = 500
    # moments in each phase (s after the start); ended and break after a stop
    for label, at_s in (("running", 60), ("warning", 302), ("wrapup", 550), ("timeup", 601), ("overrun", 900)):
        t = ticks_add(1000, at_s * 1000)
        c.tick(t)
        run(c, out, t, label, frames)
    c.on_command("session_stop", {}, t)
    run(c, out, ticks_add(t, 5000), "ended", frames)
    t = ticks_add(t, 60000)
    c.tick(t)
    run(c, out, t, "break", frames)
    c.on_command("follow_up", {"seconds": 1800}, t)  # the follow-up window, in place of the break fill
    run(c, out, t, "follow-up", frames)


def run(c, out, t, label, frames):
    c.render(t, out)
    if HAVE_GC:
        gc.collect()
        before = gc.mem_alloc()
    t0 = us()
    for i in range(frames):
        c.render(ticks_add(t, i * 20), out)
    dt = us() - t0
    grown = gc.mem_alloc() - before if HAVE_GC else -1
    print("%s %d %d" % (label, dt // frames, grown))


main(int(sys.argv[1]) if len(sys.argv) > 1 else 24)

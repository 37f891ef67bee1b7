"""A Raspberry Pi puck under test: `talkpuck pi run` with the PortAudio stream object faked.

Run by test_pi_puck.py inside a private mount namespace that gives it a Pi's /proc/cpuinfo and
/dev/gpiochip0, with tests/fakes/pi first on sys.path (gpiod, _rpi_ws281x, the Pi 5 driver).
The microphone: `mic.s16le` in $TALKPUCK_FAKE_PI (16 kHz mono int16, looped), else silence,
delivered by a thread every 20 ms as PortAudio's callback thread does; while the file `mic.stall`
exists no block comes (a wedged USB microphone). The chime's sounddevice.play
writes what it was given to `chime.json`.
"""
import json
import os
import sys
import threading
import time

import sounddevice

FAKE = os.environ["TALKPUCK_FAKE_PI"]


class FakeRawInputStream:
    """sounddevice.RawInputStream as hal_pi opens it: a callback every `blocksize` samples."""

    def __init__(self, samplerate, channels, dtype, blocksize, device, callback):
        assert (samplerate, channels, dtype, blocksize) == (16000, 1, "int16", 320), (samplerate, channels, dtype)
        self.callback = callback
        self.blocksize = blocksize
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        path = os.path.join(FAKE, "mic.s16le")
        self.pcm = open(path, "rb").read() if os.path.exists(path) else b""

    def start(self):
        self._thread.start()

    def _run(self):
        n = 2 * self.blocksize
        pos = 0
        t = time.monotonic()
        stall = os.path.join(FAKE, "mic.stall")
        while not self._stop.is_set():
            if os.path.exists(stall):
                time.sleep(0.02)
                t = time.monotonic()
                continue
            if len(self.pcm) >= n:
                if pos + n > len(self.pcm):
                    pos = 0
                block = self.pcm[pos:pos + n]
                pos += n
            else:
                block = bytes(n)
            self.callback(block, self.blocksize, None, 0)
            t += 0.02
            time.sleep(max(0.0, t - time.monotonic()))

    def stop(self):
        self._stop.set()

    def close(self):
        pass


def fake_play(data, samplerate, device=None, blocking=False):
    with open(os.path.join(FAKE, "chime.json"), "a") as f:
        f.write(json.dumps({"samples": len(data), "rate": samplerate, "peak": int(abs(data).max())}) + "\n")


sounddevice.RawInputStream = FakeRawInputStream  # type: ignore[misc]
sounddevice.play = fake_play  # type: ignore[assignment]

if __name__ == "__main__":
    from talkpuck import cli

    sys.exit(cli.main(["pi", "run", "--config", sys.argv[1]]))

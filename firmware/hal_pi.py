"""hal_pi — the HAL for a Raspberry Pi puck (Zero 2 W, 3, 4, 5): the same core under CPython.

The only module that imports the Pi's libraries (Adafruit Blinka's `board` and `digitalio`,
adafruit-circuitpython-neopixel, sounddevice); started by `talkpuck pi run` (talkpuck/pi/runner.py).

  mic      sounddevice (PortAudio) RawInputStream, 16 kHz mono int16, 320-sample blocks (20 ms): the
           PortAudio thread's callback puts each block in a bounded queue (full: the oldest goes,
           counted in `overruns`), read() waits for the next one; USB or I2S mic (board mic.device:
           an ALSA device name or index, null for the default input)
  ring     neopixel.NeoPixel on board.D<led_data> (Blinka: rpi_ws281x on a Pi 1-4, the RP1 PIO
           driver on a Pi 5), pixel order and brightness from the board file (`ring.order`,
           `ring.brightness`: the driver's cap, under the core's `brightness` setting); written
           only when the frame changed
  button   digitalio.DigitalInOut(board.D<button>) with the board's pull (Blinka: libgpiod)
  link     paho (talkpuck.mqtt.link.PahoLink, as a simulated puck): Wi-Fi is the OS's
  watchdog systemd's: sd_notify WATCHDOG=1 on the unix datagram socket in $NOTIFY_SOCKET (the unit
           sets WatchdogSec; no socket: nothing to feed)
  chime    the OS's audio output (sounddevice.play, non-blocking): two soft notes
  storage  JSON documents in the config's `storage` folder (puckport.jsonstore)
  reset    "power" when the OS booted since the last run (/proc/sys/kernel/random/boot_id), else
           "soft" (the service restarted); puckcore.watchdog adds the task that stopped the feeding
"""
import asyncio
import os
import socket
import threading
import time
from collections import deque

import board as pi_board
import digitalio
import neopixel
import numpy as np
import sounddevice

from puckcore.ticks import PERIOD
from puckport.hal_common import HalServices
from puckport.jsonstore import JsonStore

RATE_HZ = 16000
FRAME = 320  # TurnDetector.FRAME_SAMPLES: 20 ms
_PERIOD = PERIOD or 0  # 1 << 30 under CPython (puckcore.ticks); None only on MicroPython, never here
ORDERS = {"RGB": "RGB", "GRB": "GRB", "BRG": "BRG", "RBG": "RBG", "GBR": "GBR", "BGR": "BGR"}


class PiClock:
    """Milliseconds with the device's 2**30 wrap, from the monotonic clock."""

    def __init__(self):
        self._t0 = time.monotonic()

    def now_ms(self):
        return int((time.monotonic() - self._t0) * 1000) % _PERIOD


class SoundMic:
    """16 kHz mono int16 blocks from PortAudio, handed from its thread to the asyncio loop."""

    queue_frames = 50  # 1 s of audio waits at most; older blocks are dropped and counted

    def __init__(self, device=None, stream_class=None):
        self.device = device
        self.frames = 0
        self.overruns = 0  # blocks dropped because the app fell a second behind
        self.status_errors = 0  # PortAudio's input overflow flags
        self.short_reads = 0  # tele: blocks that were not a whole frame (padded with silence)
        self._q: deque = deque()
        self._lock = threading.Lock()
        self._ready = asyncio.Event()
        self._loop = None
        self._stream = None
        self._stream_class = stream_class or sounddevice.RawInputStream

    def start(self):
        self._loop = asyncio.get_running_loop()
        self._stream = self._stream_class(samplerate=RATE_HZ, channels=1, dtype="int16", blocksize=FRAME,
                                          device=self.device, callback=self._callback)
        self._stream.start()

    def _callback(self, indata, frames, time_info, status):  # PortAudio's thread
        if status:
            self.status_errors += 1
        with self._lock:
            if len(self._q) >= self.queue_frames:
                self._q.popleft()
                self.overruns += 1
            self._q.append(bytes(indata))
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._ready.set)

    async def read(self, frame):
        if self._stream is None:
            self.start()
        while True:
            with self._lock:
                block = self._q.popleft() if self._q else None
                if not self._q:
                    self._ready.clear()
            if block is not None:
                break
            await self._ready.wait()
        n = min(len(block) // 2, len(frame))
        if n < len(frame):
            self.short_reads += 1
        mv = memoryview(block).cast("h")
        for i in range(n):
            frame[i] = mv[i]
        for i in range(n, len(frame)):
            frame[i] = 0
        self.frames += 1
        return True

    def close(self):
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


class NeoRing:
    """The WS2812 ring through adafruit-circuitpython-neopixel on Blinka."""

    def __init__(self, board):
        ring = board["ring"]
        self.n = ring["leds"]
        pin = getattr(pi_board, "D%d" % board["pins"]["led_data"])
        self.np = neopixel.NeoPixel(pin, self.n, brightness=float(ring.get("brightness", 1.0)),
                                    auto_write=False, pixel_order=ORDERS[ring.get("order", "GRB")])
        self.writes = 0
        self._last = None

    def write(self, rgb):
        frame = bytes(rgb[:3 * self.n])
        if frame == self._last:
            return
        self._last = frame
        px = self.np
        for i in range(len(frame) // 3):
            px[i] = (frame[3 * i], frame[3 * i + 1], frame[3 * i + 2])
        px.show()
        self.writes += 1

    def off(self):
        self.np.fill((0, 0, 0))
        self.np.show()
        self._last = None


class PinButton:
    def __init__(self, board):
        b = board.get("button") or {}
        self.pin = digitalio.DigitalInOut(getattr(pi_board, "D%d" % board["pins"]["button"]))
        self.pin.direction = digitalio.Direction.INPUT
        pull = b.get("pull", "up")
        self.pin.pull = {"up": digitalio.Pull.UP, "down": digitalio.Pull.DOWN, "none": None}[pull]
        self.active_low = b.get("active_low", True)

    def value(self):
        return bool(self.pin.value) != bool(self.active_low)


class SdNotify:
    """systemd's notify protocol (sd_notify(3)) without a library: one datagram per message."""

    def __init__(self, path=None):
        path = os.environ.get("NOTIFY_SOCKET") if path is None else path
        if path and path[0] == "@":
            path = "\0" + path[1:]  # an abstract socket
        self.path = path or None
        self.sent = 0
        self.errors = 0

    def notify(self, msg):
        if not self.path:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                s.sendto(msg.encode(), self.path)
            self.sent += 1
            return True
        except OSError:
            self.errors += 1
            return False

    def feed(self):  # puckcore.watchdog's interface
        self.notify("WATCHDOG=1")


class SoundChime:
    """A soft two-note chime on the OS's audio output; play() returns at once with its length."""

    notes_hz = {"warning": (880, 660), "timeup": (660, 523)}
    note_ms = 220
    level = 0.15  # of full scale: soft

    def __init__(self, device=None, player=None):
        self.device = device
        self.errors = 0
        self._play = player or sounddevice.play

    def samples(self, kind):
        t = np.arange(int(RATE_HZ * self.note_ms / 1000)) / RATE_HZ
        env = np.exp(-t * 12.0)
        notes = [np.sin(2 * np.pi * f * t) * env for f in self.notes_hz[kind]]
        return (np.concatenate(notes) * self.level * 32767).astype(np.int16)

    def play(self, kind):
        s = self.samples(kind)
        try:
            self._play(s, RATE_HZ, device=self.device, blocking=False)
        except Exception:  # no output device: the ring still shows the warning
            self.errors += 1
        return len(s) * 1000 // RATE_HZ


class PiHal(HalServices):
    def __init__(self, cfg, board, link):
        HalServices.__init__(self)
        self.clock = PiClock()
        self._t0 = time.monotonic()
        self.leds = NeoRing(board)
        self.leds.off()
        self.button = PinButton(board)
        mic = board.get("mic") or {}
        self.mic = SoundMic(mic.get("device"))
        self.link = link
        self.storage = JsonStore(cfg.storage)
        self.watchdog = SdNotify()
        chime = board.get("chime")
        if chime is not None:
            self.chime = SoundChime(chime.get("device"))

    async def sleep_ms(self, ms):
        await asyncio.sleep(ms / 1000.0)

    def mem(self):
        return (0, 0)  # a Pi has no small heap to watch

    def uptime_s(self):
        return int(time.monotonic() - self._t0)

    def reset_reason(self):
        try:
            with open("/proc/sys/kernel/random/boot_id") as f:
                os_boot = f.read().strip()
        except OSError:
            return "unknown"
        last = self.storage.load("os_boot") or {}
        self.storage.save("os_boot", {"id": os_boot})
        return "soft" if last.get("id") == os_boot else "power"


def make_hal(cfg, board, link):
    return PiHal(cfg, board, link)

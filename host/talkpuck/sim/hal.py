"""hal — the simulator's HAL: the puck firmware's hardware, played by CPython.

Clock: the puck's ticks run `speed` times faster than real time (with the device's 2**30 wrap),
so `--speed 20` plays a 30 s recording, and a 3-minute session, twenty times faster; everything on
the puck, countdown included, lives on this clock. Mic: a WAV file paced by that clock (then
silence, or the file again with `loop`). Button: a level the CLI or MQTT sets with press patterns.
LEDs: drawn on one terminal line, or kept for inspection. Link: paho-mqtt behind the same async
interface as the device's MQTT client (every fault an OSError). Storage: the firmware's jsonstore.
"""
import asyncio
import sys
import threading
import time
from array import array
from dataclasses import dataclass
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from puckcore.ticks import PERIOD
from puckport.hal_common import HalServices

if TYPE_CHECKING:
    from puckport.jsonstore import JsonStore
    from talkpuck.mqtt.link import PahoLink

FRAME = 320
FRAME_MS = 20
_PERIOD = PERIOD or 0       # the CPython twin's wrap (1 << 30); None only on MicroPython, never here


class SimClock:
    def __init__(self, speed: float = 1.0, start_ms: int = 0) -> None:
        self.speed = float(speed)
        self.start_ms = start_ms
        self._t0 = time.monotonic()

    def now_ms(self) -> int:
        return int(self.start_ms + (time.monotonic() - self._t0) * 1000 * self.speed) % _PERIOD

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self._t0) * 1000 * self.speed)

    def real_s(self, virtual_ms: float) -> float:
        return virtual_ms / 1000.0 / self.speed


class SimMic:
    """Frames from a 16 kHz int16 array, paced by the sim clock; silence (or a loop) after the end."""

    def __init__(self, clock: SimClock, samples: np.ndarray | None = None, loop: bool = False) -> None:
        self.clock = clock
        self.samples = samples if samples is not None else np.zeros(0, dtype=np.int16)
        self.loop = loop
        self.pos = 0
        self.frames = 0
        self.finished = False  # the file has been played once

    async def read(self, frame: "array[int]") -> bool:
        due = self.frames * FRAME_MS
        ahead = due - self.clock.elapsed_ms()
        if ahead > 0:
            await asyncio.sleep(self.clock.real_s(ahead))
        elif self.frames % 25 == 0:
            await asyncio.sleep(0)  # behind real time: still let the other tasks run
        n = len(self.samples)
        if self.pos + FRAME > n and self.loop and n >= FRAME:
            self.pos = 0
            self.finished = True
        chunk = self.samples[self.pos:self.pos + FRAME]
        self.pos += FRAME
        if len(chunk) < FRAME:
            self.finished = True
            for i in range(FRAME):
                frame[i] = 0
        else:
            frame[:] = _to_array(chunk)
        self.frames += 1
        return True


def _to_array(chunk: np.ndarray) -> "array[int]":
    return array("h", chunk.astype("<i2").tobytes())


@dataclass
class _Step:
    """One step of a press pattern: `level` held `hold_ms` from the poll that first saw it (`first`)."""
    level: bool
    hold_ms: int
    first: int | None = None
    polls: int = 0


class SimButton:
    """A button level driven by press patterns: lists of (level, hold_ms) on the sim clock."""

    settle_ms = 600  # longer than the gestures' double-press gap

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._plan: list[_Step] = []
        self._lock = threading.Lock()

    def press(self, pattern: Iterable[tuple[bool, int]]) -> None:
        """Queue a pattern such as [(True, 120), (False, 150), (True, 120)]; it follows any queued one."""
        with self._lock:
            for level, hold_ms in pattern:
                self._plan.append(_Step(level, hold_ms))
            # released long enough that the next pattern is a gesture of its own
            self._plan.append(_Step(False, self.settle_ms))

    def value(self) -> bool:
        """The level now. Each step lasts its hold from the poll that first sees it, and at least
        two polls (the debounce needs two readings), as a finger does: on a busy machine that polls
        less often than the sped-up steps last, a press is stretched, never lost."""
        now = self.clock.elapsed_ms()
        with self._lock:
            while self._plan:
                step = self._plan[0]
                if step.first is None:
                    step.first = now
                elif step.polls >= 2 and now - step.first >= step.hold_ms:
                    self._plan.pop(0)
                    continue
                step.polls += 1
                return bool(step.level)
            return False


class SimLeds:
    """Keeps the last frame; draws it on one terminal line when `terminal` is set."""

    def __init__(self, terminal: bool = False, label: str = "") -> None:
        self.terminal = terminal
        self.label = label
        self.last = b""
        self.writes = 0
        self._last_draw = 0.0

    def write(self, buf: bytes | bytearray) -> None:
        self.last = bytes(buf)
        self.writes += 1
        if self.terminal and time.monotonic() - self._last_draw > 0.1:
            self._last_draw = time.monotonic()
            sys.stdout.write("\r" + self.label + ansi_ring(self.last) + "\x1b[0m ")
            sys.stdout.flush()


def ansi_ring(buf: bytes) -> str:
    cells = []
    for i in range(0, len(buf) - 2, 3):
        r, g, b = buf[i], buf[i + 1], buf[i + 2]
        # scale up dim LEDs so a capped ring is still visible on a screen
        m = max(r, g, b)
        if m:
            k = 255.0 / m if m < 64 else 1.0
            r, g, b = int(r * k), int(g * k), int(b * k)
            cells.append("\x1b[38;2;%d;%d;%dm\u25cf" % (r, g, b))
        else:
            cells.append("\x1b[38;2;60;60;60m\u00b7")
    return "".join(cells)


class SimHal(HalServices):
    """The firmware's HalServices (boot id, rssi) with the simulator's clock, mic, button, LEDs, link
    and storage (puckport.jsonstore, as on a device); sleep and uptime run on the simulated clock."""

    def __init__(self, clock: SimClock, mic: SimMic, button: SimButton, leds: SimLeds, link: "PahoLink",
                 storage: "JsonStore") -> None:
        HalServices.__init__(self)
        self.clock = clock
        self.mic = mic
        self.button = button
        self.leds = leds
        self.link = link
        self.storage = storage
        self._t0 = time.monotonic()

    async def sleep_ms(self, ms: float) -> None:
        await asyncio.sleep(self.clock.real_s(ms))

    def mem(self) -> tuple[int, int]:
        return (0, 0)  # the simulator has no device heap to report

    def uptime_s(self) -> int:
        return int(self.clock.elapsed_ms() // 1000)

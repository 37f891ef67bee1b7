"""gestures — debounce a polled button level and turn presses into gestures.

Gestures (codes returned by `update()`):

    PRESS   one short press                         raise a hand
    DOUBLE  two short presses                       withdraw the most recent hand
    LONG    hold one press for long_press_ms        pause / resume the microphone (privacy)
    START   two short presses, then hold the third  start a default-length session
            for start_hold_ms ("tap, tap, hold")

A short press is reported only when no second press follows within `gap_ms` (so a double press
never raises a hand first). Three or more quick presses, a tap followed by a hold, or a hold that
is let go early in tap-tap-hold do nothing: button mashing and a hand resting on the puck cannot
start a session, and a press held past `stuck_ms` is ignored until it is released.
Call `update(level, now_ms)` every few ms (poll, no interrupt); `start_progress_ms(now_ms)` lets
the ring show the progress of the start hold.
"""
from puckcore.ticks import ticks_diff

NONE = 0
PRESS = 1
DOUBLE = 2
LONG = 3
START = 4
NAMES = ("none", "press", "double", "long", "start")

START_HOLD_MS = 3000  # tap, tap, then hold this long: start a session (the ring fills over it too)


class Gestures:
    debounce_ms = 30  # a level must hold this long to count
    gap_ms = 350  # the most time between the presses of a double press (and tap-tap-hold)
    short_max_ms = 600  # the longest press that still counts as a tap
    long_press_ms = 1500  # hold this long: mic pause/resume
    start_hold_ms = START_HOLD_MS
    stuck_ms = 10000  # a press held this long is a stuck button or something resting on it

    def __init__(self, active_low=True):
        self.active_low = active_low
        self._raw = False  # last raw (pressed) reading
        self._raw_ms = 0  # when the raw reading last changed
        self.down = False  # debounced state
        self._down_ms = 0  # when the debounced press began
        self._up_ms = 0  # when the debounced release happened
        self.taps = 0  # short presses so far in this sequence
        self._fired = False  # this press already produced its gesture (or was given up)
        self._started = False  # the first reading was taken

    def holding_ms(self, now_ms):
        """How long the current press has been held (0 when up)."""
        return ticks_diff(now_ms, self._down_ms) if self.down else 0

    def start_progress_ms(self, now_ms):
        """How long the hold of tap-tap-hold has lasted (0 when that gesture is not being made).
        The app copies it to `Controller.hold_ms` so the ring fills while the person holds."""
        if self.down and self.taps == 2 and not self._fired:
            return ticks_diff(now_ms, self._down_ms)
        return 0

    def update(self, level, now_ms):
        """Feed the pin level; returns a gesture code (NONE most of the time)."""
        pressed = (not level) if self.active_low else bool(level)
        if not self._started:
            self._started = True
            self._raw = pressed
            self._raw_ms = now_ms
            self.down = pressed
            self._down_ms = now_ms
            self._fired = pressed  # held at boot: ignore that press
            return NONE
        if pressed != self._raw:
            self._raw = pressed
            self._raw_ms = now_ms
        if pressed != self.down and ticks_diff(now_ms, self._raw_ms) >= self.debounce_ms:
            self.down = pressed
            if pressed:
                self._down_ms = now_ms
                self._fired = False
            else:
                self._up_ms = now_ms
                return self._released(now_ms)
        if self.down:
            return self._held(now_ms)
        # up: a finished sequence of taps?
        if self.taps and ticks_diff(now_ms, self._up_ms) > self.gap_ms:
            n = self.taps
            self.taps = 0
            if n == 1:
                return PRESS
            if n == 2:
                return DOUBLE
        return NONE

    def _released(self, now_ms):
        held = ticks_diff(now_ms, self._down_ms)
        if self._fired:
            self._fired = False
            self.taps = 0
            return NONE
        if held <= self.short_max_ms:
            self.taps += 1
        else:
            self.taps = 0  # a medium press or a hold let go early: nothing
        return NONE

    def _held(self, now_ms):
        if self._fired:
            return NONE
        held = ticks_diff(now_ms, self._down_ms)
        if held >= self.stuck_ms:
            self._fired = True
            self.taps = 0
            return NONE
        if self.taps == 0 and held >= self.long_press_ms:
            self._fired = True
            return LONG
        if self.taps == 2 and held >= self.start_hold_ms:
            self._fired = True
            self.taps = 0
            return START
        if self.taps != 0 and self.taps != 2 and held > self.short_max_ms:
            self._fired = True  # tap-hold or taps-hold: nothing
            self.taps = 0
        return NONE

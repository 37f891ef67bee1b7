"""chime — a soft chime when the session enters the warning and time up, masked from the detector.

Optional and off by default (setting `chime`): for people who are not looking at the ring. The
sound itself is the platform's (`hal.chime.play(kind) -> ms`: a piezo on PWM on the MCUs, the
Pi's audio output), started without waiting; this decides when, and tells the detector the
interval it sounds (plus the room's echo, `tail_ms`) so the puck never hears its own chime as a
turn (TurnDetector.mask_until).

    chime.update(phase, enabled, now, detector)    the ui task, every frame: chimes on the way
                                                   into WARNING (or a later zone, for a session
                                                   started late) and into TIMEUP; never at a
                                                   restore, a stop or a break
"""
from puckcore.session import OVERRUN, TIMEUP, WARNING
from puckcore.ticks import ticks_add


class Chime:
    tail_ms = 200  # after the last note: the room's echo and the speaker's ring-down

    def __init__(self, hw):
        self.hw = hw  # .play(kind) -> duration ms; None: the board has no speaker
        self.plays = 0
        self._phase = -1  # not seen yet: the first phase seen (a restored session) is no cue

    def update(self, phase, enabled, now, detector):
        prev = self._phase
        if phase == prev:
            return False
        self._phase = phase
        if prev < 0 or phase < prev or phase > OVERRUN:  # a restore, a new session, the end
            return False
        if prev < TIMEUP <= phase:
            kind = "timeup"
        elif prev < WARNING <= phase:  # also a session started inside its warning or wrap-up
            kind = "warning"
        else:
            return False
        if not enabled or self.hw is None:
            return False
        ms = self.hw.play(kind)
        detector.mask_until(ticks_add(now, ms + self.tail_ms))
        self.plays += 1
        return True

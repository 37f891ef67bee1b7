"""The chime: sounds on the way into the warning and time up when the setting is on, never at a
restore or when off, and the detector does not hear it (its frames are masked)."""
import asyncio
import json

from fakes.hal import FakeHal, FakeMic
from fakes.signals import Lcg, noise_frame, tone_frame
from puckcore.chime import Chime
from puckcore.detector import EV_TURN_END, TurnDetector
from puckcore.puck import Puck
from puckcore.session import IDLE, RUNNING, TIMEUP, WARNING, WRAPUP
from puckcore.settings import Settings
from puckcore.ticks import ticks_add, ticks_diff

DEV = "puck-c1"
ROOT = "talkpuck/v1/puck-c1/"


class FakeChime:
    """The speaker: each play lasts `ms`; `until` is when the sound ends (the mic hears it until then)."""

    ms = 600

    def __init__(self, clock):
        self.clock = clock
        self.kinds = []
        self.until = None

    def play(self, kind):
        self.kinds.append(kind)
        self.until = ticks_add(self.clock.now_ms(), self.ms)
        return self.ms


class ChimeHearingMic(FakeMic):
    """Silence, except a loud 1 kHz tone while the chime sounds (the puck hears its own speaker)."""

    def __init__(self, clock, chime):
        FakeMic.__init__(self, clock)
        self.chime = chime
        self.chime_frames = 0

    async def read(self, frame):
        self.clock.advance(20)
        self.frames += 1
        c = self.chime
        if c.until is not None and ticks_diff(c.until, self.clock.now_ms()) > 0:
            self.chime_frames += 1
            frame[:] = tone_frame(8000, 4, self.frames * 64)
        else:
            for i in range(len(frame)):
                frame[i] = 0
        await asyncio.sleep(0)
        return True


class FakeDetector:
    def __init__(self):
        self.masks = []

    def mask_until(self, end):
        self.masks.append(end)


def test_cue_only_on_the_way_in():
    hw = FakeChime(None)
    hw.clock = type("C", (), {"now_ms": lambda self: 0})()
    det = FakeDetector()
    c = Chime(hw)
    assert c.update(WARNING, True, 100, det) is False  # first phase seen: a restored session, no cue
    assert c.update(WARNING, True, 120, det) is False
    assert c.update(IDLE, True, 140, det) is False
    assert c.update(RUNNING, True, 160, det) is False
    assert c.update(WARNING, True, 180, det) is True
    assert det.masks == [180 + 600 + Chime.tail_ms]
    assert c.update(WRAPUP, True, 200, det) is False
    assert c.update(TIMEUP, True, 220, det) is True
    assert hw.kinds == ["warning", "timeup"]
    c2 = Chime(hw)
    c2.update(RUNNING, False, 0, det)
    assert c2.update(WARNING, False, 20, det) is False  # the setting is off (the default)
    assert Chime(None).update(IDLE, True, 0, det) is False
    assert c2.plays == 0 and c.plays == 2


def _chime_audio(mask):
    d = TurnDetector()
    rng = Lcg()
    t = 0
    ends = 0
    for i in range(300):
        if 100 <= i < 140:
            if mask and i == 100:
                d.mask_until(t + 40 * 20 + 200)
            f = tone_frame(8000, 4, i * 64, 30, rng)  # a 1 kHz chime, 800 ms
        else:
            f = noise_frame(30, rng)
        d.feed(f, t)
        while True:
            ev = d.pop_event()
            if ev is None:
                break
            ends += ev[0] == EV_TURN_END
        t += 20
    return ends, d.masked


def test_detector_masks_a_synthetic_chime():
    assert _chime_audio(False)[0] >= 1  # unmasked, the chime is a turn
    assert _chime_audio(True) == (0, 50)  # masked: not heard (40 frames of chime + 10 of tail)


def _session(chime_on):
    hal = FakeHal()
    hal.chime = FakeChime(hal.clock)
    hal.mic = ChimeHearingMic(hal.clock, hal.chime)
    puck = Puck.from_storage(hal, DEV, settings=Settings({"chime": chime_on}))

    async def main():
        puck.start()
        try:
            await hal.run_for_ms(300)
            doc = {"id": "c1", "ts": 1795258800000, "ttl_s": 30, "session": "s-1", "limit_s": 10, "warn_s": 5}
            hal.link.inject(ROOT + "cmd/session_start", json.dumps(doc).encode())
            await hal.run_for_ms(12000)
        finally:
            puck.deinit()

    asyncio.run(main())
    return hal, puck


def test_puck_chimes_at_warning_and_time_up_and_does_not_hear_it():
    hal, puck = _session(True)
    assert puck.ctrl.session.phase >= TIMEUP
    assert hal.chime.kinds == ["warning", "timeup"]
    assert hal.mic.chime_frames >= 50  # the mic did hear two 600 ms chimes
    assert puck.detector.masked >= hal.mic.chime_frames
    assert hal.link.topics("/evt/turn") == []  # no turn from the puck's own chime


def test_no_chime_by_default():
    assert Settings().chime is False  # pyright: ignore[reportAttributeAccessIssue]
    hal, puck = _session(False)
    assert puck.ctrl.session.phase >= TIMEUP
    assert hal.chime.kinds == [] and puck.detector.masked == 0

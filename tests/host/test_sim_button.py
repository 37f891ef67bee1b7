"""The simulated button never loses a press when a busy machine polls it less often than the
sped-up press lasts (the cause of a flaky end-to-end 'hand queued' timeout under load)."""
from puckcore.gestures import NONE, PRESS, Gestures
from talkpuck.sim.hal import SimButton


class JumpyClock:
    def __init__(self):
        self.ms = 0

    def elapsed_ms(self):
        return self.ms


def _gestures(button, clock, poll_ms, polls, pattern):
    g = Gestures(active_low=False)
    for _ in range(5):  # the puck has been polling an idle button since boot
        g.update(button.value(), clock.ms)
        clock.ms += poll_ms
    button.press(pattern)
    out = []
    for _ in range(polls):
        got = g.update(button.value(), clock.ms)
        if got != NONE:
            out.append(got)
        clock.ms += poll_ms
    return out


def test_a_press_shorter_than_the_poll_gap_is_still_a_press():
    clock = JumpyClock()
    button = SimButton(clock)
    assert _gestures(button, clock, 200, 20, [(True, 120)]) == [PRESS]


def test_polled_often_a_press_is_a_press():
    clock = JumpyClock()
    button = SimButton(clock)
    assert _gestures(button, clock, 5, 400, [(True, 120)]) == [PRESS]


def test_every_step_is_seen_at_least_twice_and_in_order():
    clock = JumpyClock()
    button = SimButton(clock)
    button.press([(True, 120), (False, 150), (True, 120)])
    levels = []
    for _ in range(8):
        clock.ms += 1000
        levels.append(button.value())
    assert levels == [True, True, False, False, True, True, False, False]

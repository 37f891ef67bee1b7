"""The simulated button reports every level of a pattern for its hold time as the poller sees it."""
from talkpuck.sim.hal import SimButton


class Clock:
    def __init__(self):
        self.t = 0

    def elapsed_ms(self):
        return self.t


def _levels(button, clock, polls):
    out = []
    for at in polls:
        clock.t = at
        out.append(button.value())
    return out


def test_a_tap_is_seen_even_when_the_poller_was_held_up():
    clock = Clock()
    b = SimButton(clock)
    b.press([(True, 120)])
    # the first poll comes 500 ms late, long after a 120 ms tap would have been over
    assert _levels(b, clock, [500, 560, 619, 620, 900, 1219, 1220, 1300]) == [
        True, True, True, False, False, False, False, False]


def test_a_double_press_keeps_its_gap():
    clock = Clock()
    b = SimButton(clock)
    b.press([(True, 120), (False, 150), (True, 120)])
    assert _levels(b, clock, [0, 120, 200, 270, 300, 390, 400]) == [True, False, False, True, True, False, False]

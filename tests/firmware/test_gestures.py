"""Button gestures: debounce, press, double, long, tap-tap-hold start, and what must do nothing."""
from puckcore.gestures import DOUBLE, LONG, NONE, PRESS, START, Gestures
from fakes.clock import FakeClock

UP = 1  # active low: released reads 1
DOWN = 0


class Rig:
    def __init__(self):
        self.c = FakeClock()  # starts 5 s before the ticks wrap: every test crosses it
        self.g = Gestures()
        self.got = []
        self.run(UP, 100)

    def run(self, level, ms, step=5):
        for _ in range(ms // step):
            self.c.advance(step)
            r = self.g.update(level, self.c.now_ms())
            if r != NONE:
                self.got.append(r)
        return self

    def tap(self, down_ms=100, up_ms=100):
        return self.run(DOWN, down_ms).run(UP, up_ms)

    def settle(self):
        return self.run(UP, 1000)


def test_short_press_raises_after_the_gap():
    r = Rig().tap()
    assert r.got == []  # still waiting to see whether a second press follows
    r.settle()
    assert r.got == [PRESS]


def test_bounce_is_ignored():
    r = Rig()
    for _ in range(5):  # contact bounce shorter than debounce_ms
        r.run(DOWN, 10).run(UP, 10)
    r.settle()
    assert r.got == []
    r.run(DOWN, 10)
    for _ in range(4):
        r.run(UP, 5).run(DOWN, 10)
    r.run(DOWN, 100).settle()
    assert r.got == [PRESS]


def test_double_press_withdraws():
    r = Rig().tap().tap().settle()
    assert r.got == [DOUBLE]


def test_two_slow_presses_are_two_hands():
    r = Rig().tap().settle().tap().settle()
    assert r.got == [PRESS, PRESS]


def test_long_press_at_threshold_once():
    r = Rig()
    r.run(DOWN, Gestures.long_press_ms - 50)
    assert r.got == []
    r.run(DOWN, 200)
    assert r.got == [LONG]
    r.run(DOWN, 1000).settle()
    assert r.got == [LONG]


def test_tap_tap_hold_starts():
    r = Rig().tap().tap()
    r.run(DOWN, Gestures.start_hold_ms - 100)
    assert r.got == []  # no LONG on the way
    r.run(DOWN, 200)
    assert r.got == [START]
    r.settle()
    assert r.got == [START]


def test_accidents_do_nothing():
    r = Rig().tap().tap().run(DOWN, 2000).settle()  # tap-tap-hold let go early
    assert r.got == []
    r = Rig().tap().tap().tap().settle()  # three taps
    assert r.got == []
    r = Rig().tap().run(DOWN, 4000).settle()  # tap then hold
    assert r.got == []
    r = Rig().run(DOWN, 900).settle()  # a medium press
    assert r.got == []
    r = Rig().run(DOWN, Gestures.stuck_ms + 500).settle()  # resting on it: the LONG came at 1.5 s only
    assert r.got == [LONG]


def test_held_at_boot_is_ignored():
    g = Gestures()
    c = FakeClock()
    got = []
    for _ in range(600):
        c.advance(5)
        r = g.update(DOWN, c.now_ms())
        if r:
            got.append(r)
    assert got == []


def test_holding_ms():
    r = Rig()
    assert r.g.holding_ms(r.c.now_ms()) == 0
    r.run(DOWN, 500)
    h = r.g.holding_ms(r.c.now_ms())
    assert 450 <= h <= 500


def test_start_progress_only_in_tap_tap_hold():
    r = Rig()
    r.run(DOWN, 1000)
    assert r.g.start_progress_ms(r.c.now_ms()) == 0  # a plain hold is not a start
    r.settle()
    r.tap().tap().run(DOWN, 1000)
    p = r.g.start_progress_ms(r.c.now_ms())
    assert 950 <= p <= 1000
    r.run(DOWN, 2500)
    assert r.g.start_progress_ms(r.c.now_ms()) == 0  # fired: done

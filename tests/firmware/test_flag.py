"""Flag: the Event-like flag pure code raises; `notify` wakes one waiter for several flags."""
from puckcore.flag import Flag


def test_set_clear_is_set():
    f = Flag()
    assert not f.is_set()
    f.set()
    assert f.is_set()
    f.clear()
    assert not f.is_set()


def test_notify_is_set_too_and_cleared_separately():
    wake = Flag()
    a = Flag(wake)
    b = Flag(wake, on=True)
    assert wake.is_set() and b.is_set() and not a.is_set()
    wake.clear()
    a.set()
    assert wake.is_set() and a.is_set()
    wake.clear()
    assert a.is_set()  # the waiter's wake-up and the flag itself are separate

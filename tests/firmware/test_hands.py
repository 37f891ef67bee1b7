"""Hands waiting on one puck: add up to the limit, withdraw the newest, ack/lower/clear by number."""
from puckcore.hands import Hands


def test_add_until_full():
    h = Hands(3)
    assert h.add(5) and h.add(9) and h.add(12)
    assert not h.add(13)
    assert h.count == 3 and h.full()
    assert h.next() == 5


def test_withdraw_takes_the_newest():
    h = Hands(4)
    h.add(5)
    h.add(9)
    assert h.withdraw() == 9
    assert h.count == 1 and h.next() == 5
    assert h.withdraw() == 5
    assert h.withdraw() == 0


def test_ack_by_number_keeps_the_others():
    h = Hands(4)
    for n in (3, 7, 11):
        h.add(n)
    assert h.ack(7, 1000)
    assert h.count == 2 and h.at(0) == 3 and h.at(1) == 11
    assert h.last_ack == 7 and h.last_ack_ms == 1000 and h.acked
    assert not h.ack(7, 2000)  # already gone
    assert h.last_ack_ms == 1000


def test_lower_and_clear():
    h = Hands(4)
    h.add(3)
    h.add(4)
    assert h.lower(3) and not h.lower(3)
    assert h.last_ack == 0
    assert h.clear() == 1
    assert h.count == 0 and h.next() == 0


def test_resized_keeps_hands_up_to_the_new_limit_and_the_last_ack():
    h = Hands(4)
    for n in (11, 12, 13):
        h.add(n)
    h.ack(12, 500)
    assert h.resized(4) is h
    small = h.resized(1)
    assert (small.limit, small.count, small.next(), small.last_ack, small.last_ack_ms, small.acked) == (1, 1, 11, 12, 500, True)
    big = h.resized(6)
    assert (big.count, big.at(0), big.at(1), big.full()) == (2, 11, 13, False)

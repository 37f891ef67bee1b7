"""The bounded outbox: seq stamping, at-least-once acks, drop-oldest with a count."""
import json

from puckcore.outbox import Outbox


def test_seq_and_ack():
    o = Outbox("7f3a9c2e", capacity=4)
    assert o.next_seq == 1
    s1 = o.add("turn", {"voice": 1}, 100)
    s2 = o.add("hand", {"action": "raise"}, 200)
    assert (s1, s2, len(o), o.last_seq) == (1, 2, 2, 2)
    seq, kind, payload = o.peek()
    doc = json.loads(payload)
    assert (seq, kind, doc["seq"], doc["boot"], doc["ms"], doc["voice"], doc["v"]) == (1, "turn", 1, "7f3a9c2e", 100, 1, 1)
    assert not o.ack(2)  # not the oldest: nothing happens
    assert o.ack(1)
    assert o.peek()[0] == 2
    assert o.ack(2)
    assert o.peek() is None and len(o) == 0


def test_full_drops_oldest_and_counts():
    o = Outbox("b", capacity=3)
    for i in range(5):
        o.add("vad", {"i": i}, i)
    assert len(o) == 3 and o.dropped == 2
    assert o.peek()[0] == 3
    assert not o.ack(1)  # acking a dropped event is harmless
    seen = []
    while o.peek():
        seen.append(o.peek()[0])
        o.ack(seen[-1])
    assert seen == [3, 4, 5]


def test_first_seq():
    o = Outbox("b", first_seq=10)
    assert o.add("mic", {"mic": "on"}, 0) == 10

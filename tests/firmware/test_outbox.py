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


def test_default_holds_ten_busy_minutes():
    # issue 13: a 10-minute outage in a lively meeting is 100-200 turns plus vad, hands, phases
    o = Outbox("b")
    assert o.capacity >= 300
    for i in range(300):
        o.add("turn", {"i": i}, i)
    assert len(o) == 300 and o.dropped == 0 and o.peek()[0] == 1


def test_seq_and_kind_survive_wrap_drops_and_acks():
    # only payloads are queued; seq and kind are derived: check them across many laps of the ring
    kinds = ("turn", "vad", "hand", "session", "mic")
    o = Outbox("b", capacity=7)
    sent = []
    for i in range(1, 60):
        o.add(kinds[i % 5], {"i": i}, i)
        if i % 3 == 0:  # the link gets one out now and then
            item = o.peek()
            assert o.ack(item[0])
            sent.append(item)
    while o.peek():
        item = o.peek()
        o.ack(item[0])
        sent.append(item)
    for seq, kind, payload in sent:
        doc = json.loads(payload)
        assert doc["seq"] == seq and doc["i"] == seq and kind == kinds[seq % 5]
    seqs = [s[0] for s in sent]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert len(seqs) + o.dropped == 59  # every event was either sent or counted as dropped


def test_rewind_sends_again_what_was_acked_recently():
    # a broker killed before it saved what it acked loses it: after a link fault the puck sends
    # the recently acked events again (the host drops duplicates by (device, boot, seq))
    o = Outbox("b", capacity=8)
    o.resend_ms = 1000
    for i in range(4):
        o.add("vad", {"i": i}, 0)
    assert o.ack(1, 100) and o.ack(2, 1500) and o.ack(3, 1600)
    assert len(o) == 1 and o.peek()[0] == 4
    assert o.rewind(2200) == 2  # seq 1 was acked 2.1 s ago: gone; 2 and 3 wait again
    assert len(o) == 3 and [o.peek()[0], o.peek()[1]] == [2, "vad"]
    assert json.loads(o.peek()[2])["seq"] == 2
    for seq in (2, 3, 4):
        assert o.ack(seq, 2300)
    assert len(o) == 0 and o.peek() is None and o.dropped == 0


def test_kept_acked_events_give_way_uncounted():
    o = Outbox("b", capacity=3)
    for i in range(3):
        o.add("vad", {"i": i}, 0)
        assert o.ack(i + 1, 10)
    for i in range(3):  # the kept ones make room: nothing unsent is lost
        o.add("vad", {"i": i}, 20)
    assert o.dropped == 0 and len(o) == 3 and o.peek()[0] == 4
    o.add("vad", {}, 30)  # now a full ring of unsent events: the oldest goes, counted
    assert o.dropped == 1 and len(o) == 3 and o.peek()[0] == 5


def test_events_sent_again_give_way_uncounted():
    # acked once, then waiting again after a rewind: a full outbox drops them first and does not
    # count them (the host's loss figure must equal the counted drops)
    o = Outbox("b", capacity=4)
    for i in range(3):
        o.add("vad", {}, 0)
        o.ack(i + 1, 10)
    assert o.rewind(20) == 3 and len(o) == 3
    for _ in range(4):
        o.add("vad", {}, 30)
    assert o.dropped == 0 and len(o) == 4 and o.peek()[0] == 4
    o.add("vad", {}, 40)
    assert o.dropped == 1 and o.peek()[0] == 5


def test_dropped_while_being_published_then_acked_is_not_a_loss():
    # a full outbox drops its oldest even while the link task is publishing it; if the broker then
    # acks it, it was delivered (the host stores it), so the puck's loss count must not keep it
    o = Outbox("b", capacity=3)
    for i in range(3):
        o.add("vad", {"i": i}, i)
    seq = o.peek()[0]  # the link task starts publishing seq 1 ...
    o.add("vad", {"i": 3}, 3)  # ... a burst fills the outbox: seq 1 goes, counted
    o.add("vad", {"i": 4}, 4)  # seq 2 goes too: never published, a real loss
    assert o.dropped == 2
    assert not o.ack(seq)  # ... the PUBACK for seq 1 arrives: delivered after all
    assert o.dropped == 1
    assert not o.ack(seq) and o.dropped == 1  # a repeated ack uncounts nothing more
    assert [o.peek()[0]] == [3]


def test_dropped_while_being_published_without_an_ack_stays_counted():
    o = Outbox("b", capacity=2)
    o.add("vad", {}, 0)
    o.add("vad", {}, 1)
    o.peek()  # published, but the link fails before the PUBACK: no ack()
    o.add("vad", {}, 2)
    assert o.dropped == 1 and o.peek()[0] == 2
    assert o.ack(2) and o.dropped == 1

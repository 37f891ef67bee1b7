"""usbarq: a window of unacknowledged frames, cumulative acks, retransmit after retry_ms (go-back-N),
in-order delivery with duplicates and gaps refused and counted, acks only after done(), seq wrap."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckport.usbarq import Arq, seq_diff  # noqa: E402


def test_window_is_flow_control():
    a = Arq(window=3, retry_ms=100)
    assert [a.add(3, b"x%d" % i, 0) for i in range(3)] == [0, 1, 2]
    assert not a.can_send()
    try:
        a.add(3, b"too many", 0)
        assert False, "a full window must refuse"
    except ValueError:
        pass
    assert a.on_ack(2, 10) == 2  # cumulative: frames 0 and 1
    assert a.is_acked(0) and a.is_acked(1) and not a.is_acked(2)
    assert a.can_send() and a.in_flight() == 1
    assert a.on_ack(1, 10) == 0 and a.on_ack(200, 10) == 0  # old or nonsense: ignored


def test_retransmit_after_timeout_all_unacked_oldest_first():
    a = Arq(window=4, retry_ms=100)
    a.add(3, b"a", 1000)
    a.add(3, b"b", 1050)
    assert not a.retransmit_due(1099)
    assert a.retransmit_due(1100)
    assert a.unacked(1100) == [(0, 3, b"a"), (1, 3, b"b")]
    assert a.retransmits == 2 and not a.retransmit_due(1150)
    a.on_ack(1, 1160)  # progress restarts the timer for what is left
    assert not a.retransmit_due(1200) and a.retransmit_due(1260)
    a.on_ack(2, 1270)
    assert not a.retransmit_due(99999) and a.unacked(99999) == []


def test_receiver_delivers_in_order_and_acks_only_when_done():
    a = Arq()
    assert a.accept(0) and a.ack == 0  # accepted, not yet handled
    a.done()
    assert a.ack == 1
    assert not a.accept(0) and a.duplicates == 1  # a retransmission of a handled frame
    assert not a.accept(2) and a.out_of_order == 1  # frame 1 was broken: go back
    assert a.accept(1) and a.accept(2)
    a.done()
    a.done()
    a.done()  # more done() than accepted frames does nothing
    assert a.ack == 3


def test_sequence_numbers_wrap():
    a = Arq(window=4)
    b = Arq(window=4)
    for i in range(600):
        seq = a.add(3, i, i)
        assert b.accept(seq)
        b.done()
        assert a.on_ack(b.ack, i) == 1
    assert a.tx_next == 600 & 0xFF and seq_diff(0, 255) == 1 and seq_diff(255, 0) == -1


def test_reset_starts_a_new_session():
    a = Arq()
    a.add(3, b"x", 0)
    a.accept(0)
    a.done()
    a.reset()
    assert a.in_flight() == 0 and a.ack == 0 and a.unacked(0) == [] and a.accept(0)

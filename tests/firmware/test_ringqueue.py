"""RingQueue: drop-oldest with a count, peek/get, the Event it sets, async get, no growth."""
import asyncio

from puckcore.flag import Flag
from puckcore.ringqueue import RingQueue


def test_fifo_peek_and_get():
    q = RingQueue(3)
    assert len(q) == 0 and q.peek() is None and q.get_nowait() is None and not q.full()
    assert q.put("a") is False and q.put("b") is False
    assert len(q) == 2 and q.peek() == "a" and len(q) == 2
    assert q.get_nowait() == "a" and q.get_nowait() == "b" and q.get_nowait() is None
    assert q.dropped == 0


def test_full_queue_drops_the_oldest_and_counts_it():
    q = RingQueue(3)
    for i in range(5):
        q.put(i)
    assert q.full() and len(q) == 3 and q.dropped == 2
    got = []
    while len(q):
        got.append(q.get_nowait())
    assert got == [2, 3, 4]
    for i in range(7):  # wraps round the buffer several times
        assert q.put(i) is (i >= 3)
    assert q.dropped == 6 and [q.get_nowait() for _ in range(3)] == [4, 5, 6]


def test_get_lets_the_item_go_and_clear_empties():
    q = RingQueue(2)
    q.put([1])
    q.get_nowait()
    assert q._q == [None, None]  # the queue keeps no reference to a taken item
    q.put(1)
    q.put(2)
    q.clear()
    assert len(q) == 0 and q.dropped == 0


def test_put_sets_the_event():
    f = Flag()
    q = RingQueue(2, f)
    assert not f.is_set()
    q.put(1)
    assert f.is_set()


def test_async_get_waits_for_a_put():
    async def go():
        q = RingQueue(4, asyncio.Event())
        got = []

        async def consumer():
            for _ in range(3):
                got.append(await q.get())

        t = asyncio.create_task(consumer())
        await asyncio.sleep(0)
        assert got == []
        q.put("x")
        q.put("y")
        await asyncio.sleep(0)
        q.put("z")
        for _ in range(5):
            await asyncio.sleep(0)
        assert got == ["x", "y", "z"]
        await t

    asyncio.run(go())


def test_size_must_be_positive():
    try:
        RingQueue(0)
    except ValueError:
        return
    assert False, "RingQueue(0) must be refused"

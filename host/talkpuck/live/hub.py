"""hub — the in-process pub/sub behind the server-sent event streams (/api/live/stream).

Whoever changes what the pages show calls `notify()` (the ingest path after it stored a message, the
API after a state-changing request); it is thread-safe and costs a flag and a wake-up. One builder
task on the web server's event loop then builds the snapshot ONCE (talkpuck.live.snapshot, in a
worker thread: SQL), serialises each room once, and fans the result out: each subscriber gets the
rooms its user may see, joined from those strings, on its own bounded queue. Nothing is built per
browser and nothing polls the database per browser. Changes closer together than `min_interval_s`
are coalesced; while a session runs or a hand waits, it also rebuilds every `tick_s` (time left and
wait times move).

A subscriber whose queue is full (a browser that stopped reading) is dropped: its stream ends,
`dropped_clients` and the store counter `sse:dropped` count it, and the browser's EventSource
reconnects and starts from a fresh snapshot. Identical payloads are not sent twice to one client.
"""
import asyncio
import logging
import time

from talkpuck.auth.rooms import can_see
from talkpuck.live import snapshot

log = logging.getLogger(__name__)


class Subscriber:
    def __init__(self, who, maxsize):
        self.who = who
        self.queue = asyncio.Queue(maxsize)
        self.last = None
        self.dropped = False


class LiveHub:
    queue_max = 8            # payloads waiting per client before it counts as slow and is dropped
    min_interval_s = 0.1     # changes closer than this are one build
    tick_s = 1.0             # rebuild this often while anything counts down

    def __init__(self, store, hands_queue=None, build=None):
        self.store = store
        self.hands = hands_queue
        self.follow_total = {}                # device -> seconds of the follow-up window the host set last
        self._build = build or (lambda: snapshot.build(self.store, self.hands, follow_total=self.follow_total))
        self._subs = set()
        self._loop = None
        self._wake = None
        self._task = None
        self._dirty = True
        self._building = None                 # the asyncio task of the build in progress
        self.current = None                   # (snapshot dict, {room: json}) of the last build
        self.builds = 0
        self.sent = 0
        self.dropped_clients = 0
        self.notified = 0

    # -- producers (any thread) ---------------------------------------------------------------------
    def notify(self, *what):
        """Something the pages show changed; cheap, thread-safe, never blocks."""
        self.notified += 1
        self._dirty = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:              # the loop closed (server stopping)
                pass

    # -- consumers (the event loop) -----------------------------------------------------------------
    async def subscribe(self, who):
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._wake, self._task, self._building = loop, asyncio.Event(), None, None
        sub = Subscriber(who, self.queue_max)
        self._subs.add(sub)
        if self.current is None or self._dirty:
            await self._rebuild()
        self._offer(sub)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())
        return sub

    def unsubscribe(self, sub):
        self._subs.discard(sub)

    @property
    def clients(self):
        return len(self._subs)

    def payload_for(self, who):
        """The JSON text one user gets from the last build (only the rooms it may see)."""
        snap, parts = self.current
        rooms = [parts[r["room"]] for r in snap["rooms"] if can_see(who, r["room"])]
        return '{"now_ms":%d,"rooms":[%s]}' % (snap["now_ms"], ",".join(rooms))

    def _offer(self, sub):
        if sub.dropped:
            return
        text = self.payload_for(sub.who)
        if text == sub.last:
            return
        try:
            sub.queue.put_nowait(text)
        except asyncio.QueueFull:
            sub.dropped = True
            self._subs.discard(sub)
            self.dropped_clients += 1
            try:
                self.store.incr("sse:dropped")
            except Exception:
                log.exception("live hub: cannot count a dropped client")
            sub.queue = asyncio.Queue(1)
            sub.queue.put_nowait(None)        # wakes its stream, which then ends
            return
        sub.last = text
        self.sent += 1

    async def _rebuild(self):
        """One build at a time: whoever asks while one runs (a page opening, the builder) waits for it."""
        task = self._building
        if task is None or task.done():
            task = self._building = asyncio.ensure_future(self._build_once())
        await asyncio.shield(task)

    async def _build_once(self):
        self._dirty = False
        snap = await asyncio.to_thread(self._build)
        parts = {r["room"]: snapshot.room_json(r) for r in snap["rooms"]}
        self.current = (snap, parts)
        self.builds += 1

    def _ticking(self):
        snap = self.current[0] if self.current else None
        if not snap:
            return False
        return any(r["session"] and r["session"]["phase"] in snapshot.LIVE or
                   any(h["state"] == "waiting" for h in r["hands"]) or
                   any(d["phase"] in snapshot.LIVE for d in r["devices"]) for r in snap["rooms"])

    async def _run(self):
        last = 0.0
        while self._subs:
            wake = self._wake
            try:
                await asyncio.wait_for(wake.wait(), timeout=self.tick_s if self._ticking() else 15.0)
            except asyncio.TimeoutError:
                if not self._ticking():
                    continue
                self._dirty = True
            wake.clear()
            if not self._dirty:
                continue
            pause = self.min_interval_s - (time.monotonic() - last)
            if pause > 0:
                await asyncio.sleep(pause)    # coalesce a burst of changes into one build
            last = time.monotonic()
            try:
                await self._rebuild()
            except Exception:
                log.exception("live hub: building the snapshot failed")
                continue
            for sub in list(self._subs):
                self._offer(sub)
        self._task = None

"""hub — the in-process pub/sub behind the server-sent event streams (/api/live/stream).

Whoever changes what the pages show calls `notify()`: ingest with the device it stored a message for,
the API with the device or room a request changed (`notify()` alone: everything). It is thread-safe
and costs a set insertion and a wake-up. One builder task on the web server's event loop then rebuilds
only the rooms that changed (talkpuck.live.snapshot with `rooms=`, in a worker thread: SQL; a device
that moved, appeared or left is seen by comparing each device's room with the last build's),
serialises each rebuilt room once, and keeps each room's JSON. A rebuilt room whose JSON did not
change is not news.

Pushes: a new stream first gets the whole snapshot of the rooms its user may see
(`{"now_ms", "rooms": [...]}`, as GET /api/live); after that only what changed since its last push:
`{"now_ms", "delta": true, "rooms": [the changed rooms it may see], "removed": [room names gone]}`,
which the pages merge by room name. Each room carries its own `now_ms` (when it was built), from which
the pages count its time left and hand waits down themselves: nothing is rebuilt every second for
the countdowns. A room where something counts down (a session, a waiting hand) is rebuilt at least
every `refresh_s` as a safety refresh; the puck's own state reports (every few seconds while a session
runs, and at every phase change) rebuild it anyway. Builds start at least `min_interval_s` apart and
run one at a time: the changes notified during a build are the next build's.

What a build reads: for ingest's changes (devices named), those devices' rooms; every device's room
(one light query: a move nobody notified, from another process) on a change that names a room or
nothing, and at least every `moves_s`. A session's balance of voices comes from its VoiceTally
(talkpuck.analytics.tally), fed the turns stored since the last build (snapshot.figures).

Where the time goes: `timing()` (GET /api/live/timing) gives, over the last builds, the time from the
first change a build took to its start, the build, and the fan-out to every stream's queue.

Who may see what is read again every `refresh_s` (a user's rooms changed by `talkpuck user`, in
another process): a room newly visible comes in a delta, one no longer visible is in its `removed`,
and the stream of a user who was removed ends.

A subscriber whose queue is full (a browser that stopped reading) is dropped: its stream ends,
`dropped_clients` and the store counter `sse:dropped` count it, and the browser's EventSource
reconnects and starts from a fresh snapshot. Nothing is sent to a client when nothing it may see
changed.
"""
import asyncio
import collections
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from puckcore.protocol import LIVE_PHASES as LIVE

from talkpuck.auth.rooms import can_see
from talkpuck.live import snapshot

if TYPE_CHECKING:
    from talkpuck.hands.queue import HandQueue
    from talkpuck.store import Store

User = dict[str, Any]            # a streaming user as the guard sets it (name, role, rooms); api.routers.deps.User
Pending = tuple[bool, set[str], set[str]]   # (every room, devices, rooms) changed since the last build took them

log = logging.getLogger(__name__)


class Subscriber:
    def __init__(self, who: User, maxsize: int) -> None:
        self.who = who
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize)
        self.last: str | None = None                      # the last full payload (None: it has had none yet)
        self.dropped = False


def _ticking(room: dict[str, Any]) -> bool:
    """Does something in this room count down or up (time left, a hand's wait)?"""
    return bool(any(h["state"] == "waiting" for h in room["hands"]) or
                any(d["phase"] in LIVE for d in room["devices"]) or
                (room.get("session") and room["session"]["phase"] in LIVE))


class LiveHub:
    queue_max = 8            # payloads waiting per client before it counts as slow and is dropped
    min_interval_s = 0.01    # builds start at least this far apart; changes during a build are the next build
    moves_s = 1.0            # every device's room is read at least this often (moves made in another process)
    refresh_s = 20.0         # a room where something counts down is rebuilt at least this often
    timing_keep = 20000      # builds whose stage times timing() summarises

    def __init__(self, store: "Store", hands_queue: "HandQueue | None" = None,
                 build: Callable[[], dict[str, Any]] | None = None) -> None:
        """`build`: a function returning a whole snapshot (tests); by default the per-room builder."""
        self.store = store
        self.hands = hands_queue
        self.follow_total: dict[str, int] = {}                # device -> seconds of the follow-up window the host set last
        self._full_build = build
        self._voices: snapshot.VoiceCache = {}                     # session -> ((turns, last turn id), its VoiceTally, its figures)
        self._voices_used: dict[str, float] = {}                # session -> time.monotonic() of the last build that showed it
        self._dev_room: dict[str, str] = {}                   # device -> its room at the last build
        self._rooms_read = float("-inf")      # time.monotonic() of the last reading of every device's room
        self._lock = threading.Lock()
        self._pending_all = True              # the first build builds every room
        self._pending_devices: set[str] = set()
        self._pending_rooms: set[str] = set()
        self._subs: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._building: asyncio.Future[None] | None = None                 # the asyncio task of the build in progress
        self._taken_notify: float | None = None             # _first_notify of the pending changes the build took
        self.rooms: dict[str, str] = {}                       # room -> its JSON without now_ms ("{...")
        self.room_ms: dict[str, int] = {}                     # room -> when it was built (wall ms)
        self.ticking: set[str] = set()                  # rooms where something counts down
        self.now_ms = 0                       # the last build's time
        self.changed: list[str] = []                     # rooms whose JSON changed in the last build
        self.removed: list[str] = []                     # rooms gone in the last build
        # (snapshot of the rooms rebuilt last, {room: json}) of the last build
        self.current: tuple[dict[str, Any], dict[str, str]] | None = None
        self.builds = 0
        self.rooms_built = 0                  # rooms rebuilt, summed over the builds
        self.sent = 0
        self.dropped_clients = 0
        self.notified = 0
        self._first_notify: float | None = None             # time.monotonic() of the first change not yet taken by a build
        # where a change's time goes (ms, the last TIMING_KEEP builds): notify -> build start ("wait": the
        # coalescing window and the build before), the build ("build": SQL and JSON in the worker thread),
        # build end -> every client's queue ("fanout"), and notify -> queues ("total")
        self.stages: dict[str, collections.deque[float]] = {k: collections.deque(maxlen=self.timing_keep)
                                                     for k in ("wait", "build", "fanout", "total")}

    # -- producers (any thread) ---------------------------------------------------------------------
    def notify(self, *devices: str | None, room: str | None = None) -> None:
        """Something the pages show changed: these devices' rooms, `room`, or (neither) everything.
        Cheap, thread-safe, never blocks."""
        self.notified += 1
        with self._lock:
            was = self._first_notify
            if was is None:
                self._first_notify = time.monotonic()
            if room is not None:
                self._pending_rooms.add(room)
            if devices:
                self._pending_devices.update(d for d in devices if d is not None)
            if not devices and room is None:
                self._pending_all = True
        if was is None:
            # only the first change since a build took them wakes the builder (ingest notifies hundreds of
            # times a second: not a wake-up of the event loop each)
            self._wake_up()

    def _wake_up(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:              # the loop closed (server stopping)
                pass

    @property
    def _dirty(self) -> bool:
        return self._pending_all or bool(self._pending_devices) or bool(self._pending_rooms)

    # -- consumers (the event loop) -----------------------------------------------------------------
    async def subscribe(self, who: User) -> Subscriber:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._wake, self._task, self._building = loop, asyncio.Event(), None, None
        sub = Subscriber(who, self.queue_max)
        self._subs.add(sub)
        if self.current is None or self._dirty:
            await self._rebuild()
        if sub.last is None:
            self._offer(sub)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subs.discard(sub)

    @property
    def clients(self) -> int:
        return len(self._subs)

    def _room_text(self, name: str) -> str:
        return '{"now_ms":%d,%s' % (self.room_ms[name], self.rooms[name][1:])

    def payload_for(self, who: User | None) -> str:
        """The whole snapshot one user gets (only the rooms it may see), from the rooms' last builds."""
        rooms = [self._room_text(r) for r in sorted(self.rooms) if can_see(who, r)]
        return '{"now_ms":%d,"rooms":[%s]}' % (self.now_ms, ",".join(rooms))

    def delta_for(self, who: User | None, changed: Iterable[str], removed: Iterable[str]) -> str | None:
        """What changed for this user in the last build, or None (nothing it may see changed)."""
        rooms = [self._room_text(r) for r in changed if can_see(who, r)]
        gone = [r for r in removed if can_see(who, r)]
        if not rooms and not gone:
            return None
        return '{"now_ms":%d,"delta":true,"rooms":[%s],"removed":%s}' % (
            self.now_ms, ",".join(rooms), json.dumps(gone))

    def _offer(self, sub: Subscriber, text: str | None = None) -> None:
        if sub.dropped:
            return
        if text is None and sub.last is None:
            text = sub.last = self.payload_for(sub.who)
        elif text is None:
            text = self.delta_for(sub.who, self.changed, self.removed)
            if text is None:
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
        self.sent += 1

    async def _rebuild(self) -> None:
        """One build at a time: whoever asks while one runs (a page opening, the builder) waits for it."""
        task = self._building
        if task is None or task.done():
            task = self._building = asyncio.ensure_future(self._build_once())
        await asyncio.shield(task)

    def _take_pending(self) -> Pending:
        with self._lock:
            pending = (self._pending_all, self._pending_devices, self._pending_rooms)
            self._pending_all, self._pending_devices, self._pending_rooms = False, set(), set()
            self._taken_notify, self._first_notify = self._first_notify, None
        return pending

    def timing(self) -> dict[str, Any]:
        """{stage: {"n", "p50_ms", "p99_ms", "max_ms"}} over the last timing_keep builds (stages: __init__),
        with the builds, rooms rebuilt and pushes so far: GET /api/live/timing, bench/thousand_pucks.py."""
        out: dict[str, Any] = {"builds": self.builds, "rooms_built": self.rooms_built, "sent": self.sent, "clients": self.clients}
        for k, q in self.stages.items():
            xs = sorted(q)
            if xs:
                out[k] = {"n": len(xs), "p50_ms": round(xs[len(xs) // 2], 2),
                          "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))], 2), "max_ms": round(xs[-1], 2)}
        return out

    def _build_rooms(self, pending: Pending) -> tuple[int, list[str], dict[str, dict[str, Any]], dict[str, str]]:
        """(now_ms, every room's name, {room: snapshot of it} for the rooms rebuilt, {room: its JSON}); in a
        worker thread (SQL, and the JSON: neither holds up the event loop)."""
        now, names, built = self._build_dirty(pending)
        return now, names, built, {name: snapshot.room_json(r) for name, r in built.items()}

    def _build_dirty(self, pending: Pending) -> tuple[int, list[str], dict[str, dict[str, Any]]]:
        every, devices, rooms = pending
        if self._full_build is not None:
            snap = self._full_build()
            return snap["now_ms"], [r["room"] for r in snap["rooms"]], {r["room"]: r for r in snap["rooms"]}
        now = int(time.time() * 1000)
        old = self._dev_room
        if every or rooms or time.monotonic() - self._rooms_read >= self.moves_s:
            # every device's room: finds a move nobody notified (`talkpuck device room` in another process)
            read_at, where = time.monotonic(), self.store.device_rooms()
        else:
            # the notified devices' rooms only (ingest's changes: cheap at a thousand devices)
            read_at, where = None, dict(old)
            got = self.store.device_rooms(devices) if devices else {}
            for dev in devices:
                if dev in got:
                    where[dev] = got[dev]
                else:
                    where.pop(dev, None)          # deleted
        names = set(where.values())
        if every:
            dirty = set(names)
        else:
            dirty = set(rooms)
            for dev in devices:
                dirty.update(r for r in (old.get(dev), where.get(dev)) if r is not None)
            if read_at is not None:
                # a device that moved, appeared or left (a room override, an info with another room, a deletion)
                dirty.update(r for dev, r in where.items() if old.get(dev) != r)
                dirty.update(r for dev, r in old.items() if where.get(dev) != r)
        dirty &= names
        # the whole rows (state, tele: JSON) of the dirty rooms' devices only
        devs = self.store.devices() if every else self.store.devices([d for d, r in where.items() if r in dirty])
        snap = snapshot.build(self.store, self.hands, now_ms=now, follow_total=self.follow_total,
                              rooms=dirty, devices=devs, voices_cache=self._voices)
        mono = time.monotonic()
        used = self._voices_used
        for r in snap["rooms"]:
            for sv in r["sessions"]:
                used[sv["id"]] = mono
        if len(self._voices) > 2 * len(where) + 100:
            # sessions long over pile up: keep those shown lately (a running session's room is rebuilt at
            # least every refresh_s); the others are folded again from the store when next shown
            keep = mono - 3 * self.refresh_s
            self._voices = {k: v for k, v in self._voices.items() if used.get(k, keep - 1) >= keep}
            self._voices_used = {k: used[k] for k in self._voices if k in used}
        self._dev_room = where                # only once built: a failed build leaves the moves to find again
        if read_at is not None:
            self._rooms_read = read_at
        return now, sorted(names), {r["room"]: r for r in snap["rooms"]}

    async def _build_once(self) -> None:
        pending = self._take_pending()
        first = self._taken_notify
        t0 = time.monotonic()
        try:
            now, names, built, parts = await asyncio.to_thread(self._build_rooms, pending)
        except BaseException:
            with self._lock:                  # not lost: the next build tries these again
                if first is not None and (self._first_notify is None or first < self._first_notify):
                    self._first_notify = first
                self._pending_all = self._pending_all or pending[0]
                self._pending_devices |= pending[1]
                self._pending_rooms |= pending[2]
            if self._wake is not None:
                self._wake.set()              # the notifies since did not wake the builder: these are pending
            raise
        t1 = time.monotonic()
        changed = []
        for name, text in parts.items():
            self.room_ms[name] = now
            if self.rooms.get(name) != text:
                self.rooms[name] = text
                changed.append(name)
            if _ticking(built[name]):
                self.ticking.add(name)
            else:
                self.ticking.discard(name)
        keep = set(names)
        removed = sorted(r for r in self.rooms if r not in keep)
        for name in removed:
            del self.rooms[name]
            self.room_ms.pop(name, None)
            self.ticking.discard(name)
        self.now_ms, self.changed, self.removed = now, sorted(changed), removed
        self.current = ({"now_ms": now, "rooms": [built[n] for n in sorted(built)]}, parts)
        self.builds += 1
        self.rooms_built += len(built)
        for sub in list(self._subs):
            if sub.last is not None:
                self._offer(sub)              # a new stream gets its whole snapshot from subscribe()
        t2 = time.monotonic()
        st = self.stages
        st["build"].append((t1 - t0) * 1000)
        st["fanout"].append((t2 - t1) * 1000)
        if first is not None:
            st["wait"].append((t0 - first) * 1000)
            st["total"].append((t2 - first) * 1000)

    def _end(self, sub: Subscriber) -> None:
        """End a stream (its user is gone): its browser reconnects and is refused."""
        sub.dropped = True
        self._subs.discard(sub)
        sub.queue = asyncio.Queue(1)
        sub.queue.put_nowait(None)

    def _read_users(self, names: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        return {n: self.store.user(n) for n in names}

    async def recheck_users(self) -> None:
        """Read each streaming user again: send the rooms it may now see, announce those it may no longer
        see as removed; end the streams of a user who is gone."""
        subs = [s for s in self._subs if s.last is not None and s.who and s.who.get("name")]
        if not subs or not hasattr(self.store, "user"):
            return
        users = await asyncio.to_thread(self._read_users, {s.who["name"] for s in subs})
        for sub in subs:
            new = users.get(sub.who["name"])
            if new is None:
                self._end(sub)
                continue
            if (new["role"], list(new["rooms"])) == (sub.who["role"], list(sub.who["rooms"])):
                continue
            old_who, sub.who = sub.who, dict(sub.who, role=new["role"], rooms=list(new["rooms"]))
            gained = [r for r in sorted(self.rooms) if can_see(sub.who, r) and not can_see(old_who, r)]
            lost = [r for r in sorted(self.rooms) if can_see(old_who, r) and not can_see(sub.who, r)]
            if gained or lost:
                self._offer(sub, '{"now_ms":%d,"delta":true,"rooms":[%s],"removed":%s}' % (
                    self.now_ms, ",".join(self._room_text(r) for r in gained), json.dumps(lost)))

    def _stale_ticking(self) -> list[str]:
        """Rooms that count down and were last built more than refresh_s ago."""
        cutoff = int(time.time() * 1000) - int(self.refresh_s * 1000)
        return [r for r in self.ticking if self.room_ms.get(r, 0) <= cutoff]

    async def _run(self) -> None:
        last = 0.0
        users_read = time.monotonic()
        while self._subs:
            wake = self._wake
            if wake is None:                  # set with the first stream, before this task starts
                break
            try:
                # while a room counts down, look once a second for one due for its safety refresh
                await asyncio.wait_for(wake.wait(), timeout=1.0 if self.ticking else 15.0)
            except asyncio.TimeoutError:
                pass
            wake.clear()
            if time.monotonic() - users_read >= self.refresh_s:
                users_read = time.monotonic()
                try:
                    await self.recheck_users()
                except Exception:
                    log.exception("live hub: reading the streaming users again failed")
            stale = self._stale_ticking()
            if stale:
                with self._lock:
                    self._pending_rooms.update(stale)
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
                await asyncio.sleep(1.0)      # its rooms stay pending: tried again, not in a tight loop
                continue
        self._task = None

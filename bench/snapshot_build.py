"""snapshot_build — what one live snapshot (talkpuck.live.snapshot.build, behind /api/live/stream) costs at N pucks.

Usage: .venv/bin/python bench/snapshot_build.py [--devices 100 1000] [--repeat 3] [--no-record]

The LiveHub rebuilds only the rooms that changed (coalesced over 100 ms) and pushes only those; a
full build (every room) is what GET /api/live does and what the hub does when a change names no room.
With many pucks changes come back to back, so the rebuild time is the floor of the stream's latency
and a share of the host's CPU (it runs in the host's process, beside ingest). Here: SQLite in a
temporary folder, each puck in a room of its own (as bench/thousand_pucks.py's light pucks) with a
running session of 20 turns and a waiting hand; the median of `--repeat` builds: the full build and
the JSON of every room, the hub's rebuild of every room (voices cached) and of 1 and 40 rooms.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "host"), os.path.join(ROOT, "firmware")]

from results import append  # noqa: E402

BOOT = "0000beef"


def fill(store, n, turns=20, per_room=1):
    now = int(time.time() * 1000)
    items = []
    for i in range(n):
        dev = "lp-%04d" % i
        store.record_info(dev, {"v": 1, "boot": BOOT, "ms": 1000, "fw": "b", "board": "b", "leds": 16,
                                "room": "Room %04d" % (i // per_room), "caps": [], "prev_boot": None, "prev_seq": 0}, now, (now, 1000))
        sid = "s-%s" % dev
        items.append((dev, BOOT, 1, "session", 1000, now, now, {"phase": "running", "session": sid, "limit_s": 300,
                                                                "warn_s": 60, "remaining_s": 300, "cause": "cmd"}, {}))
        for k in range(turns):
            items.append((dev, BOOT, 2 + k, "turn", 1000, now, now,
                          {"start_ms": 0, "end_ms": 1000, "voice": k % 4 + 1, "conf": 80, "level_db": -30},
                          {"start_ms": now - 1000 * (turns - k), "end_ms": now - 1000 * (turns - 1 - k)}))
        items.append((dev, BOOT, 2 + turns, "hand", 1000, now, now, {"action": "raise", "hand": 2 + turns, "waiting": 1}, {}))
        store.record_state(dev, {"v": 1, "boot": BOOT, "ms": 1000, "phase": "running", "session": sid, "limit_s": 300,
                                 "remaining_s": 200, "talking": False, "voice": 0, "hands": 1, "hand_ack": 0,
                                 "mic": "on"}, now)
    store.add_events(items)


def _median_ms(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def measure(n, repeat=3, dirty=(1, 40), per_room=1):
    """The full build (GET /api/live), the hub's rebuild of every room (its voices cache warm) and its
    rebuilds of `dirty` rooms (the rooms ingest marks in one 100 ms coalescing window)."""
    from talkpuck.hands import HandQueue
    from talkpuck.live import LiveHub, snapshot
    from talkpuck.store import Store

    tmp = tempfile.mkdtemp(prefix="snap-bench-")
    try:
        store = Store(data_dir=tmp)
        fill(store, n, per_room=per_room)
        hands = HandQueue(store, None)
        snapshot.build(store, hands)              # warm: compiled statements, the ring's tables
        build, snap = _median_ms(lambda: snapshot.build(store, hands), repeat)
        jsons, parts = _median_ms(lambda: [snapshot.room_json(r) for r in snap["rooms"]], repeat)
        size = sum(len(p) for p in parts)
        hub = LiveHub(store, hands)
        hub._build_rooms((True, set(), set()))    # the hub's first build: every room, fills its voices cache
        every, _ = _median_ms(lambda: hub._build_rooms((True, set(), set())), repeat)
        some = []
        for k in dirty:
            devs = {"lp-%04d" % (i * n // k) for i in range(min(k, n))}
            ms, (_, _, built, parts) = _median_ms(lambda devs=devs: hub._build_rooms((False, devs, set())), repeat)
            kb = sum(len(p) for p in parts.values()) / 1024
            some.append((len(built), ms, kb))
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"devices": n, "build_ms": build, "per_device_ms": build / n, "json_ms": jsons, "kb": size / 1024,
            "every_ms": every, "some": some}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--per-room", type=int, default=1, help="pucks per room (1: each in a room of its own)")
    ap.add_argument("--no-record", action="store_true")
    a = ap.parse_args(argv)
    rooms = "Each puck in a room of its own" if a.per_room == 1 else "%d pucks per room" % a.per_room
    lines = [rooms + ", a running session of 20 turns, a waiting hand; SQLite; median of %d "
             "builds in one process (no other load in it; the machine's load average: %.1f). \"full build\": "
             "snapshot.build of every room (GET /api/live, and what the hub did on every change before); "
             "\"hub, every room\": the hub's rebuild of every room (notify() with nothing named), its voices "
             "cache warm; \"hub, k rooms\": its rebuild after changes in k rooms, and the size of those rooms' "
             "JSON (a delta push carries them); the hub's times include making the rooms' JSON (since 07:20)."
             % (a.repeat, os.getloadavg()[0]), "",
             ("| pucks | full build | per puck | JSON of all rooms | whole snapshot | hub, every room | hub, k rooms: "
              "build, delta size |"),
             "|---|---|---|---|---|---|---|"]
    for n in a.devices:
        r = measure(n, a.repeat, per_room=a.per_room)
        some = "; ".join("%d: %.1f ms, %.1f KB" % s for s in r["some"])
        lines.append("| %d | %.0f ms | %.2f ms | %.0f ms | %.0f KB | %.0f ms | %s |"
                     % (r["devices"], r["build_ms"], r["per_device_ms"], r["json_ms"], r["kb"], r["every_ms"], some))
    print("\n".join(lines))
    if not a.no_record:
        append("live snapshot build at N pucks: full vs per-room (talkpuck.live.snapshot, LiveHub)", lines,
               "python bench/snapshot_build.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""burst_ingest — the connection burst of N pucks through Ingest.handle_batch on SQLite, no broker.

    .venv/bin/python bench/burst_ingest.py                  # 1,000 pucks, median of 3, appended to RESULTS.md
    .venv/bin/python bench/burst_ingest.py --pucks 200 --runs 1 --no-record --profile

What runs: a fresh SQLite store (a temp dir), an Ingest wired as `talkpuck serve` wires it (on_online
sends cmd/time and the room's minimum break through a real Commander that records each command in
the store and publishes to nowhere; on_stored counts), and every puck's connection burst as the
link hands it: status `online`, the retained info and state, then tele, puck after puck, in
batches of MqttLink.max_batch (250), with one turn event per puck after its tele (the events that
queue behind the burst). Printed: the burst's wall time, per message, per batch (p50/max), and the
store's transactions (SQLAlchemy `commit` events) per message. `--profile` prints the top of a
cProfile of one run.
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
sys.path[:0] = [os.path.join(ROOT, "host"), os.path.join(ROOT, "firmware")]

from puckcore.codec import encode_doc, encode_event  # noqa: E402
from sqlalchemy import event  # noqa: E402
from talkpuck.commands.minbreak import push_min_break  # noqa: E402
from talkpuck.commands.sender import Commander  # noqa: E402
from talkpuck.ingest.ingest import Ingest  # noqa: E402
from talkpuck.mqtt.link import MqttLink  # noqa: E402
from talkpuck.store import Store  # noqa: E402


def burst(n, boot_of):
    """[(topic, payload, retained)] of n pucks' connection bursts, each followed by one turn event."""
    items = []
    for i in range(n):
        d = "lp-%04d" % i
        boot, root = boot_of(d), "talkpuck/v1/%s/" % d
        info = {"fw": "0.1.0-light", "board": "light-sim", "leds": 16, "room": "Room %s" % d,
                "caps": ["turns", "button", "voices", "remote"], "proto_rev": 1, "prev_boot": None, "prev_seq": 0}
        state = {"phase": "idle", "session": None, "limit_s": 0, "remaining_s": 120, "talking": False,
                 "voice": 0, "hands": 0, "hand_ack": 0, "mic": "on"}
        tele = {"uptime_s": 1, "mem_free": 80000, "mem_alloc": 40000, "outbox": 0, "dropped": 0, "outbox_dropped": 0,
                "detector_dropped": 0, "resp_dropped": 0, "rejected": 0, "mqtt_discards": 0, "mic_short_reads": 0,
                "storage_errors": 0, "link_error": None, "rssi": -60}
        items += [(root + "status", b"online", True),
                  (root + "info", encode_doc(boot, 1000, info), True),
                  (root + "state", encode_doc(boot, 1001, state), True),
                  (root + "tele", encode_doc(boot, 1002, tele), False),
                  (root + "evt/turn", encode_event(boot, 1, 1003, {"voice": 1, "start_ms": 500, "end_ms": 1003, "level_db": -30,
                                                                 "conf": 80}), False)]
    return items


def run_once(n, batch, profile=False):
    tmp = tempfile.mkdtemp(prefix="burst-")
    try:
        store = Store(data_dir=tmp)
        commander = Commander(store, lambda topic, payload: None)

        def on_online(device):
            commander.send_time(device)
            push_min_break(store, commander, device)

        notified = [0]
        ingest = Ingest(store, on_online=on_online, on_stored=lambda d: notified.__setitem__(0, notified[0] + 1))
        commits = [0]
        event.listen(store.engine, "commit", lambda conn: commits.__setitem__(0, commits[0] + 1))
        items = burst(n, lambda d: "b" + d[-4:].rjust(7, "0"))
        times = []
        prof = None
        if profile:
            import cProfile
            prof = cProfile.Profile()
            prof.enable()
        t0 = time.perf_counter()
        for i in range(0, len(items), batch):
            t1 = time.perf_counter()
            ingest.handle_batch(items[i:i + batch])
            times.append(time.perf_counter() - t1)
        total = time.perf_counter() - t0
        if prof is not None:
            prof.disable()
            import pstats
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        assert store.count("events") == n and store.count("devices") == n, "not everything was stored"
        assert store.count("commands") == 2 * n
        store.close()
        return {"total": total, "batches": times, "commits": commits[0], "msgs": len(items)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pucks", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=MqttLink.max_batch)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--label", default="", help="a word for the RESULTS.md row (e.g. the commit)")
    a = ap.parse_args()
    runs = [run_once(a.pucks, a.batch, a.profile and i == 0) for i in range(a.runs)]
    r = sorted(runs, key=lambda x: x["total"])[len(runs) // 2]
    b = sorted(r["batches"])
    row = ("| %s | %d | %d | %.2f | %.0f | %.0f | %.0f | %d (%.2f per message) |" % (
        a.label or "-", a.pucks, r["msgs"], r["total"], 1e6 * r["total"] / r["msgs"],
        1e3 * statistics.median(b), 1e3 * b[-1], r["commits"], r["commits"] / r["msgs"]))
    head = ["| code | pucks | messages | burst s | us/message | batch p50 ms | batch max ms | commits |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    print("\n".join(head + [row]))
    print("runs (s):", " ".join("%.2f" % x["total"] for x in runs))
    if not a.no_record:
        sys.path.insert(0, HERE)
        import results
        results.append("burst_ingest: %d pucks' connection burst through Ingest.handle_batch, SQLite, "
                       "batches of %d, median of %d" % (a.pucks, a.batch, a.runs), head + [row])


if __name__ == "__main__":
    main()

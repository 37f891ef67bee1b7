"""sse_bench — what 50 open live pages cost the host: one server-sent event stream each (/api/live/stream).

Usage: .venv/bin/python bench/sse_bench.py [--clients 50] [--changes 60] [--rate 5] [--rooms 10] [--no-record]

The host (the real app: create_app + uvicorn, SQLite) serves `--rooms` rooms with two pucks each; the
clients (logged in, in a separate process so their CPU is not counted) each hold one stream open.
A driver changes a puck's state `--rate` times a second, as ingest does (store, then hub.notify(device)):
the hub rebuilds that puck's room only and pushes it alone (a delta) to every stream.
Reported: fan-out latency (change -> the last of the clients has it), builds per change, the host
process's CPU time per change and per client-second, and slow clients dropped. With 1 client first,
so the cost of 50 can be compared with the cost of one.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "host"))
from results import append  # noqa: E402

B = "0000beef"


def _client(port, cookie, n, ready, out_q, stop):
    """n streams in threads; reports (client, seen change number, monotonic time) as they arrive."""
    def one(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/api/live/stream", headers={"Cookie": cookie, "Host": "127.0.0.1"})
        r = conn.getresponse()
        if r.status != 200:
            print("stream refused: %d %s" % (r.status, r.read()[:200]), file=sys.stderr)
            return
        ready.release()
        while not stop.is_set():
            line = r.readline()
            if not line:
                out_q.put((k, -1, time.time(), 0))
                return
            if line.startswith(b"data: "):
                data = json.loads(line[6:])
                marks = [d["remaining_s"] for room in data["rooms"] for d in room["devices"] if d["id"] == "bench-0-0"]
                if marks and marks[0] is not None:
                    out_q.put((k, marks[0], time.time(), len(line)))
    ts = [threading.Thread(target=one, args=(k,), daemon=True) for k in range(n)]
    for t in ts:
        t.start()
    stop.wait()


def _state(n):
    # remaining_s carries the change number (the page shows it); the state is as recent as the change
    return {"v": 1, "boot": B, "ms": n, "phase": "running", "session": None, "limit_s": 100000,
            "remaining_s": 100000 - n, "talking": n % 2 == 0, "voice": 1, "hands": 0, "hand_ack": 0, "mic": "on"}


def run(clients=50, changes=60, rate=5.0, rooms=10):
    from webauth import add_user

    from talkpuck.api import create_app
    from talkpuck.api.server import WebServer
    from talkpuck.auth.links import issue_login_link
    from talkpuck.service.settings import Settings
    from talkpuck.store import Store

    tmp = tempfile.mkdtemp(prefix="sse-bench-")
    store = Store(data_dir=tmp)
    now = int(time.time() * 1000)
    for r in range(rooms):
        for p in range(2):
            dev = "bench-%d-%d" % (r, p)
            store.record_info(dev, {"v": 1, "boot": B, "ms": 0, "fw": "b", "board": "b", "leds": 16,
                                    "room": "Room %d" % r, "caps": [], "prev_boot": None, "prev_seq": 0}, now, (now, 0))
            store.record_state(dev, _state(0), now)
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=tmp), store)
    hub = app.state.live_hub
    web = WebServer(app, "127.0.0.1", 0)
    web.start()
    port = int(web.url.rstrip("/").rsplit(":", 1)[1])
    add_user(store, "bench", "admin", [])
    link = issue_login_link(store, "bench", web.url.rstrip("/"))
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", link[len(web.url.rstrip("/")):], headers={"Host": "127.0.0.1"})
    resp = conn.getresponse()
    cookie = [v.split(";")[0] for k, v in resp.getheaders() if k.lower() == "set-cookie" and "session" in v][0]
    resp.read()

    ctx = multiprocessing.get_context("spawn")
    ready, out_q, stop = ctx.Semaphore(0), ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_client, args=(port, cookie, clients, ready, out_q, stop), daemon=True)
    proc.start()
    for _ in range(clients):
        if not ready.acquire(timeout=60):
            raise RuntimeError("clients did not connect")
    time.sleep(0.5)
    while not out_q.empty():
        out_q.get()
    builds0, rooms0, cpu0 = hub.builds, hub.rooms_built, _cpu()
    sent = {}
    t0 = time.time()
    for n in range(1, changes + 1):
        store.record_state("bench-0-0", _state(n), int(time.time() * 1000))
        sent[100000 - n] = time.time()
        hub.notify("bench-0-0")
        time.sleep(max(0.0, t0 + n / rate - time.time()))
    time.sleep(1.0)
    cpu = _cpu() - cpu0
    span = time.time() - t0
    builds = hub.builds - builds0
    got = {}
    sizes = []
    while not out_q.empty():
        k, mark, at, size = out_q.get()
        if mark in sent:
            got.setdefault(mark, []).append(at - sent[mark])
            sizes.append(size)
    stop.set()
    proc.join(5)
    web.stop()
    store.close()
    lat = sorted(max(v) for v in got.values() if len(v) == clients)
    complete = len(lat)

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")
    return {"clients": clients, "changes": changes, "complete": complete, "builds": builds,
            "p50_ms": pct(0.5), "p95_ms": pct(0.95), "cpu_ms_per_change": cpu * 1000 / changes,
            "cpu_pct": 100 * cpu / span, "dropped": hub.dropped_clients,
            "kb_per_push": sum(sizes) / len(sizes) / 1024 if sizes else float("nan"),
            "rooms_per_build": (hub.rooms_built - rooms0) / builds if builds else float("nan")}


def _cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--changes", type=int, default=60)
    ap.add_argument("--rate", type=float, default=5.0)
    ap.add_argument("--rooms", type=int, default=10)
    ap.add_argument("--no-record", action="store_true")
    a = ap.parse_args()
    rows = []
    for n in (1, a.clients):
        r = run(n, a.changes, a.rate, a.rooms)
        rows.append(r)
        print(json.dumps(r))
    if not a.no_record:
        lines = ["%d rooms x 2 pucks; one puck's state changes %g times a second (store, then hub.notify, as ingest "
                 "does), %d changes; clients in a separate process, each holding one stream open. Latency: change "
                 "to the LAST client having it. CPU: the host process only." % (a.rooms, a.rate, a.changes), "",
                 ("| open streams | changes all clients saw | builds (rooms rebuilt per build) | fan-out p50 ms | "
                  "fan-out p95 ms | host CPU ms per change | host CPU % | KB per push | slow clients dropped |"),
                 "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append("| %d | %d of %d | %d (%.1f) | %.0f | %.0f | %.1f | %.1f | %.1f | %d |" % (
                r["clients"], r["complete"], r["changes"], r["builds"], r["rooms_per_build"], r["p50_ms"],
                r["p95_ms"], r["cpu_ms_per_change"], r["cpu_pct"], r["kb_per_push"], r["dropped"]))
        append("live SSE streams (/api/live/stream)", lines, "bench/sse_bench.py")


if __name__ == "__main__":
    main()

"""thousand_pucks — N light simulated pucks against one Mosquitto with TLS and a login each, for a while.

    .venv/bin/python bench/thousand_pucks.py                     # 1,000 pucks, 10 minutes (make bench)
    .venv/bin/python bench/thousand_pucks.py --pucks 50 --seconds 20 --no-record
    .venv/bin/python bench/thousand_pucks.py --pucks 100 --seconds 60 --streams 5   # a short check

What runs: `talkpuck security init` and `talkpuck device add` for every puck (through their
functions), then `talkpuck serve --listen 127.0.0.2` as a child process (its embedded Mosquitto with
the TLS listener, the password file and the ACL; SQLite), then N talkpuck.sim.light.LightPucks in
this process, each on its own TLS connection with its own login, at a busy meeting's rate
(LightPuck.rate_per_s(), about 0.45 msg/s each, with bursts).

Measured:
- events/s stored (the `events` table, counted over the steady part of the run) and messages/s sent;
- the host's CPU (`serve` and its Mosquitto, from /proc/<pid>/stat, in % of one core) and memory
  (peak RSS of each, sampled every second); the pucks' own process too, for comparison;
- latency from the moment a puck creates an event (LightPuck.event: before the outbox) to
  (a) the host receiving it (`events.received_ms`, the host's clock: the same machine; with the batched
  ingest, the moment its batch was handed to the store) and
  (b) the event being visible in the store to a reader (a poller reading the SQLite file every
  `poll_ms`, so (b) is an upper bound, at most poll_ms late), p50/p99/max; over every event, and
  again over the events created in the steady part (the CPU window), without the connection burst
  at the start (every puck's status, info and state at once), which dominates p99 in short runs;
- lost (created, never stored) and duplicated (stored twice) events: both must be 0;
- latency from creation to (c) a browser's event stream: `--streams` browsers (default 5; 0: none),
  each a process of its own (bench/stream_reader.py) that logs in through the login form over the
  host's HTTPS (the web certificate of `security init`, checked against its CA) as the bench's admin
  user, and holds `/api/live/stream` open, reconnecting when the host drops it as slow.

What the stream carries: room snapshots (talkpuck.live.hub), not events: every room at first, then
at each change (coalesced over 100 ms) only the rooms that changed; the pages count time left down
themselves. So (c) is measured for the events a
browser can see: a turn in a session (the session view's turn count reaching that turn's place in
the session), a session phase change (the session view showing that phase or a later one) and a
hand (in the room's queue), matched to the store's rows after the run ((device, boot, seq) ->
session and place, phase, hand number). A turn heard outside a session is not kept by the host and
`tele` is no event: neither is on screen, and they are counted apart. The stream's cost is reported
too: pushes, bytes, the readers' CPU; compare the host's CPU with a `--streams 0` run.
"""
import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, "host"), os.path.join(ROOT, "firmware")]

from talkpuck.security.ca import init_certificates  # noqa: E402
from talkpuck.security.credentials import Credentials, security_dir  # noqa: E402
from talkpuck.sim.light import LightPuck  # noqa: E402

LISTEN = "127.0.0.2"
WEB_USER = "bench"
TICK = os.sysconf("SC_CLK_TCK")


def reap(p, wait_s, kill_wait_s):
    """Wait for child `p` to end (killed after `wait_s`) and close its stdout."""
    try:
        p.wait(wait_s)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(kill_wait_s)
    if p.stdout is not None:
        p.stdout.close()


def free_port(addr):
    with socket.socket() as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def raise_fd_limit(need):
    """Each puck is a socket here and one in Mosquitto (which inherits this limit): raise the soft
    limit to the hard one, and say so when even that is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need <= hard or (soft < hard and soft < need):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft < need:
        raise SystemExit("ulimit -n is %d, %d pucks need about %d file descriptors: raise the hard limit"
                         % (soft, need - 200, need))
    return soft


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class StorePoller(threading.Thread):
    """Reads new `events` rows every poll_ms and notes when each became visible."""

    def __init__(self, db_path, poll_ms=20):
        super().__init__(daemon=True)
        self.db_path, self.poll_s = db_path, poll_ms / 1000
        self.seen = {}          # (device, boot, seq) -> (visible time, received_ms)
        self.duplicates = 0
        self.stop = threading.Event()

    def run(self):
        while not os.path.exists(self.db_path) and not self.stop.is_set():
            time.sleep(0.1)
        db = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True, timeout=5)
        last = 0
        while not self.stop.is_set():
            try:
                rows = db.execute("SELECT id, device, boot, seq, received_ms FROM events WHERE id > ? ORDER BY id",
                                  (last,)).fetchall()
            except sqlite3.OperationalError:     # the host's schema is not there yet, or a write lock
                rows = []
            now = time.time()
            for rid, device, boot, seq, received_ms in rows:
                last = rid
                key = (device, boot, seq)
                if key in self.seen:
                    self.duplicates += 1
                else:
                    self.seen[key] = (now, received_ms)
            self.stop.wait(self.poll_s)
        db.close()


def prepare(data_dir, n):
    sec = security_dir(data_dir)
    init_certificates(sec, [LISTEN])
    creds = Credentials(sec)
    creds.ensure_host()
    passwords = {}
    for i in range(n):
        device = "lp-%04d" % i
        path = creds.add_device(device, LISTEN)
        with open(path) as f:
            passwords[device] = json.load(f)["mqtt_password"]
    return passwords, os.path.join(sec, "ca.crt")


def add_web_user(data_dir):
    """The browsers' login: an admin (every room), as `talkpuck user add NAME --role admin --generate` makes one."""
    from talkpuck.auth import hash_password, new_password
    from talkpuck.store import Store

    password = new_password()
    store = Store(data_dir=data_dir)
    try:
        store.add_user(WEB_USER, "admin", hash_password(password), int(time.time() * 1000), [])
    finally:
        store.close()
    return password


def start_host(data_dir, tls_port):
    exe = os.path.join(os.path.dirname(sys.executable), "talkpuck")
    cmd = [exe, "serve", "--listen", LISTEN, "--mqtt-tls-port", str(tls_port), "--data-dir", data_dir,
           "--http-port", "0"]
    with open(os.path.join(data_dir, "serve.log"), "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("talkpuck host:"):
        proc.kill()
        with open(os.path.join(data_dir, "serve.log")) as f:
            raise SystemExit("serve did not start: %r\n%s" % (line, f.read()[-2000:]))
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    # "talkpuck host: live view https://127.0.0.2:PORT/  broker ...": HTTPS beyond localhost
    proc.web_url = line.split("live view", 1)[1].split()[0]
    return proc


class Streams:
    """`n` browsers on the live stream, each a bench/stream_reader.py process; their findings at stop()."""

    def __init__(self, n, url, ca, password, work_dir):
        self.procs, self.outs, self.results = [], [], []
        for k in range(n):
            out = os.path.join(work_dir, "stream-%d.json" % k)
            p = subprocess.Popen([sys.executable, os.path.join(HERE, "stream_reader.py"), "--url", url, "--ca", ca,
                                  "--user", WEB_USER, "--out", out],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert p.stdin is not None
            p.stdin.write(password + "\n")
            p.stdin.flush()
            self.procs.append(p)
            self.outs.append(out)
        for p in self.procs:
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            if line != "ready":
                self.stop()
                raise SystemExit("a stream reader did not connect: %r" % line)

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def stop(self):
        for p in self.procs:
            try:
                assert p.stdin is not None
                p.stdin.write("stop\n")
                p.stdin.close()
            except (OSError, ValueError):
                pass
        for p, out in zip(self.procs, self.outs):
            reap(p, 30, 5)
            try:
                with open(out) as f:
                    self.results.append(json.load(f))
            except (OSError, ValueError):
                self.results.append(None)
        self.procs = []
        return self.results


def stream_rows(db_path):
    """What the browsers could see, from the store after the run: [(kind, (device, boot, seq), key), ...]
    with key (session, place) for a turn (its place among the session's stored turns, 1 = first: one
    puck's events are stored in seq order), (session, phase) for a phase event, (device, boot, hand)
    for a hand; and the number of turns stored outside any session (not kept, not on screen)."""
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        rows, place = [], {}
        for sid, device, boot, seq in db.execute(
                "SELECT session_id, device, boot, seq FROM turns ORDER BY session_id, boot, seq"):
            place[sid] = place.get(sid, 0) + 1
            rows.append(("turn", (device, boot, seq), (sid, place[sid])))
        for device, boot, seq, kind, payload in db.execute(
                "SELECT device, boot, seq, kind, payload FROM events WHERE kind IN ('session', 'hand')"):
            p = json.loads(payload or "{}")
            if kind == "session" and p.get("session"):
                rows.append(("session", (device, boot, seq), (p["session"], p.get("phase"))))
            elif kind == "hand" and p.get("action") == "raise":
                rows.append(("hand", (device, boot, seq), (device, boot, p.get("hand"))))
        outside = db.execute("SELECT count(*) FROM events WHERE kind = 'turn' AND session_id IS NULL").fetchone()[0]
    finally:
        db.close()
    return rows, outside


PHASE_ORDER = ("running", "warning", "wrapup", "timeup", "overrun", "ended")


def seen_at(kind, key, found):
    """When one stream first showed the event (`found`: one stream_reader result), or None."""
    if kind == "turn":
        sid, k = key
        for n, at in found["turns"].get(sid, ()):
            if n >= k:
                return at
        return None
    if kind == "session":
        sid, phase = key
        if phase not in PHASE_ORDER:
            return found["phases"].get("%s|%s" % (sid, phase))
        later = [found["phases"].get("%s|%s" % (sid, ph)) for ph in PHASE_ORDER[PHASE_ORDER.index(phase):]]
        later = [t for t in later if t is not None]
        return min(later) if later else None
    return found["hands"].get("%s|%s|%s" % key)


def stream_latency(created, rows, results, received=None):
    """created -> on each stream, over every (event, stream): {"all": [ms], kind: [ms], "everywhere": events
    every stream showed, "nowhere": events no stream showed, "shown": events a browser could see}; with
    `received` ({event: wall ms the host received it}), "host": received -> on each stream (the host's
    part: storing, the hub, the HTTP stream; not the puck's and the broker's)."""
    out = {"all": [], "turn": [], "session": [], "hand": [], "host": [], "everywhere": 0, "nowhere": 0, "shown": 0}
    streams = [r for r in results if r is not None]
    for kind, ident, key in rows:
        t_created = created.get(ident)
        if t_created is None:           # not made in this run (the pucks made every one: never here)
            continue
        out["shown"] += 1
        times = [seen_at(kind, key, r) for r in streams]
        got = [t for t in times if t is not None]
        if streams and len(got) == len(streams):
            out["everywhere"] += 1
        if not got:
            out["nowhere"] += 1
        t_received = (received or {}).get(ident)
        for t in got:
            ms = (t - t_created) * 1000
            out["all"].append(ms)
            out[kind].append(ms)
            if t_received is not None:
                out["host"].append(t * 1000 - t_received)
    return out


async def run_pucks(n, seconds, passwords, ca, tls_port, created, t_connected, connect_parallel=50):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    rng = random.Random(16)
    pucks = [LightPuck(d, LISTEN, tls_port, passwords[d], ctx, created, random.Random(rng.random()))
             for d in sorted(passwords)[:n]]
    gate = asyncio.Semaphore(connect_parallel)     # TLS handshakes: not all at once
    lag = []

    def connected(p):
        t_connected[p.device] = time.monotonic()

    async def lag_probe():
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.1)
            lag.append(time.monotonic() - t - 0.1)

    probe = asyncio.get_running_loop().create_task(lag_probe())
    t0 = time.monotonic()
    await asyncio.gather(*(p.run(seconds, gate, connected) for p in pucks))
    probe.cancel()
    return pucks, t0, max(t_connected.values()) - t0 if t_connected else 0.0, lag


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pucks", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--poll-ms", type=int, default=20)
    ap.add_argument("--streams", type=int, default=5,
                    help="browsers holding /api/live/stream open, each logged in over HTTPS (0: none)")
    ap.add_argument("--stream-grace", type=float, default=10.0,
                    help="seconds the streams keep reading after the store has every event")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument("--keep", action="store_true", help="keep the data dir")
    args = ap.parse_args(argv)
    res = run(args.pucks, args.seconds, args.poll_ms, keep=args.keep, streams=args.streams,
              stream_grace_s=args.stream_grace)
    text = report(res, argv)
    print(text)
    if not args.no_record:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write("\n" + text + "\n")
    return 0 if res["lost"] == 0 and res["duplicates"] == 0 and not res["stream_errors"] else 1


def run(n, seconds, poll_ms=20, keep=False, streams=5, stream_grace_s=10.0):
    limit = raise_fd_limit(2 * n + 200)
    load_start = os.getloadavg()
    data_dir = tempfile.mkdtemp(prefix="tp-thousand-")
    wall_offset = time.time() - time.monotonic()
    readers = None
    rows, outside, results = [], 0, []
    try:
        t = time.monotonic()
        passwords, ca = prepare(data_dir, n)
        web_password = add_web_user(data_dir)
        setup_s = time.monotonic() - t
        tls_port = free_port(LISTEN)
        host = start_host(data_dir, tls_port)
        try:
            kids = children(host.pid)
            pids = {"serve": host.pid}
            for k in kids:
                with open("/proc/%d/comm" % k) as f:
                    if "mosquitto" in f.read():
                        pids["mosquitto"] = k
            pids["pucks"] = os.getpid()
            if streams:
                readers = Streams(streams, host.web_url, ca, web_password, data_dir)
                for k, pid in enumerate(readers.pids):
                    pids["stream%d" % k] = pid
            poller = StorePoller(os.path.join(data_dir, "talkpuck.db"), poll_ms)
            poller.start()
            created = {}
            rss = {k: 0.0 for k in pids}
            sampling = threading.Event()
            cpu_marks = []

            def sample():
                while not sampling.wait(1.0):
                    for k, pid in pids.items():
                        try:
                            rss[k] = max(rss[k], proc_rss_mb(pid))
                        except OSError:
                            pass
                    # the steady part: from 10 s after the last puck connected to the end of the run
                    if not cpu_marks and len(connected) >= n and time.monotonic() - max(connected.values()) >= 10:
                        cpu_marks.append((time.monotonic(), cpu_now(), len(poller.seen)))
                    # ... to when the first puck stops making events (the run's length after it connected)
                    elif len(cpu_marks) == 1 and time.monotonic() >= min(connected.values()) + seconds:
                        cpu_marks.append((time.monotonic(), cpu_now(), len(poller.seen)))

            def cpu_now():
                out = {}
                for k, p in pids.items():
                    try:
                        out[k] = proc_cpu_s(p)
                    except OSError:
                        out[k] = 0.0
                return out

            connected = {}
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            pucks, t0, connect_s, lag = asyncio.run(
                run_pucks(n, seconds, passwords, ca, tls_port, created, connected))
            end = (time.monotonic(), cpu_now(), len(poller.seen))
            deadline = time.monotonic() + 30
            while len(poller.seen) < len(created) and time.monotonic() < deadline:
                time.sleep(0.2)
            sampling.set()
            poller.stop.set()
            poller.join(5)
            if readers is not None:
                time.sleep(stream_grace_s)      # the last changes' snapshots: built and pushed
                results = readers.stop()
        finally:
            if readers is not None:
                readers.stop()
            host.terminate()
            reap(host, 30, 10)
        if streams:
            rows, outside = stream_rows(os.path.join(data_dir, "talkpuck.db"))
    finally:
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    if cpu_marks:
        (t1, c1, e1), (t2, c2, e2) = cpu_marks[0], (cpu_marks[1] if len(cpu_marks) > 1 else end)
    else:
        (t1, c1, e1), (t2, c2, e2) = (t0, {k: 0.0 for k in pids}, 0), end
    span = max(t2 - t1, 1e-6)
    # the steady part in wall time (creation is stamped with time.time()): the connection burst at the
    # start (every puck's status, info and state at once) is left out of the "steady" latencies
    lo, hi = t1 + wall_offset, t2 + wall_offset
    steady = {k: v for k, v in created.items() if lo <= v <= hi}
    stored_lat, recv_lat, stored_steady, recv_steady = [], [], [], []
    for key, t_created in created.items():
        got = poller.seen.get(key)
        if got is not None:
            stored_lat.append((got[0] - t_created) * 1000)
            recv_lat.append(got[1] - t_created * 1000)
            if key in steady:
                stored_steady.append(stored_lat[-1])
                recv_steady.append(recv_lat[-1])
    sent = sum(p.sent for p in pucks)
    cpu_pct = {k: 100 * (c2[k] - c1[k]) / span for k in c2}
    res = {
        "pucks": n, "seconds": seconds, "fd_limit": limit, "setup_s": setup_s, "connect_s": connect_s,
        "created": len(created), "stored": len(poller.seen), "lost": len(created) - len(poller.seen),
        "duplicates": poller.duplicates, "sent": sent, "errors": sum(p.errors for p in pucks),
        "reconnects": sum(p.connects - 1 for p in pucks), "commands": sum(p.commands for p in pucks),
        "events_per_s": (e2 - e1) / span, "expected_msgs_per_s": n * LightPuck.rate_per_s(),
        "cpu_pct": cpu_pct, "rss_mb": rss, "window_s": span,
        "stored_ms": summary(stored_lat), "received_ms": summary(recv_lat),
        "stored_steady_ms": summary(stored_steady), "received_steady_ms": summary(recv_steady),
        "steady_events": len(steady),
        "loop_lag_ms": (pct(lag, 0.5) * 1000, pct(lag, 0.99) * 1000), "poll_ms": poll_ms,
        "streams": streams, "stream_errors": [], "load_start": load_start,
    }
    if streams:
        res.update(stream_figures(created, rows, outside, results, cpu_pct, rss))
        received = {k: v[1] for k, v in poller.seen.items()}
        steady_lat = stream_latency(steady, rows, results, received)
        res["stream_steady_ms"] = summary(steady_lat["all"])
        res["stream_host_steady_ms"] = summary(steady_lat["host"])
    return res


def summary(v):
    """(p50, p99, max) of a list of ms (NaN for none)."""
    return (pct(v, 0.5), pct(v, 0.99), max(v or [float("nan")]))


def stream_figures(created, rows, outside, results, cpu_pct, rss):
    lat = stream_latency(created, rows, results)
    ok = [r for r in results if r is not None]
    pushes = [r["pushes"] for r in ok]
    spans = [max(1e-6, (r["last_push"] or 0) - (r["first_push"] or 0)) for r in ok]
    nbytes = sum(r["bytes"] for r in ok)
    errors = [e for r in ok for e in r["errors"]] + ["a stream reader left no result"] * (len(results) - len(ok))
    streams = [k for k in cpu_pct if k.startswith("stream")]
    return {
        "stream_ms": summary(lat["all"]), "stream_turn_ms": summary(lat["turn"]),
        "stream_session_ms": summary(lat["session"]), "stream_hand_ms": summary(lat["hand"]),
        "stream_shown": lat["shown"], "stream_everywhere": lat["everywhere"], "stream_nowhere": lat["nowhere"],
        "stream_kinds": {k: sum(1 for r in rows if r[0] == k) for k in ("turn", "session", "hand")},
        "turns_outside": outside,
        "stream_pushes_per_s": (sum(pushes) / sum(spans)) if ok else float("nan"),
        "stream_kb_per_push": nbytes / 1024 / max(1, sum(pushes)),
        "stream_rooms_per_push": sum(r.get("rooms", 0) for r in ok) / max(1, sum(pushes)),
        "stream_parse_ms_per_push": 1000 * sum(r["parse_s"] for r in ok) / max(1, sum(pushes)),
        "stream_ended": sum(r["ended"] for r in ok), "stream_reconnects": sum(r["reconnects"] for r in ok),
        "stream_cpu_pct": sum(cpu_pct[k] for k in streams) / max(1, len(streams)),
        "stream_rss_mb": max([rss[k] for k in streams] or [0.0]),
        "stream_errors": errors,
        "hub_timing": next((r["hub_timing"] for r in ok if r.get("hub_timing")), None),
    }


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s" % (platform.machine(), os.cpu_count() or 0, model)


def report(r, argv=None):
    cmd = "python bench/thousand_pucks.py " + " ".join(argv if argv is not None else sys.argv[1:])
    nice = os.nice(0)
    lines = [
        "### thousand_pucks: %d pucks x %.0f s, TLS + a login each, one Mosquitto, SQLite (%s)"
        % (r["pucks"], r["seconds"], time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        "",
        "`%s` (nice %d; machine: %s; ulimit -n %d)" % (cmd.strip(), nice, machine(), r["fd_limit"]),
        "",
        "| figure | value |",
        "|---|---|",
        "| logins made (security init + device add + the web user) | %.1f s |" % r["setup_s"],
        "| all pucks connected (TLS, 50 handshakes at a time) | %.1f s |" % r["connect_s"],
        "| events created / stored / lost / duplicated | %d / %d / %d / %d |"
        % (r["created"], r["stored"], r["lost"], r["duplicates"]),
        "| events stored per second (steady %.0f s) | %.1f (all messages planned: %.0f/s) |"
        % (r["window_s"], r["events_per_s"], r["expected_msgs_per_s"]),
        "| host CPU, %% of one core: serve / mosquitto | %.0f / %.0f (the pucks' process: %.0f) |"
        % (r["cpu_pct"]["serve"], r["cpu_pct"].get("mosquitto", float("nan")), r["cpu_pct"]["pucks"]),
        "| peak RSS: serve / mosquitto | %.0f MB / %.0f MB (the pucks' process: %.0f MB) |"
        % (r["rss_mb"]["serve"], r["rss_mb"].get("mosquitto", float("nan")), r["rss_mb"]["pucks"]),
        "| created -> received by the host, p50 / p99 / max | %.0f / %.0f / %.0f ms |" % r["received_ms"],
        "| created -> visible in the store (polled every %d ms), p50 / p99 / max | %.0f / %.0f / %.0f ms |"
        % ((r["poll_ms"],) + r["stored_ms"]),
        "| the same for the %d events created in the steady %.0f s (no connection burst): received; stored | "
        "%.0f / %.0f / %.0f ms; %.0f / %.0f / %.0f ms |"
        % ((r["steady_events"], r["window_s"]) + r["received_steady_ms"] + r["stored_steady_ms"]),
        "| the pucks' event loop lag, p50 / p99 | %.0f / %.0f ms |" % r["loop_lag_ms"],
        "| link errors / reconnects / commands received | %d / %d / %d |" % (r["errors"], r["reconnects"], r["commands"]),
    ]
    if not r["streams"]:
        lines.append("| created -> a browser's event stream | not measured (--streams 0: no browser open) |")
        return "\n".join(lines)
    k = r["stream_kinds"]
    lines += [
        "| created -> on a browser's event stream (%d streams, HTTPS + login each; every event x stream), p50 / p99 / max | "
        "%.0f / %.0f / %.0f ms |" % ((r["streams"],) + r["stream_ms"]),
        "| ... events created in the steady part only, p50 / p99 / max | %.0f / %.0f / %.0f ms |" % r["stream_steady_ms"],
        "| ... the host's part of those: received by the host -> on a stream, p50 / p99 / max | %.0f / %.0f / %.0f ms |"
        % r["stream_host_steady_ms"],
        "| ... a turn in a session / a phase change / a hand, p50 / p99 | %.0f / %.0f, %.0f / %.0f, %.0f / %.0f ms |"
        % (r["stream_turn_ms"][:2] + r["stream_session_ms"][:2] + r["stream_hand_ms"][:2]),
        "| events a browser can see (turns in a session / phase changes / hands): stored / on every stream / "
        "on none | %d (%d / %d / %d) / %d / %d |" % (r["stream_shown"], k["turn"], k["session"], k["hand"],
                                                    r["stream_everywhere"], r["stream_nowhere"]),
        "| events not on screen by design: turns outside a session (not kept) + the rest | %d turns; "
        "stored events in all: %d |" % (r["turns_outside"], r["stored"]),
        "| each stream: pushes/s, KB per push, rooms per push, its reader's JSON parse per push | %.2f /s, %.0f KB, "
        "%.1f, %.1f ms |" % (r["stream_pushes_per_s"], r["stream_kb_per_push"], r["stream_rooms_per_push"],
                             r["stream_parse_ms_per_push"]),
        "| each stream's reader process: CPU %% of one core, peak RSS | %.0f %%, %.0f MB |"
        % (r["stream_cpu_pct"], r["stream_rss_mb"]),
        "| streams the host ended (slow client) / reconnects / reader errors | %d / %d / %d |"
        % (r["stream_ended"], r["stream_reconnects"], len(r["stream_errors"])),
    ]
    ht = r.get("hub_timing")
    if ht:
        def st(k):
            x = ht.get(k) or {}
            return "%.1f / %.1f / %.0f" % (x.get("p50_ms", float("nan")), x.get("p99_ms", float("nan")),
                                          x.get("max_ms", float("nan")))
        lines += [
            "| the host's hub (GET /api/live/timing, its last %d builds), p50 / p99 / max ms: first change -> build "
            "start; the build; build -> every stream's queue; first change -> queues | %s; %s; %s; %s |"
            % ((ht.get("build") or {}).get("n", 0), st("wait"), st("build"), st("fanout"), st("total")),
            "| the hub's builds, rooms per build (the whole run) | %d, %.1f |"
            % (ht["builds"], ht["rooms_built"] / max(1, ht["builds"])),
        ]
    lines.append("| the machine's load average (1 / 5 / 15 min) at the start; at the end | %.2f / %.2f / %.2f; %.2f / %.2f / %.2f |"
                 % (tuple(r.get("load_start") or (float("nan"),) * 3) + os.getloadavg()))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

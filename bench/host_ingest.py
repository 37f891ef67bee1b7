"""host_ingest — the host's ingest rate against a bare paho subscriber on the same broker, same run.

Usage: .venv/bin/python bench/host_ingest.py [--pucks 8] [--events 5000] [--runs 3]
           [--pg postgresql://...] [--workers N] [--no-record]
Each run starts one Mosquitto (the embedded broker's config); per run, first a bare paho subscriber
(QoS 1, persistent session, acks as paho does; the session is ended before the host's phase, so the
broker does not queue that phase's events for it) and then the host take the same load: `--pucks`
simulated pucks each publish `--events` evt/turn messages at QoS 1 as fast as the broker acks them,
plus every 10th one again (a duplicate). The pucks run in a process of their own (real pucks are
other machines: they must not share the consumer's interpreter lock). A rate is messages (duplicates included) per second from
the first publish to the last message received (bare) or stored (host). The ratio host / bare is
printed per run and as the median of the runs. Each run also gives the consumer's own CPU time per
message (this process's user + system time while it took the load: the bare subscriber, then the
host with its threads), which depends far less than the rates on what else the machine runs, and
the 1-minute load average before the run: on 2 cores shared with other jobs the rates swing with
it, and the script says so when the runs' ratios spread over more than 0.2. Publishers slower than 3,000 msg/s make the ratio
meaningless (the load, not the consumer, sets both rates): the script says so.
`--workers N` runs `talkpuck serve --shared-events`'s HostApp plus N-1 `talkpuck ingest-worker`
processes on the shared subscription (PostgreSQL: SQLite allows one writer at a time anyway).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from results import append  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402

from talkpuck.mqtt.broker import Broker  # noqa: E402
from talkpuck.service.hostapp import HostApp  # noqa: E402

MIN_PUBLISH_RATE = 3000   # msg/s: below it the publishers, not the consumer, set the pace
SPREAD = 0.2              # runs whose ratios spread wider than this: the machine, not the code, moved


def cpu_s():
    """This process's CPU seconds so far (user + system, every thread)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _hostport(url):
    host, port = url.split("//")[1].split(":")
    return host, int(port)


def puck(url, device, n, boot="0000beef"):
    host, port = _hostport(url)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device, clean_session=False)
    c.max_inflight_messages_set(100)
    c.connect(host, port)
    c.loop_start()
    info = {"v": 1, "boot": boot, "ms": 0, "fw": "bench", "board": "b", "leds": 16, "room": "Bench",
            "caps": [], "prev_boot": None, "prev_seq": 0}
    c.publish("talkpuck/v1/%s/info" % device, json.dumps(info), qos=1, retain=True).wait_for_publish(10)
    last = None
    for seq in range(1, n + 1):
        p = {"v": 1, "boot": boot, "seq": seq, "ms": seq * 1000, "start_ms": seq * 1000 - 800,
             "end_ms": seq * 1000, "voice": 1 + seq % 3, "conf": 90, "level_db": -30}
        payload = json.dumps(p)
        last = c.publish("talkpuck/v1/%s/evt/turn" % device, payload, qos=1)
        if seq % 10 == 0:
            last = c.publish("talkpuck/v1/%s/evt/turn" % device, payload, qos=1)
    last.wait_for_publish(120)
    c.loop_stop()
    c.disconnect()


def publish_all(url, prefix, pucks, events):
    """Run the pucks (threads of this process); returns (t0, publish seconds)."""
    threads = [threading.Thread(target=puck, args=(url, "%s-%d" % (prefix, i), events)) for i in range(pucks)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return t0, time.monotonic() - t0


class Publishers:
    """The pucks in a process of their own, as real pucks are other machines: their paho threads
    must not share the consumer's interpreter lock. CLOCK_MONOTONIC is one clock for every process
    of the machine, so the child's t0 is comparable with the consumer's times."""

    def __init__(self, url, prefix, pucks, events):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--publish", url, prefix,
                                      str(pucks), str(events)], stdout=subprocess.PIPE, text=True)

    def result(self):
        """(t0, publish seconds), once the publishers are done."""
        out, _ = self.proc.communicate(timeout=600)
        if self.proc.returncode != 0:
            raise SystemExit("publishers failed (exit %s)" % self.proc.returncode)
        t0, secs = json.loads(out.strip().splitlines()[-1])
        return t0, secs


def bare(url, prefix, pucks, events):
    """A bare paho subscriber takes the load: (messages, seconds, publish seconds, CPU seconds)."""
    host, port = _hostport(url)
    want = pucks * (events + events // 10)
    got = [0, 0.0]
    done = threading.Event()

    def on_message(c, u, m):
        if "/evt/" in m.topic:
            got[0] += 1
            if got[0] >= want:
                got[1] = time.monotonic()
                done.set()
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-bare-" + prefix, clean_session=False)
    c.on_message = on_message
    c.connect(host, port)
    c.subscribe("talkpuck/v1/+/evt/#", qos=1)
    c.loop_start()
    time.sleep(0.3)
    cpu0 = cpu_s()
    pub = Publishers(url, prefix, pucks, events)
    done.wait(300)
    cpu = cpu_s() - cpu0
    t0, t_pub = pub.result()
    c.loop_stop()
    c.disconnect()
    # end the persistent session: else the broker goes on queueing every event of the host's phase
    # for this absent subscriber, work the bare phase never paid for
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-bare-" + prefix, clean_session=True)
    c.connect(host, port)
    c.loop_start()
    c.disconnect()
    c.loop_stop()
    return got[0], got[1] - t0, t_pub, cpu


def pg_schema(pg):
    import sqlalchemy
    schema = "bench_%s" % os.urandom(4).hex()
    admin = sqlalchemy.create_engine(pg.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as c:
        c.execute(sqlalchemy.text("CREATE SCHEMA %s" % schema))

    def drop():
        with admin.begin() as c:
            c.execute(sqlalchemy.text("DROP SCHEMA %s CASCADE" % schema))
    return pg + ("&" if "?" in pg else "?") + "options=-csearch_path%3D" + schema, drop


def stored_so_far(store):
    """At most the events stored (exactly on SQLite): the highest row id, an index lookup where count(*)
    would scan the table every 20 ms and slow the host it measures."""
    import sqlalchemy

    with store.engine.connect() as c:
        return int(c.execute(sqlalchemy.text("SELECT max(id) FROM events")).scalar() or 0)


def hosted(url, tmp, prefix, pucks, events, pg, workers):
    """The host takes the load: (messages, seconds, publish seconds, stats, largest batch, CPU seconds)."""
    db_url, drop = pg_schema(pg) if pg else (None, None)
    host = HostApp(url, db_url=db_url, data_dir=os.path.join(tmp, "var-" + prefix), shared_events=workers > 1)
    host.start()
    procs = []
    want = pucks * events
    try:
        for w in range(1, workers):
            procs.append(subprocess.Popen([sys.executable, "-m", "talkpuck.cli", "ingest-worker", "--worker", str(w),
                                           "--broker", url, "--db", host.settings.db_url],
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        for p in procs:
            p.stdout.readline()           # "talkpuck ingest worker N: ..." once it is subscribed
        cpu0 = cpu_s()
        pub = Publishers(url, prefix, pucks, events)
        t_start = time.monotonic()
        if workers == 1:
            # every message acked: each was stored (or found stored) before its ack; an int read every
            # 5 ms, where a query every 20 ms cost the host it measures ~2.5 us of CPU per message
            n_msgs = pucks * (events + events // 10)
            while host.link.acked < n_msgs and time.monotonic() - t_start < 600:
                time.sleep(0.005)
        while stored_so_far(host.store) < want and time.monotonic() - t_start < 600:
            time.sleep(0.02)
        while host.store.count("events") < want and time.monotonic() - t_start < 600:
            time.sleep(0.02)      # PostgreSQL: a conflicting insert uses up an id, so max(id) runs ahead
        t_end = time.monotonic()
        cpu = cpu_s() - cpu0
        t0, t_pub = pub.result()
        t_all = t_end - t0
        host.wait_idle(0.5, 30)
        st = host.stats()
        return pucks * (events + events // 10), t_all, t_pub, st, host.link.largest_batch, cpu
    finally:
        for p in procs:
            p.terminate()
            p.wait(20)
        host.stop()
        if drop:
            drop()


def main():
    if sys.argv[1:2] == ["--publish"]:          # the child of Publishers
        url, prefix, pucks, events = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(publish_all(url, prefix, pucks, events)), flush=True)
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--pucks", type=int, default=8)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pg", help="a PostgreSQL URL to bench instead of SQLite")
    ap.add_argument("--workers", type=int, default=1, help="ingest processes (serve + N-1 ingest-workers)")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tp-bench-")
    rows, ratios, cpus, slow = [], [], [], False
    db = "postgresql" if args.pg else "sqlite"
    for run in range(args.runs):
        broker = Broker.start(data_dir=os.path.join(tmp, "broker-%d" % run))
        load = os.getloadavg()[0]
        try:
            n_b, t_b, pub_b, cpu_b = bare(broker.url, "bare%d" % run, args.pucks, args.events)
            n_h, t_h, pub_h, st, largest, cpu_h = hosted(broker.url, tmp, "host%d" % run, args.pucks, args.events,
                                                         args.pg, args.workers)
        finally:
            broker.stop()
        rate_b, rate_h = n_b / t_b, n_h / t_h
        pub_rate = min(n_b / pub_b, n_h / pub_h)
        slow = slow or pub_rate < MIN_PUBLISH_RATE
        ratios.append(rate_h / rate_b)
        ok = (st["events_stored"], st["events_lost"], st["duplicates_dropped"]) == (
            args.pucks * args.events, 0, args.pucks * (args.events // 10))
        rows.append("| %d | %.2f | %.0f | %.0f | %.0f | %.2f | %.1f | %.1f | %d | %d | %d | %d | %s |" % (
            run + 1, load, pub_rate, rate_b, rate_h, rate_h / rate_b, cpu_b / n_b * 1e6, cpu_h / n_h * 1e6,
            st["events_stored"], st["events_lost"], st["duplicates_dropped"], largest, "yes" if ok else "NO"))
        cpus.append((cpu_b / n_b * 1e6, cpu_h / n_h * 1e6))
        print(rows[-1], flush=True)
    med = statistics.median(ratios)
    lines = ["%d pucks x %d events (+10%% duplicates), %s, %d ingest process(es); rates in messages/s "
             "(duplicates included)." % (args.pucks, args.events, db, args.workers), "",
             "CPU us/msg: the consumer process's CPU time per message (user + system, all its threads; the "
             "host's ingest is one process: " + ("serve's, the workers' not counted" if args.workers > 1 else
                                                 "paho's thread, the delivery thread, the bench's polling") + ").",
             "",
             ("| run | load 1 min | publishers msg/s | bare paho msg/s | host msg/s | host / bare | "
              "bare CPU us/msg | host CPU us/msg | stored | lost | duplicates dropped | largest batch | "
              "all stored once |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"] + rows + [
             "", "Median host / bare: **%.2f**; median CPU per message: bare %.1f us, host %.1f us" % (
                 med, statistics.median(c[0] for c in cpus), statistics.median(c[1] for c in cpus))]
    if max(ratios) - min(ratios) > SPREAD:
        lines.append("")
        lines.append("NOTE: the runs' ratios spread from %.2f to %.2f with the 1-minute load average at %s on %d "
                     "cores: other jobs took CPU from the broker, the publishers or the consumer during some "
                     "runs; the CPU per message is the steadier figure." % (
                         min(ratios), max(ratios), ", ".join(r.split("|")[2].strip() for r in rows),
                         os.cpu_count() or 0))
    if slow:
        lines.append("")
        lines.append("WARNING: the publishers sent under %d msg/s in at least one run: the load, not the "
                     "consumer, set the rates, so the ratio says little." % MIN_PUBLISH_RATE)
    print("\n".join(lines))
    if not args.no_record:
        append("Host ingest vs a bare subscriber (%s, %d worker%s)" % (db, args.workers, "s" if args.workers > 1 else ""),
               lines)


if __name__ == "__main__":
    main()

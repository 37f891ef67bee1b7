"""host_ingest_profile — where the host's CPU goes per message under bench/host_ingest.py's load.

Usage: .venv/bin/python bench/host_ingest_profile.py [--pucks 8] [--events 5000] [--pg URL]
           [--profile paho|deliver] [--top 30]
One run of the host's phase of bench/host_ingest.py (its own Mosquitto, the pucks in a process of
their own) with, per thread of the host's process, the CPU seconds it used (Linux /proc) and that
per message; `--profile` adds a cProfile of paho's network thread or of the link's delivery thread
(cProfile slows the thread it watches several-fold: read its shares, not its times). MainThread
includes starting the host. Prints only:
nothing is appended to bench/RESULTS.md.
"""
import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import host_ingest  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402

from talkpuck.mqtt import link  # noqa: E402
from talkpuck.mqtt.broker import Broker  # noqa: E402


def thread_cpu():
    """{native thread id: CPU seconds} for every thread of this process (Linux /proc)."""
    out, hz = {}, os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/stat" % tid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / hz   # utime + stime
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pucks", type=int, default=8)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--pg", help="a PostgreSQL URL instead of SQLite")
    ap.add_argument("--profile", choices=["paho", "deliver"])
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()

    profile = cProfile.Profile() if args.profile else None

    def watched(fn):
        def run(self, *a):
            profile.enable()
            try:
                return fn(self, *a)
            finally:
                profile.disable()
        return run
    if args.profile == "deliver":
        link.MqttLink._deliver_loop = watched(link.MqttLink._deliver_loop)
    elif args.profile == "paho":
        link._ReadAheadClient._thread_main = watched(mqtt.Client._thread_main)   # the host's client only

    names, before, after = {}, {}, {}
    real_stop = host_ingest.HostApp.stop

    def stop(self):                         # the threads' figures before they end
        after.update(thread_cpu())
        names.update({t.native_id: t.name for t in threading.enumerate()})
        return real_stop(self)
    host_ingest.HostApp.stop = stop

    tmp = tempfile.mkdtemp(prefix="tp-prof-")
    broker = Broker.start(data_dir=os.path.join(tmp, "broker"))
    try:
        before.update(thread_cpu())
        n, secs, pub_secs, st, largest, cpu = host_ingest.hosted(broker.url, tmp, "prof", args.pucks, args.events,
                                                                 args.pg, 1)
    finally:
        broker.stop()
    print("%d messages in %.2f s: %.0f msg/s (publishers %.0f msg/s); stored %d, lost %d, duplicates dropped %d; "
          "largest batch %d; load average %.2f" % (n, secs, n / secs, n / pub_secs, st["events_stored"],
                                                   st["events_lost"], st["duplicates_dropped"], largest,
                                                   os.getloadavg()[0]))
    print("process CPU while taking the load: %.2f s = %.1f us per message" % (cpu, cpu / n * 1e6))
    rows = sorted(((after[t] - before.get(t, 0.0), names.get(t, "thread %d" % t)) for t in after), reverse=True)
    for used, name in rows:
        if used >= 0.01:
            print("  %-44s %6.2f s  %5.1f us/msg" % (name, used, used / n * 1e6))
    if profile is not None:
        print("\ncProfile of the %s thread (slowed by the profiler):" % args.profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()

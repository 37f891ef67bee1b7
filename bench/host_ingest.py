"""host_ingest — how fast the host ingests puck events end to end (paho QoS 1 -> Mosquitto -> validate -> dedup -> store).

Usage: .venv/bin/python bench/host_ingest.py [--pucks 4] [--events 1000] [--pg postgresql://...] [--no-record]
Each simulated puck publishes `--events` evt/turn messages at QoS 1 as fast as the broker acks
them, plus every 10th one again (a duplicate); the clock runs until the host has stored them all.
"""
import argparse
import json
import os
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


def puck(url, device, n, boot="0000beef"):
    host, port = url.split("//")[1].split(":")
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device, clean_session=False)
    c.max_inflight_messages_set(100)
    c.connect(host, int(port))
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
    last.wait_for_publish(60)
    c.loop_stop()
    c.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pucks", type=int, default=4)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--pg", help="a PostgreSQL URL to bench instead of SQLite")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tp-bench-")
    broker = Broker.start(data_dir=os.path.join(tmp, "broker"))
    db_url, schema = args.pg, None
    if args.pg:   # a private schema, dropped afterwards, so runs never see each other's rows
        import sqlalchemy
        schema = "bench_%s" % os.urandom(4).hex()
        admin = sqlalchemy.create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as c:
            c.execute(sqlalchemy.text("CREATE SCHEMA %s" % schema))
        db_url = args.pg + ("&" if "?" in args.pg else "?") + "options=-csearch_path%3D" + schema
    host = HostApp(broker.url, db_url=db_url, data_dir=os.path.join(tmp, "var"))
    host.start()
    total = args.pucks * args.events
    try:
        t0 = time.monotonic()
        threads = [threading.Thread(target=puck, args=(broker.url, "bench-%d" % i, args.events))
                   for i in range(args.pucks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_pub = time.monotonic() - t0
        while host.stats()["events_stored"] < total and time.monotonic() - t0 < 600:
            time.sleep(0.05)
        host.wait_idle(0.5, 30)
        t_all = time.monotonic() - t0
        st = host.stats()
    finally:
        host.stop()
        broker.stop()
        if schema:
            with admin.begin() as c:
                c.execute(sqlalchemy.text("DROP SCHEMA %s CASCADE" % schema))
    db = host.store.dialect
    rate = total / t_all
    rows = [("store", db), ("pucks x events", "%d x %d (+10%% duplicates)" % (args.pucks, args.events)),
            ("events stored", st["events_stored"]), ("duplicates dropped", st["duplicates_dropped"]),
            ("events lost", st["events_lost"]), ("publish time s", "%.2f" % t_pub),
            ("until all stored s", "%.2f" % t_all), ("events/s end to end", "%.0f" % rate),
            ("ms per message (incl. duplicates)", "%.2f" % (1000.0 * t_all / (total * 1.1)))]
    for k, v in rows:
        print("%-36s %s" % (k, v))
    if not args.no_record:
        append("Host ingest throughput (%s)" % db, ["| figure | value |", "|---|---|"] +
               ["| %s | %s |" % r for r in rows])


if __name__ == "__main__":
    main()

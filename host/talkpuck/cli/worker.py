"""worker — `talkpuck ingest-worker --worker N`: one more process storing events (talkpuck.ingest.worker)."""
import argparse
import signal
import threading


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("ingest-worker", help="store puck events beside `talkpuck serve --shared-events` "
                                             "(MQTT shared subscription; several may run)")
    p.add_argument("--worker", type=int, required=True, help="this worker's number, 1 or more (fixes its MQTT client id)")
    p.add_argument("--broker", required=True, help="mqtt://host:port of the broker `talkpuck serve` uses")
    p.add_argument("--db", help="database URL: the one `talkpuck serve` uses (default: SQLite in the data dir)")
    p.add_argument("--data-dir", default="var", help="data dir for the default SQLite database (default: var)")
    p.add_argument("--broker-ca", default=None, help="CA file (PEM) for an mqtts:// broker")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int | None:
    from talkpuck.ingest.worker import IngestWorker

    w = IngestWorker(args.broker, args.worker, db_url=args.db, data_dir=args.data_dir, broker_ca=args.broker_ca)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    w.start()
    print("talkpuck ingest worker %d: client id %s, store %s" % (w.worker, w.client_id, w.db_url.split(":")[0]),
          flush=True)
    try:
        while not stop.wait(1):
            pass
    finally:
        w.stop()
    return 0

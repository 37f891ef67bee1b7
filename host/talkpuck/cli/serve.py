"""serve — `talkpuck serve`: the host (ingest, store, live view) on an external or embedded broker."""
import logging
import signal
import threading

from talkpuck.cli import runtime

log = logging.getLogger(__name__)
DEFAULT_HTTP_PORT = 8765


def add_parser(sub):
    p = sub.add_parser("serve", help="run the host: MQTT ingest, store and the live room view")
    p.add_argument("--broker", help="mqtt://host:port of an external broker (default: start an embedded one)")
    p.add_argument("--db", help="database URL (default: SQLite in the data dir; postgresql://... works too)")
    p.add_argument("--data-dir", default="var", help="where the database and broker files live (default: var)")
    p.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT,
                   help="port of the live view on 127.0.0.1 (default %d; a free one if taken; 0 = any)" % DEFAULT_HTTP_PORT)
    p.add_argument("--retention-days", type=check_days, default=None,
                   help="delete sessions and rows older than this many days, checked hourly (default 90; "
                        "docs/privacy.md)")
    p.set_defaults(func=run)


def check_days(text):
    from talkpuck.errors import ConfigError
    from talkpuck.service.settings import check_retention_days
    import argparse
    try:
        return check_retention_days(text)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e))


def start_host(args):
    """(host, broker or None) running; the caller stops both."""
    from talkpuck.service.hostapp import HostApp
    from talkpuck.errors import ListenError

    broker = None
    url = args.broker
    if not url:
        from talkpuck.mqtt.broker import Broker
        broker = Broker.start(data_dir=args.data_dir)
        url = broker.url
    try:
        from talkpuck.service.settings import RETENTION_DAYS_DEFAULT
        days = getattr(args, "retention_days", None) or RETENTION_DAYS_DEFAULT
        host = HostApp(url, db_url=args.db, data_dir=args.data_dir, http_port=args.http_port, retention_days=days)
        try:
            host.start()
        except ListenError:
            if not args.http_port:
                raise
            log.warning("port %d is taken; picking a free one", args.http_port)
            host = HostApp(url, db_url=args.db, data_dir=args.data_dir, http_port=0, retention_days=days)
            host.start()
    except BaseException:
        if broker is not None:
            broker.stop()
        raise
    return host, broker


def run(args):
    host, broker = start_host(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    runtime.write(args.data_dir, broker_url=host.settings.broker_url, http_url=host.http_url,
                  db_url=host.settings.db_url)
    print("talkpuck host: live view %s  broker %s  store %s" % (host.http_url, host.settings.broker_url,
                                                                 host.store.dialect), flush=True)
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        runtime.clear(args.data_dir)
        host.stop()
        if broker is not None:
            broker.stop()
    return 0

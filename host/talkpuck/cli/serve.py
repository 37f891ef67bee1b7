"""serve — `talkpuck serve`: the host (ingest, store, live view) on an external or embedded broker.

`--listen ADDR` serves the pucks beyond localhost: the embedded Mosquitto gets a TLS listener on
ADDR at the fixed `--mqtt-tls-port` (8883), logins and the ACL (talkpuck.security); it refuses to
start unless `talkpuck security init` was run, needs Mosquitto (the in-process broker stays on
localhost), and fails loudly when the port is taken.
"""
import argparse
import logging
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

from talkpuck.cli import runtime

if TYPE_CHECKING:
    from talkpuck.mqtt.broker import Broker
    from talkpuck.security.mosquitto_conf import SecureBroker
    from talkpuck.service.hostapp import HostApp

log = logging.getLogger(__name__)
DEFAULT_HTTP_PORT = 8765


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("serve", help="run the host: MQTT ingest, store and the live room view")
    # from the environment too, so a service's password stays off the command line (`ps` shows it there)
    p.add_argument("--broker", default=os.environ.get("TALKPUCK_BROKER") or None,
                   help="mqtt://host:port of an external broker (default: $TALKPUCK_BROKER, else start an "
                        "embedded one)")
    p.add_argument("--db", default=os.environ.get("TALKPUCK_DB") or None,
                   help="database URL (default: $TALKPUCK_DB, else SQLite in the data dir; postgresql://... works too)")
    p.add_argument("--data-dir", default="var", help="where the database and broker files live (default: var)")
    p.add_argument("--listen", default=None, metavar="ADDR",
                   help="serve the pucks on ADDR (e.g. 0.0.0.0 or the LAN address) over TLS with logins; "
                        "needs `talkpuck security init` and Mosquitto (default: localhost only)")
    p.add_argument("--mqtt-tls-port", type=int, default=None,
                   help="the broker's TLS port with --listen (default 8883); never moved when taken")
    p.add_argument("--broker-ca", default=None,
                   help="CA file (PEM) to check an external mqtts:// broker against (default: the system's CAs)")
    p.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT,
                   help="port of the live view on 127.0.0.1 (default %d; a free one if taken; 0 = any)" % DEFAULT_HTTP_PORT)
    p.add_argument("--retention-days", type=check_days, default=None,
                   help="delete sessions and rows older than this many days, checked hourly (default 90; "
                        "docs/privacy.md)")
    p.add_argument("--shared-events", action="store_true",
                   help="take events through the MQTT shared subscription, beside `talkpuck ingest-worker`s "
                        "(this process stays the one that sends commands and reads info/state)")
    p.add_argument("--ha-discovery", action="store_true",
                   help="publish Home Assistant MQTT discovery for every puck (off by default; docs/home-assistant.md)")
    p.add_argument("--ha-prefix", default=None, metavar="PREFIX",
                   help="Home Assistant's discovery prefix (default: homeassistant)")
    p.add_argument("--ha-talking", action="store_true",
                   help="also a 'talking' binary sensor per puck (needs --ha-discovery; read docs/privacy.md first)")
    p.set_defaults(func=run)


def check_days(text: str) -> int:
    from talkpuck.errors import ConfigError
    from talkpuck.service.settings import check_retention_days
    try:
        return check_retention_days(text)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e))


def start_host(args: argparse.Namespace) -> tuple["HostApp", "Broker | None"]:
    """(host, broker or None) running; the caller stops both."""
    from talkpuck.auth.tls import web_options
    from talkpuck.service.hostapp import HostApp
    from talkpuck.errors import ListenError

    broker = None
    url = args.broker
    secure = secure_broker(args)
    if not url:
        from talkpuck.mqtt.broker import Broker
        broker = Broker.start(data_dir=args.data_dir, secure=secure)
        url = broker.url
    ca = getattr(args, "broker_ca", None)
    # beyond localhost the live view serves HTTPS with the installation's web certificate (talkpuck.auth.tls)
    web = web_options(getattr(args, "listen", None), args.data_dir)
    try:
        from talkpuck.service.settings import RETENTION_DAYS_DEFAULT
        days = getattr(args, "retention_days", None) or RETENTION_DAYS_DEFAULT
        shared = bool(getattr(args, "shared_events", False))
        ha: dict[str, Any] = {"ha_discovery": getattr(args, "ha_discovery", False), "ha_prefix": getattr(args, "ha_prefix", None),
              "ha_talking": getattr(args, "ha_talking", False)}
        host = HostApp(url, db_url=args.db, data_dir=args.data_dir, http_port=args.http_port, broker_ca=ca,
                       retention_days=days, shared_events=shared, **web, **ha)
        try:
            host.start()
        except ListenError:
            if not args.http_port:
                raise
            log.warning("port %d is taken; picking a free one", args.http_port)
            host = HostApp(url, db_url=args.db, data_dir=args.data_dir, http_port=0, broker_ca=ca,
                           retention_days=days, shared_events=shared, **web, **ha)
            host.start()
    except BaseException:
        if broker is not None:
            broker.stop()
        raise
    return host, broker


LOCALHOST = ("127.0.0.1", "localhost", "::1")


def secure_broker(args: argparse.Namespace) -> "SecureBroker | None":
    """The SecureBroker for `--listen` beyond localhost (ConfigError unless security is initialised),
    else None. With an external --broker the organisation's broker does its own TLS and logins."""
    from puckport.brokerurl import TLS_PORT
    from talkpuck.service.settings import Settings

    listen = getattr(args, "listen", None)
    tls_port = getattr(args, "mqtt_tls_port", None) or TLS_PORT
    Settings("mqtt://127.0.0.1", data_dir=args.data_dir, listen=listen, mqtt_tls_port=tls_port)  # checks them
    if not listen or listen in LOCALHOST or args.broker:
        return None
    from talkpuck.security.credentials import security_dir
    from talkpuck.security.mosquitto_conf import SecureBroker

    return SecureBroker(security_dir(args.data_dir), listen, tls_port, getattr(args, "ha_prefix", None))


def run(args: argparse.Namespace) -> int | None:
    from puckport.brokerurl import redact

    host, broker = start_host(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    old = os.umask(0o077)  # host.json carries the host's MQTT login when security is on: owner only
    try:
        runtime.write(args.data_dir, broker_url=host.settings.broker_url, http_url=host.http_url,
                      db_url=host.settings.db_url,
                      ha_prefix=host.settings.ha_prefix if host.settings.ha_discovery else None)
    finally:
        os.umask(old)
    store = host.store
    if store is None:        # never: start_host started the host
        raise RuntimeError("serve: the host did not start")
    print("talkpuck host: live view %s  broker %s  store %s" % (host.http_url, redact(host.settings.broker_url),
                                                                 store.dialect), flush=True)
    secure = getattr(broker, "_secure", None) if broker is not None else None
    if secure is not None:
        print("talkpuck host: pucks connect to %s (TLS, logins: talkpuck device add NAME)"
              % secure.puck_url, flush=True)
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

"""units — `talkpuck deploy-units --out DIR`: systemd units for one office, with this install's paths.

    talkpuck deploy-units --out /tmp/units --user talkpuck --data-dir /var/lib/talkpuck [--listen 192.168.1.20]
    sudo cp /tmp/units/*.service /etc/systemd/system/ && sudo systemctl daemon-reload
    sudo systemctl enable --now talkpuck-mosquitto talkpuck

What each file is: talkpuck.service.units; the walk-through: docs/deploy.md §2.
"""
import argparse
import getpass


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("deploy-units", help="write systemd units (Mosquitto + the host) for this install")
    p.add_argument("--out", required=True, help="folder to write the units, the Mosquitto config and the env file")
    p.add_argument("--data-dir", default="var", help="the host's data dir (default: var; made absolute)")
    p.add_argument("--user", default=None, help="the user the services run as (default: the current user)")
    p.add_argument("--listen", default=None, metavar="ADDR",
                   help="serve the pucks on ADDR over TLS with logins (needs `talkpuck security init`)")
    p.add_argument("--mqtt-tls-port", type=int, default=None, help="the TLS port with --listen (default 8883)")
    p.add_argument("--mqtt-port", type=int, default=1883, help="the broker's plain port on 127.0.0.1 (default 1883)")
    p.add_argument("--http-port", type=int, default=8765, help="the live view's port on 127.0.0.1 (default 8765)")
    p.add_argument("--db", default=None, help="database URL (default: SQLite in the data dir)")
    p.add_argument("--workers", type=int, default=0,
                   help="also a talkpuck-worker@.service template for N ingest workers (serve --shared-events)")
    p.add_argument("--ha-discovery", action="store_true", help="serve with Home Assistant discovery on")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int | None:
    from talkpuck.service.units import render_units, write_units

    units = render_units(args.data_dir, args.user or getpass.getuser(), args.out, listen=args.listen,
                         tls_port=args.mqtt_tls_port, mqtt_port=args.mqtt_port, http_port=args.http_port,
                         db_url=args.db, workers=args.workers, ha_discovery=args.ha_discovery)
    for path in write_units(units, args.out):
        print(path)
    print("install: sudo cp %s/*.service /etc/systemd/system/ && sudo systemctl daemon-reload && "
          "sudo systemctl enable --now talkpuck-mosquitto talkpuck" % args.out)
    return 0

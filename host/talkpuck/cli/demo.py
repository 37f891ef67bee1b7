"""demo — `talkpuck demo`: host, broker, live view and two simulated pucks (sim/demo.py)."""
import argparse

from talkpuck.sim import demo


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("demo", help="live demo: host, broker, web view and two simulated pucks")
    p.add_argument("--duration", type=float, help="stop after this many seconds and print a JSON summary")
    p.add_argument("--speed", type=float, default=1.0, help="run the pucks' clocks faster (tests)")
    p.add_argument("--limit", type=int, default=180, help="session time limit, seconds")
    p.add_argument("--warn", type=int, default=60, help="warning, seconds before the end")
    p.add_argument("--broker", help="use this broker (mqtt://host:port) instead of an embedded one")
    p.add_argument("--db", help="database URL (default: SQLite in the data dir)")
    p.add_argument("--data-dir", default="var/demo", help="where the demo keeps its database and broker data")
    p.add_argument("--http-port", type=int, default=8080, help="live view port (a free one if taken)")
    p.add_argument("--hand-every", type=float, default=25.0, help="mean seconds between simulated hand raises")
    p.add_argument("--seed", type=int, help="random seed for the simulated presses")
    p.add_argument("--speech", default=demo.SPEECH, help="folder of the recordings the pucks play (default: the checkout's)")
    p.set_defaults(func=demo.run)

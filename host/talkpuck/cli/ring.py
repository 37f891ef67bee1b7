"""ring — `talkpuck ring preview`: a session's LED ring frames as images (analytics/ringpreview.py)."""
import argparse

from talkpuck.analytics import ringpreview
from talkpuck.cli import runtime


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    ring = subparsers.add_parser("ring", help="the LED ring: preview its frames")
    sub = ring.add_subparsers(dest="ring_command", metavar="ACTION")
    p = sub.add_parser("preview", help="render a session's ring frames to images (contact sheet, animation)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default="docs/images", help="folder for the images")
    p.add_argument("--leds", type=int, default=24, help="LEDs in the ring")
    p.add_argument("--limit-s", type=int, default=600, help="length of the animated session")
    p.add_argument("--warn-s", type=int, default=300, help="warning time of the animated session")
    p.add_argument("--format", default="png,svg,gif", help="comma list of png, svg, gif")
    p.set_defaults(func=ringpreview.run)
    ring.set_defaults(func=runtime.show_help(ring))

"""cli — the `talkpuck` command: one subcommand per module, registered in COMMANDS.

Each command module exposes `add_parser(subparsers)` (which sets `func` on its parser) and is
listed here by import path, so adding a command touches one line of this file.
"""
import argparse
import importlib
import logging
import sys

COMMANDS = [
    # module path                      (subcommands it adds)
    "talkpuck.detection.detect_cmd",     # detect
    "talkpuck.detection.eval_cmd",       # eval
    "talkpuck.detection.train",          # train-vad
    "talkpuck.detection.conversations_cmd",  # make-conversations
    "talkpuck.sim.cli",                  # sim
    "talkpuck.demo",                     # demo
    "talkpuck.ringpreview",              # ring preview
    "talkpuck.hostcli.serve",            # serve
    "talkpuck.hostcli.sessions",         # sessions, session
    "talkpuck.hostcli.control",          # cmd, session-start, session-extend, session-end, hand-ack
    "talkpuck.deploy.cli",               # board, build, deploy
]


def build_parser():
    parser = argparse.ArgumentParser(prog="talkpuck", description="talkpuck host and tools")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for path in COMMANDS:
        importlib.import_module(path).add_parser(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a TalkpuckError is the user's problem to fix: say it plainly
        from talkpuck.errors import TalkpuckError

        if isinstance(e, TalkpuckError):
            print("talkpuck: error: %s" % e, file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())

"""cli — the `talkpuck` command. Every subcommand lives in this package: one module per command group.

A command module exposes `add_parser(subparsers)`, which adds its subcommands and sets `func` on
each parser; `func(args)` returns the exit code. It parses arguments, calls the library code in the
other subpackages and prints; it holds no logic of its own worth testing apart from the CLI. Adding
a command: a new module here (or a parser in the group's module) plus its name in COMMANDS.
"""
import argparse
import importlib
import logging
import sys

COMMANDS = [
    # module of talkpuck.cli          subcommands it adds
    "serve",                          # serve
    "user",                           # user add/list/remove/assign/passwd (web logins)
    "sessions",                       # sessions, session
    "retention",                      # delete-session, delete-room, forget-name, names, prune
    "control",                        # cmd, session-start, session-extend, session-end, hand-ack
    "sim",                            # sim
    "demo",                           # demo
    "ring",                           # ring preview
    "detect",                         # detect
    "eval",                           # eval
    "train",                          # train-vad
    "conversations",                  # make-conversations
    "voices",                         # train-voices
    "deploy",                         # board, build, deploy, provision
    "security",                       # security init, device add|remove|list
    "pi",                             # pi run (a Raspberry Pi puck)
    "bridge",                         # bridge (a USB puck to MQTT)
    "firmware",                       # firmware push (updates over the air)
    "worker",                         # ingest-worker (events beside serve --shared-events)
    "ha",                             # ha login|show|remove (Home Assistant discovery)
    "units",                          # deploy-units (systemd units for one office)
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talkpuck", description="talkpuck host and tools")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module("talkpuck.cli." + name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
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

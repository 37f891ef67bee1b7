"""deploy — the `board`, `build`, `deploy` and `provision` commands (pin maps, mpy-cross, mpremote, serial)."""
import argparse
import sys

from talkpuck.errors import ConfigError


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("board", help="list boards or check a pin map (hardware/boards/)")
    bsub = p.add_subparsers(dest="board_cmd", metavar="ACTION")
    pl = bsub.add_parser("list", help="list the known boards")
    pl.set_defaults(func=run_list)
    pc = bsub.add_parser("check", help="check pin maps: pins exist, none used twice, risky pins warned")
    pc.add_argument("boards", nargs="*", metavar="BOARD", help="names or .json paths (default: all)")
    pc.set_defaults(func=run_check)
    p.set_defaults(func=run_list)

    p = sub.add_parser("build", help="compile the firmware with mpy-cross into build/<board>/")
    p.add_argument("--board", required=True, help="a hardware/boards/ name, e.g. esp32s3-devkit")
    p.add_argument("--out", default=None, help="output root (default build/)")
    p.set_defaults(func=run_build)

    p = sub.add_parser("deploy", help="build, check the config, copy both to a puck with mpremote")
    p.add_argument("--port", required=True, help="the puck's serial port, e.g. /dev/ttyACM0")
    p.add_argument("--board", required=True)
    p.add_argument("--config", default=None, help="config.json to install (see firmware/config.example.json)")
    p.add_argument("--out", default=None, help="build root (default build/)")
    p.add_argument("--dry-run", action="store_true", help="print the mpremote command, copy nothing")
    p.set_defaults(func=run_deploy)

    p = sub.add_parser("provision", help="write a checked config.json to a puck over USB serial")
    p.add_argument("--port", required=True, help="e.g. /dev/ttyACM0")
    p.add_argument("--config", required=True, help="config.json (see firmware/config.example.json)")
    p.add_argument("--no-reset", action="store_true", help="do not soft-reset the puck afterwards")
    p.set_defaults(func=run_provision)


def run_list(args: argparse.Namespace) -> int | None:
    from talkpuck.deploy.boards import board_names, load_board

    for name in board_names():
        b = load_board(name)
        print("%-16s %-8s %s" % (name, b.get("chip"), b.get("description", "")))
    return 0


def run_check(args: argparse.Namespace) -> int | None:
    from talkpuck.deploy.boards import board_names, check_board, load_board

    bad = 0
    for name in args.boards or board_names():
        try:
            board = load_board(name)
        except ConfigError as e:
            print("%s: error: %s" % (name, e))
            bad += 1
            continue
        errors, warnings = check_board(board)
        for w in warnings:
            print("%s: warning: %s" % (name, w))
        for err in errors:
            print("%s: error: %s" % (name, err))
        print("%s: %s" % (name, "FAILED" if errors else "ok"))
        bad += bool(errors)
    return 1 if bad else 0


def run_build(args: argparse.Namespace) -> int | None:
    from talkpuck.deploy.build import build

    out = build(args.board, args.out, log=sys.stderr)
    print(out)
    return 0


def run_deploy(args: argparse.Namespace) -> int | None:
    from talkpuck.deploy.deploy import deploy

    return deploy(args.board, args.port, args.config, args.out, args.dry_run)


def run_provision(args: argparse.Namespace) -> int | None:
    from talkpuck.deploy.provision import provision

    device = provision(args.port, args.config, reset=not args.no_reset)
    print("%s: config.json written on %s" % (device, args.port))
    return 0

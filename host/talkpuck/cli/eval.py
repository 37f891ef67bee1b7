"""eval — `talkpuck eval DIR [--json OUT]`: score the firmware detector on labelled WAVs."""
import argparse
import json

from talkpuck.detection.evaluate import evaluate_dir, format_table


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = subparsers.add_parser("eval", help="score the talk-turn detector on NAME.wav + NAME.rttm in a folder")
    p.add_argument("dir", help="folder of NAME.wav with NAME.rttm references")
    p.add_argument("--json", help="also write every figure as JSON here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int | None:
    result = evaluate_dir(args.dir)
    print(format_table(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return 0

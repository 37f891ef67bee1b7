"""pi — `talkpuck pi run --config FILE`: run this Raspberry Pi as a puck (talkpuck.pi.runner)."""


import argparse


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("pi", help="Raspberry Pi puck: run the firmware core on this Pi")
    psub = p.add_subparsers(dest="pi_cmd", required=True)
    r = psub.add_parser("run", help="run the puck (the systemd unit's ExecStart; hardware/README.md §7)")
    r.add_argument("--config", required=True, help="the puck's config file (device, board pi, broker, storage)")
    r.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int | None:
    from talkpuck.pi import runner

    return runner.run(args.config)

"""firmware — `talkpuck firmware push`: a built update bundle to pucks over their own MQTT topics.

    talkpuck firmware push --bundle build/esp32s3-devkit (--device D | --room R | --all) [--retry-for 30m]

The bundle is the one `talkpuck build` wrote beside the .mpy files (deploy/bundle.py); each puck's
copy of the manifest is signed with that puck's own key (its provisioning file in the security
folder, `talkpuck device add`; or --key-file for a puck provisioned by hand). The transfer is
deploy/push.py; a puck in a session refuses, and --retry-for keeps offering until it ends.
"""
import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from talkpuck.cli import runtime
from talkpuck.cli.control import Client
from talkpuck.errors import ConfigError, TalkpuckError

if TYPE_CHECKING:
    from talkpuck.store import Store


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("firmware", help="updates over the air: firmware push")
    fsub = p.add_subparsers(dest="firmware_cmd", required=True)
    push = fsub.add_parser("push", help="send a built bundle to pucks (verified, switched at a reset, rolled back "
                                        "if it fails)")
    push.add_argument("--bundle", required=True, help="a `talkpuck build` output folder (holds bundle.bin)")
    who = push.add_mutually_exclusive_group(required=True)
    who.add_argument("--device", help="one puck")
    who.add_argument("--room", help="every puck the host knows in this room")
    who.add_argument("--all", action="store_true", help="every puck the host knows")
    push.add_argument("--key-file", help="file with the puck's ota_key in hex (default: its provisioning file)")
    push.add_argument("--retry-for", default="0", help="keep offering a refused update this long (e.g. 30m)")
    # what control.Client reads (as `talkpuck cmd` has them)
    push.add_argument("--broker", help="mqtt://host:port (default: the running host's)")
    push.add_argument("--db", help="database URL to record the commands in (default: the running host's)")
    push.add_argument("--data-dir", default="var", help="data dir of the running host (default: var)")
    push.add_argument("--ttl", type=int, default=30, help="time-to-live of each command, seconds (default 30)")
    push.add_argument("--wait", type=float, default=5.0, help="seconds to wait for each of the puck's responses")
    push.set_defaults(func=run_push)


def _targets(args: argparse.Namespace, store: "Store") -> list[str]:
    if args.device:
        return [args.device]
    devices = store.devices()
    if args.room:
        return [d["id"] for d in devices if d["room"] == args.room]
    return [d["id"] for d in devices]


def _key(args: argparse.Namespace, device: str) -> bytes:
    if args.key_file:
        with open(args.key_file) as f:
            try:
                return bytes.fromhex(f.read().strip())
            except ValueError:
                raise ConfigError("--key-file: %s is not hex" % args.key_file)
    from talkpuck.security.credentials import Credentials, security_dir

    return Credentials(security_dir(args.data_dir)).ota_key(device)


def run_push(args: argparse.Namespace) -> int | None:
    from talkpuck.deploy.bundle import Bundle
    from talkpuck.deploy.push import Pusher

    bundle = Bundle.load(args.bundle)
    retry_s = runtime.duration_s(args.retry_for) if args.retry_for not in ("0", "") else 0
    c = Client(args)
    wait = args.wait if args.wait > 0 else 5.0

    def call(device: str, verb: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        return c.commander.wait_response(c.commander.send(device, verb, fields, args.ttl), wait)

    pusher = Pusher(call, log=lambda m: print(m, flush=True))
    failed = 0
    try:
        targets = _targets(args, c.store)
        if not targets:
            raise ConfigError("no pucks to update (the host knows none%s)" % (" in room %s" % args.room if args.room else ""))
        for device in targets:
            key = _key(args, device)
            deadline = time.monotonic() + retry_s
            while True:
                try:
                    ok, msg = pusher.push(device, bundle, key)
                except TalkpuckError as e:
                    ok, msg = False, "%s: %s" % (device, e)
                print(msg, flush=True)
                if ok or time.monotonic() + 30 > deadline:
                    break
                time.sleep(30)  # a session running: offer again after a while
            failed += 0 if ok else 1
    finally:
        c.link.stop()
    print("%d of %d pucks updated" % (len(targets) - failed, len(targets)), file=sys.stderr)
    return 1 if failed else 0

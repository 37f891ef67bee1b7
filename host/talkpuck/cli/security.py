"""security — `talkpuck security init` and `talkpuck device add|remove|list`: certificates and logins.

    talkpuck security init --name talkpuck.local --name 192.168.1.20   CA + broker and web certificates
    talkpuck device add puck-a1 --broker-host 192.168.1.20             a login and its provisioning file
    talkpuck device remove puck-a1                                      the login is gone (restart or
                                                                        SIGHUP the broker to apply)
Everything goes in <data-dir>/security/ (0700; secrets 0600). Passwords are never printed: the
provisioning file holds the puck's, `talkpuck provision --config` writes it to the puck.
"""
import argparse

from talkpuck.cli import runtime
from talkpuck.errors import ConfigError


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("security", help="the installation's CA and server certificates")
    ssub = p.add_subparsers(dest="security_command", metavar="ACTION")
    init = ssub.add_parser("init", help="make the CA (once) and the broker's and web's certificates")
    init.add_argument("--name", action="append", default=[],
                      help="a host name or IP address the pucks and browsers use (repeat); localhost is always in")
    init.add_argument("--data-dir", default="var", help="the host's data dir (default: var)")
    init.add_argument("--renew-ca", action="store_true", help="make a new CA too (every puck must be re-provisioned)")
    init.set_defaults(func=run_init)
    p.set_defaults(func=runtime.show_help(p))

    d = sub.add_parser("device", help="per-puck MQTT logins: add, remove, list")
    dsub = d.add_subparsers(dest="device_command", metavar="ACTION")
    add = dsub.add_parser("add", help="a new login for a puck and its provisioning file")
    add.add_argument("name", help="the device id (1-32 of a-z 0-9 -)")
    add.add_argument("--broker-host", required=True, help="the host name or address the puck connects to")
    add.add_argument("--port", type=int, default=None, help="the broker's TLS port (default 8883)")
    add.add_argument("--replace", action="store_true", help="give an existing device a new password")
    add.add_argument("--data-dir", default="var")
    add.set_defaults(func=run_add)
    rm = dsub.add_parser("remove", help="remove a puck's login")
    rm.add_argument("name")
    rm.add_argument("--data-dir", default="var")
    rm.set_defaults(func=run_remove)
    ls = dsub.add_parser("list", help="the pucks that have a login")
    ls.add_argument("--data-dir", default="var")
    ls.set_defaults(func=run_list)
    d.set_defaults(func=runtime.show_help(d))


def run_init(args: argparse.Namespace) -> int | None:
    import os

    from talkpuck.security.ca import init_certificates
    from talkpuck.security.credentials import Credentials, security_dir

    sec = security_dir(args.data_dir)
    ca = init_certificates(sec, args.name, renew=args.renew_ca)
    Credentials(sec).ensure_host()
    print("security: CA %s (valid from %s), broker and web certificates for %s in %s"
          % (os.path.join(sec, "ca.crt"), ca.not_valid_before_utc.date(),
             ", ".join(args.name + ["localhost", "127.0.0.1"]), sec))
    return 0


def run_add(args: argparse.Namespace) -> int | None:
    from puckport.brokerurl import TLS_PORT
    from talkpuck.security.credentials import Credentials, security_dir

    port = args.port or TLS_PORT
    if not 0 < port < 65536:
        raise ConfigError("--port: must be 1..65535")
    path = Credentials(security_dir(args.data_dir)).add_device(args.name, args.broker_host, port, args.replace)
    print("device %s: login made; provisioning file %s (secret: keep it, give it to the puck with "
          "`talkpuck provision --config`, then delete it)" % (args.name, path))
    return 0


def run_remove(args: argparse.Namespace) -> int | None:
    from talkpuck.security.credentials import Credentials, security_dir

    Credentials(security_dir(args.data_dir)).remove_device(args.name)
    print("device %s: login removed (restart the host, or send SIGHUP to its Mosquitto, to apply)" % args.name)
    _remove_from_home_assistant(args)
    return 0


def _remove_from_home_assistant(args: argparse.Namespace) -> None:
    """A running host with Home Assistant discovery on: the device's entities go too (talkpuck.ha)."""
    from talkpuck.cli.ha import remove_published

    info = runtime.read(args.data_dir)
    if not info.get("ha_prefix") or not info.get("broker_url"):
        return
    try:
        n = remove_published(info["broker_url"], info["ha_prefix"], args.name)
    except Exception as e:     # the login is gone either way; say how to finish
        print("device %s: could not remove it from Home Assistant (%s): run `talkpuck ha remove %s`"
              % (args.name, e, args.name))
        return
    print("device %s: %d Home Assistant entities removed" % (args.name, n))


def run_list(args: argparse.Namespace) -> int | None:
    from talkpuck.security.credentials import Credentials, security_dir

    for name in Credentials(security_dir(args.data_dir)).devices():
        print(name)
    return 0

"""ha — `talkpuck ha login|remove|show`: Home Assistant's MQTT login and discovery (docs/home-assistant.md).

    talkpuck ha login                 Home Assistant's login (user home_assistant) in security/ha.json
    talkpuck ha show puck-a1          the discovery documents the host publishes for a puck
    talkpuck ha remove puck-a1        empty retained configs: Home Assistant forgets the puck

`talkpuck serve --ha-discovery` publishes the documents; `talkpuck device remove` removes them
itself when a host with discovery on is running in the same data dir.
"""
import argparse
import json

from talkpuck.cli import runtime


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("ha", help="Home Assistant: its MQTT login, the discovery documents of a puck")
    hsub = p.add_subparsers(dest="ha_command", metavar="ACTION")
    login = hsub.add_parser("login", help="make (once) Home Assistant's MQTT login; prints where it is")
    login.add_argument("--data-dir", default="var")
    login.set_defaults(func=run_login)
    show = hsub.add_parser("show", help="print the discovery documents of a puck")
    show.add_argument("name")
    show.add_argument("--prefix", default=None, help="the discovery prefix (default homeassistant)")
    show.add_argument("--talking", action="store_true", help="with the talking binary sensor")
    show.set_defaults(func=run_show)
    rm = hsub.add_parser("remove", help="remove a puck from Home Assistant (empty retained configs)")
    rm.add_argument("name")
    rm.add_argument("--data-dir", default="var")
    rm.add_argument("--broker", default=None, help="mqtt://host:port (default: the running host's broker)")
    rm.add_argument("--prefix", default=None, help="the discovery prefix (default: the running host's)")
    rm.set_defaults(func=run_remove)
    p.set_defaults(func=runtime.show_help(p))


def run_login(args: argparse.Namespace) -> int | None:
    from talkpuck.security.credentials import Credentials, security_dir

    user, _password, path = Credentials(security_dir(args.data_dir)).ensure_ha()
    print("Home Assistant's MQTT login: user %s, password in %s (restart the host or SIGHUP its Mosquitto "
          "to apply)" % (user, path))
    return 0


def run_show(args: argparse.Namespace) -> int | None:
    from talkpuck.ha.discovery import PREFIX_DEFAULT, check_prefix, documents

    for topic, doc in documents(args.name, check_prefix(args.prefix or PREFIX_DEFAULT), args.talking):
        print(topic)
        print(json.dumps(doc, indent=1))
    return 0


def remove_published(broker_url: str, prefix: str | None, device: str, ca: str | None = None) -> int:
    """Publish the empty retained configs of `device` through the broker at `broker_url`; the count."""
    import os

    from talkpuck.ha.discovery import check_prefix, remove_messages
    from talkpuck.mqtt.link import MqttLink

    link = MqttLink(broker_url, "talkpuck-ha-%d" % os.getpid(), [], clean_session=True, ca=ca)
    link.start()
    try:
        infos = [link.publish(t, p, qos=1, retain=True) for t, p in remove_messages(device, check_prefix(prefix))]
        for info in infos:
            info.wait_for_publish(5)
    finally:
        link.stop()
    return len(infos)


def run_remove(args: argparse.Namespace) -> int | None:
    from talkpuck.errors import ConfigError
    from talkpuck.ha.discovery import PREFIX_DEFAULT

    info = runtime.read(args.data_dir)
    broker = args.broker or info.get("broker_url")
    if not broker:
        raise ConfigError("no broker: pass --broker mqtt://host:port or run `talkpuck serve` in --data-dir %s"
                          % args.data_dir)
    n = remove_published(broker, args.prefix or info.get("ha_prefix") or PREFIX_DEFAULT, args.name)
    print("%s: %d Home Assistant entities removed" % (args.name, n))
    return 0

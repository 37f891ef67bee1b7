"""control — puck commands from the command line: `talkpuck cmd`, session-start/-extend/-end, hand-ack.

Each connects to the broker with its own short-lived client, records the command in the store,
publishes it and waits (a few seconds) for the puck's `resp`.
"""
import argparse
import json
import os
import time
from typing import Any

from talkpuck.errors import ConfigError, TalkpuckError
from talkpuck.cli import runtime


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broker", help="mqtt://host:port (default: the running host's)")
    p.add_argument("--db", help="database URL to record the command in (default: the running host's)")
    p.add_argument("--data-dir", default="var", help="data dir of the running host (default: var)")
    p.add_argument("--ttl", type=int, default=30, help="time-to-live, seconds (default 30)")
    p.add_argument("--wait", type=float, default=5.0, help="seconds to wait for the puck's response (0: none)")


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("cmd", help="send any command to a puck: talkpuck cmd DEVICE VERB [key=value ...]")
    p.add_argument("device", help="device id, or all")
    p.add_argument("verb", help="time, session_start, session_extend, session_stop, hand_ack, hand_lower, "
                                "hands_clear, identify, ring_test, config")
    p.add_argument("fields", nargs="*", metavar="key=value", help="command fields (values are JSON, else text)")
    _common(p)
    p.set_defaults(func=run_cmd)

    p = sub.add_parser("session-start", help="start a session on a puck")
    p.add_argument("device")
    p.add_argument("--limit", required=True, help="time limit: seconds or 30m, 1h ...")
    p.add_argument("--warn", help="warning time before the end (default: the puck's, 5m)")
    p.add_argument("--purpose", help="purpose text")
    _common(p)
    p.set_defaults(func=run_start)

    p = sub.add_parser("session-extend", help="add time to a puck's running session")
    p.add_argument("device")
    p.add_argument("--add", default="5m", help="time to add (default 5m)")
    _common(p)
    p.set_defaults(func=run_extend)

    p = sub.add_parser("session-end", help="end a puck's session")
    p.add_argument("device")
    _common(p)
    p.set_defaults(func=run_end)

    p = sub.add_parser("hand-ack", help="acknowledge a raised hand: DEVICE BOOT HAND (see the live view)")
    p.add_argument("device")
    p.add_argument("boot")
    p.add_argument("hand", type=int)
    _common(p)
    p.set_defaults(func=run_ack)


def parse_fields(fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        if "=" not in f:
            raise ConfigError("field %r: write key=value" % f)
        k, v = f.split("=", 1)
        try:
            out[k] = json.loads(v)
        except ValueError:
            out[k] = v
    return out


class Client:
    """A short-lived host: store + commander + a clean MQTT session that listens for `resp`."""

    def __init__(self, args: argparse.Namespace) -> None:
        from talkpuck.commands import Commander, SessionControl
        from talkpuck.hands import HandQueue
        from talkpuck.mqtt.link import MqttLink
        from talkpuck.store import Store

        broker, db = runtime.resolve(args)
        if not broker:
            raise ConfigError("no broker: pass --broker mqtt://host:port or run `talkpuck serve` in --data-dir %s"
                              % args.data_dir)
        self.store = Store(db, data_dir=args.data_dir)
        self.commander = Commander(self.store, self._publish)
        self.sessions = SessionControl(self.store, self.commander)
        self.hands = HandQueue(self.store, self.commander)
        self.link = MqttLink(broker, "talkpuck-cli-%d" % os.getpid(), ["talkpuck/v1/+/resp"],
                             on_message=self._on_message, clean_session=True)
        self.link.start()
        self.ttl = args.ttl
        self.wait = args.wait

    def _publish(self, topic: str, payload: bytes | bytearray | str | None) -> None:
        self.link.publish(topic, payload, qos=1)

    def _on_message(self, topic: str, payload: bytes | bytearray, retained: bool) -> None:
        from talkpuck.protocol import parse_message
        try:
            msg = parse_message(topic, payload)
        except TalkpuckError:
            return
        self.commander.on_response(msg.device, msg.payload)

    def finish(self, cmd_id: str | None, what: str = "") -> int:
        if cmd_id is None:
            print("done%s" % what)
            return 0
        print("sent %s%s" % (cmd_id, what), flush=True)
        code = 0
        if self.wait > 0:
            resp = self.commander.wait_response(cmd_id, self.wait)
            if resp is None:
                print("no response within %gs (the puck may be offline; it gets the command when it reconnects "
                      "unless the ttl passes)" % self.wait)
                code = 1
            else:
                self.store.record_response(cmd_id, resp["ok"], resp.get("error"), int(time.time() * 1000))
                print("%s: %s" % (resp["device"], "ok" if resp["ok"] else "error: %s" % resp.get("error")))
                code = 0 if resp["ok"] else 1
        time.sleep(0.1)
        self.link.stop()
        return code


def run_cmd(args: argparse.Namespace) -> int | None:
    c = Client(args)
    return c.finish(c.commander.send(args.device, args.verb, parse_fields(args.fields), args.ttl))


def run_start(args: argparse.Namespace) -> int | None:
    c = Client(args)
    warn = runtime.duration_s(args.warn) if args.warn else None
    sid, cmd_id = c.sessions.request(args.device, runtime.duration_s(args.limit), warn, args.purpose, args.ttl)
    return c.finish(cmd_id, " (session %s)" % sid)


def run_extend(args: argparse.Namespace) -> int | None:
    c = Client(args)
    return c.finish(c.sessions.extend(args.device, runtime.duration_s(args.add), args.ttl))


def run_end(args: argparse.Namespace) -> int | None:
    c = Client(args)
    return c.finish(c.sessions.end(args.device, args.ttl))


def run_ack(args: argparse.Namespace) -> int | None:
    c = Client(args)
    return c.finish(c.hands.acknowledge(device=args.device, boot=args.boot, hand=args.hand))

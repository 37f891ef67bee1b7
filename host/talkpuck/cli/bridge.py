"""bridge — `talkpuck bridge --port PORT`: a USB puck's events to MQTT, commands back (talkpuck.bridge)."""
import argparse
import asyncio
import signal


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("bridge", help="relay a puck on USB serial (\"link\": \"usb\") to the MQTT broker")
    p.add_argument("--port", required=True, help="serial port of the puck, e.g. /dev/serial/by-id/usb-...")
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883", help="mqtt://host:port (default: local)")
    p.add_argument("--baud", type=int, default=115200, help="baud rate (ignored by native USB; default 115200)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int | None:
    from talkpuck.bridge import Bridge

    bridge = Bridge(args.port, args.broker, baud=args.baud)
    print("talkpuck bridge: %s <-> %s (Ctrl-C stops; then mpremote can reach the puck)" % (args.port, args.broker))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        await bridge.run(stop)

    asyncio.run(main())
    s = bridge.stats
    print("talkpuck bridge: stopped; frames in %d out %d, broken %d, retransmits %d, console lines %d"
          % (s["frames_in"], s["frames_out"], s["broken"], s["retransmits"], s["console"]))
    return 0

"""sim — `talkpuck sim`: one simulated puck in the foreground, its ring drawn in the terminal.

Type a gesture name and Enter to press the button (press, double, long, start), `quit` to stop.
Presses also arrive over MQTT on `talkpuck/v1/<device>/sim/button`.
"""
import argparse
import sys
import time

from talkpuck.sim.runner import PRESS_PATTERNS, SimPuck


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("sim", help="run a simulated puck (real firmware core, audio from a WAV file)")
    p.add_argument("--device", default="puck-sim1", help="device id (a-z 0-9 -)")
    p.add_argument("--room", default="", help="room name the puck reports")
    p.add_argument("--wav", help="audio to play (any WAV; resampled to 16 kHz mono)")
    p.add_argument("--loop", action="store_true", help="play the WAV again and again")
    p.add_argument("--speed", type=float, default=1.0, help="run the puck's clock this many times faster")
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883", help="mqtt://host:port")
    p.add_argument("--data-dir", default="var", help="where the puck keeps its settings and session")
    p.add_argument("--no-ring", action="store_true", help="do not draw the ring in the terminal")
    p.add_argument("--press", action="append", default=[], choices=sorted(PRESS_PATTERNS),
                   help="press the button once the puck runs (repeatable)")
    p.add_argument("--duration", type=float, help="stop after this many real seconds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int | None:
    if args.speed <= 0:
        print("talkpuck sim: --speed must be positive", file=sys.stderr)
        return 2
    puck = SimPuck(args.device, args.broker, wav=args.wav, room=args.room, speed=args.speed,
                   loop_audio=args.loop, data_dir=args.data_dir, terminal=not args.no_ring).start()
    print("simulated puck %s -> %s (type: %s, quit)" % (args.device, args.broker, ", ".join(sorted(PRESS_PATTERNS))))
    for name in args.press:
        puck.press(name)
    try:
        if args.duration:
            time.sleep(args.duration)
        else:
            for line in sys.stdin:
                word = line.strip()
                if word in ("quit", "q", "exit"):
                    break
                if word:
                    try:
                        puck.press(word)
                    except ValueError as e:
                        print(e)
    except KeyboardInterrupt:
        pass
    finally:
        puck.stop()
        print()
    return 0

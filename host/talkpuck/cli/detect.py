"""detect — `talkpuck detect FILE.wav [--rttm OUT.rttm]`: the firmware detector over one WAV."""
import argparse
import json
import os
import sys
from collections.abc import Iterable
from typing import Any

from talkpuck.detection.audio import read_wav
from talkpuck.detection.rttm import format_rttm
from talkpuck.detection.runner import run_detector


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = subparsers.add_parser("detect", help="run the puck's talk-turn detector over a WAV file, write RTTM")
    p.add_argument("wav", help="audio file (any rate/channels/width soundfile reads)")
    p.add_argument("--rttm", help="write the segments here (default: print them)")
    p.add_argument("--json", help="also write the voices found (talk time, share, turns, remote) as JSON here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int | None:
    samples, _ = read_wav(args.wav)
    remote: dict[int, bool] = {}
    segs, cpu = run_detector(samples, remote_out=remote)
    file_id = os.path.splitext(os.path.basename(args.wav))[0]
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(voices_summary(file_id, segs, remote, len(samples) / 16000.0), f, indent=1)
    text = format_rttm(file_id, segs)
    if args.rttm:
        with open(args.rttm, "w", encoding="utf-8") as f:
            f.write(text)
        dur = len(samples) / 16000.0
        print("%s: %d turns, %.1f s speech of %.1f s, RTF %.4f -> %s"
              % (file_id, len(segs), sum(e - s for s, e, _ in segs), dur, cpu / max(dur, 1e-9), args.rttm))
    else:
        sys.stdout.write(text)
    return 0


def voices_summary(file_id: str, segs: Iterable[tuple[float, float, int]], remote: dict[int, bool],
                   duration_s: float) -> dict[str, Any]:
    """{file, duration_s, voices: [{voice, talk_s, share, turns, remote}]}: what the puck's summary
    would say about each voice (remote: from a laptop loudspeaker, i.e. the call)."""
    talk: dict[int, float] = {}
    turns: dict[int, int] = {}
    for s, e, v in segs:
        talk[v] = talk.get(v, 0.0) + (e - s)
        turns[v] = turns.get(v, 0) + 1
    tot = sum(talk.values()) or 1.0
    return {"file": file_id, "duration_s": round(duration_s, 3),
            "voices": [{"voice": v, "talk_s": round(talk[v], 2), "share": round(talk[v] / tot, 4), "turns": turns[v],
                        "remote": bool(remote.get(v, False))} for v in sorted(talk)]}

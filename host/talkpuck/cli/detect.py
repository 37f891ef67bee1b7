"""detect — `talkpuck detect FILE.wav [--rttm OUT.rttm]`: the firmware detector over one WAV."""
import os
import sys

from talkpuck.detection.audio import read_wav
from talkpuck.detection.rttm import format_rttm
from talkpuck.detection.runner import run_detector


def add_parser(subparsers):
    p = subparsers.add_parser("detect", help="run the puck's talk-turn detector over a WAV file, write RTTM")
    p.add_argument("wav", help="audio file (any rate/channels/width soundfile reads)")
    p.add_argument("--rttm", help="write the segments here (default: print them)")
    p.set_defaults(func=run)


def run(args):
    samples, _ = read_wav(args.wav)
    segs, cpu = run_detector(samples)
    file_id = os.path.splitext(os.path.basename(args.wav))[0]
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

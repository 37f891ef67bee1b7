"""train — `talkpuck train-vad`: fit the VAD frame classifier on labelled clips, write firmware/puckcore/vad_model.py."""
import argparse
import os

from talkpuck.detection import train


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = subparsers.add_parser("train-vad", help="train the VAD frame classifier, write firmware/puckcore/vad_model.py")
    p.add_argument("--data", default=os.path.join("data", "speech", "ami"), help="folder of NAME.wav + NAME.rttm")
    p.add_argument("--out", default=train.DEFAULT_OUT, help="firmware module to write")
    p.add_argument("--no-augment", action="store_true", help="train on the clips only")
    p.add_argument("--lofo", action="store_true",
                   help="only the leave-one-file-out evaluation (clips and generated copies); write no model")
    p.add_argument("--conversations", action="append", metavar="DIR",
                   help="a folder of generated conversations of training speakers (make-conversations --speech "
                        "--split train) to fit and tune on as well; repeatable")
    p.add_argument("--conv-weight", type=float, default=train.CONV_WEIGHT,
                   help="weight of a conversation's frames in the fit (default %(default)s)")
    p.add_argument("--conv-tune-weight", type=float, default=train.CONV_TUNE_WEIGHT,
                   help="weight of the conversations' min(precision, recall) in the settings search, beside the "
                        "AMI clips' F1 at 1 (default %(default)s; 1.0 gives the tight-label model of "
                        "docs/detection.md §8.7)")
    p.add_argument("--turn-gap-ms", type=int, metavar="MS",
                   help="fix the turn gap (ms) instead of searching it (issue 15: chosen on training-speaker "
                        "conversations, docs/detection.md §8.8)")
    p.add_argument("--hangover", type=int, metavar="FRAMES", help="fix the hangover (20 ms frames) instead of searching it")
    p.add_argument("--preroll-ms", type=int, metavar="MS", help="fix the pre-roll (ms) instead of searching it")
    p.add_argument("--json", help="write the LOFO figures (per file and pooled) as JSON here")
    p.set_defaults(func=train.run)

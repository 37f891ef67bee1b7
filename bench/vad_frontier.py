"""vad_frontier — the trade-off between AMI's loose labels and the generated conversations' tight ones.

Usage: .venv/bin/python bench/vad_frontier.py --conversations DIR [--conversations DIR ...]
           [--cache FILE] [--no-record] TUNE,FIT [TUNE,FIT ...]
For each (CONV_TUNE_WEIGHT, CONV_WEIGHT) pair: the recipe of train.py (`train_recipe`) run
leave-one-file-out on the AMI clips (each fold: the other nine clips, their copies and every
conversation) and scored on the held-out clip with the trainer's twin (`train.decide`, 20 ms frames:
the shipped recipe's twin LOFO F1 is 0.925, as the firmware's), then the model trained on all: its
settings and its in-sample frame precision / recall on the conversations. TUNE 0 and FIT 0: the
recipe without conversations. Features are cached in FILE (pickle) when given.
"""
import argparse
import os
import pickle
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from results import append  # noqa: E402


def material(data, conversations, cache=None):
    """(clips {name: [(version, X, lv, labels)]}, conversations [(X, lv, labels, ...)]); pickled in `cache`."""
    from talkpuck.detection import train as T

    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            return pickle.load(f)
    clips = {k: [v[:4] for v in vs] for k, vs in T.load_material(data, True, log=print).items()}
    convs = [v[:4] for v in T.load_conversations(conversations, log=print)]
    if cache:
        with open(cache, "wb") as f:
            pickle.dump((clips, convs), f)
    return clips, convs


def lofo_twin(clips, ml, recipe):
    """Leave-one-clip-out with the trainer's twin: recipe(train names) -> (W, B, decision). Returns
    ({"orig"|"copy": [tp, fp, fn]} pooled over the held-out clips and their copies, [each fold's decision])."""
    from talkpuck.detection import train as T

    names = sorted(clips)
    c = {"orig": [0, 0, 0], "copy": [0, 0, 0]}
    decisions = []
    for t in names:
        W, B, d = recipe([n for n in names if n != t])
        decisions.append(d)
        for v in clips[t]:
            o = T.decide(T.scores(W, B, v[1]), v[2], d["thr"], d["hang"], d["gap"], d["min"], d["pre"], ml)
            k = c["orig" if v[0] == "orig" else "copy"]
            k[0] += int(np.sum(o & v[3]))
            k[1] += int(np.sum(o & ~v[3]))
            k[2] += int(np.sum(~o & v[3]))
    return c, decisions


def prf(k):
    """[tp, fp, fn] -> (precision, recall, F1)."""
    p, r = k[0] / max(1, k[0] + k[1]), k[0] / max(1, k[0] + k[2])
    return p, r, 2 * p * r / max(1e-9, p + r)


def material_args(first, help_first):
    """The argument parser of the VAD benches: `first` (one or more), the material and --no-record."""
    ap = argparse.ArgumentParser()
    ap.add_argument(first, nargs="+", help=help_first)
    ap.add_argument("--data", default=os.path.join("data", "speech", "ami"))
    ap.add_argument("--conversations", action="append", required=True)
    ap.add_argument("--cache")
    ap.add_argument("--no-record", action="store_true")
    return ap


def main(argv=None):
    from puckcore.detect_params import DetectParams

    from talkpuck.detection import train as T

    args = material_args("pairs", "CONV_TUNE_WEIGHT,CONV_WEIGHT").parse_args(argv)
    clips, convs = material(args.data, args.conversations, args.cache)
    ml = DetectParams.speech_min_dbq
    names = sorted(clips)
    lines = [("| CONV_TUNE_WEIGHT | CONV_WEIGHT | AMI LOFO frame P / R / **F1** (twin) | copies LOFO F1 "
              "| settings (all data) | conversations in-sample P / R |"), "|---|---|---|---|---|---|"]
    for pair in args.pairs:
        T.CONV_TUNE_WEIGHT, T.CONV_WEIGHT = (float(x) for x in pair.split(","))
        cv = convs if (T.CONV_TUNE_WEIGHT > 0 or T.CONV_WEIGHT > 0) else None
        c, _ = lofo_twin(clips, ml, lambda train, cv=cv: T.train_recipe(clips, train, ml, cv))
        W, B, d = T.train_recipe(clips, names, ml, cv)
        cf = T.conv_figures(W, B, d, convs, ml)
        a, g = prf(c["orig"]), prf(c["copy"])
        post = 1 / (1 + np.exp(-d["thr"] / 65536.0))
        lines.append(("| %.2f | %.1f | %.3f / %.3f / **%.3f** | %.3f | posterior %.2f, hangover %d, gap %d ms, "
                      "min %d ms, pre-roll %d ms | %.3f / %.3f |") % (
            T.CONV_TUNE_WEIGHT, T.CONV_WEIGHT, a[0], a[1], a[2], g[2], post, d["hang"], d["gap"], d["min"], d["pre"],
            cf["precision"], cf["recall"]))
        print(lines[-1], flush=True)
    if not args.no_record:
        append("VAD: AMI (loose labels) against generated conversations of training speakers (tight labels), %d conversations"
               % len(convs), lines)


if __name__ == "__main__":
    main()

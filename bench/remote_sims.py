"""Remote-voice cue across loudspeaker simulations (issue 15), per example: the examples of
`talkpuck train-voices` (voicetrain.cached_examples: one voice of training or validation speakers,
half remote, with --impure 0.4: some with a piece of a person of the other class), the firmware's four features, and
logistic regressions on feature subsets, trained on the `laptop` simulation alone or on `laptop` and
the randomised `broad` family, scored per example on validation speakers through `laptop`, `broad`
and `other` (held out: never a training choice).

    .venv/bin/python bench/remote_sims.py [--cache PREFIX] [--train N] [--val N] [--only SPLIT/SIMS] [--append]

The cache is train-voices' own (`--cache PREFIX`), so a train-voices run with the same PREFIX, count
and seed reuses these examples.
"""
import argparse
import datetime
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "host"))
sys.path.insert(0, os.path.join(HERE, "..", "firmware"))

from talkpuck.detection import speechconv as sc  # noqa: E402
from talkpuck.detection import voicetrain as vt  # noqa: E402

sys.path.insert(0, HERE)
from results import machine  # noqa: E402

COLS = {"low band": [0], "low band + level spreads (3, as shipped before)": [0, 1, 2],
        "low band + piece spread": [0, 3], "all four": [0, 1, 2, 3]}
TRAIN = {"laptop": ("laptop",), "laptop+broad": ("laptop", "broad")}
VAL = ("laptop", "broad", "other")


IMPURE = 0.4  # train-voices --impure: some examples are impure clusters, as the puck's voices can be


def sets(index, a):
    tr = {k: vt.cached_examples(index, "train", a.train, a.seed, sims, a.cache, print, IMPURE)
          for k, sims in TRAIN.items()}
    va = {s: vt.cached_examples(index, "val", a.val, a.seed + 1, (s,), a.cache, print, IMPURE) for s in VAL}
    return tr, va


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default="/tmp/remote_sims/f")
    ap.add_argument("--train", type=int, default=600)
    ap.add_argument("--val", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", help="build one set only: train/laptop, train/laptop+broad, val/other, ...")
    ap.add_argument("--append", action="store_true")
    a = ap.parse_args(argv)
    index = sc.index_speakers(sc.find_speech_data())
    if a.only:
        split, k = a.only.split("/")
        if split == "train":
            vt.cached_examples(index, "train", a.train, a.seed, TRAIN[k], a.cache, print, IMPURE)
        else:
            vt.cached_examples(index, "val", a.val, a.seed + 1, (k,), a.cache, print, IMPURE)
        return
    tr, va = sets(index, a)
    rows = []
    for tname, (Xt, yt) in tr.items():
        for cname, cols in COLS.items():
            w, b = vt.fit_logistic(Xt[:, cols], yt)
            full = np.zeros(Xt.shape[1])
            full[cols] = w
            W, B = vt.to_integer(full, b)
            r = [tname, cname, float(np.mean(vt.decide(Xt, W, B) == yt))]
            r += [float(np.mean(vt.decide(va[s][0], W, B) == va[s][1])) for s in VAL]
            rows.append(r)
            print("%-13s %-48s train %.3f | val laptop %.3f broad %.3f other %.3f" % tuple(r), flush=True)
    if a.append:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        cmd = " ".join(["bench/remote_sims.py"] + (argv if argv is not None else sys.argv[1:]))
        lines = ["", "## Remote cue across loudspeaker simulations (issue 15), per example — %s" % stamp, "",
                 "`%s`. Machine: %s. %d training examples (training speakers), %d validation examples per"
                 " simulation (validation speakers); `other` is never a training choice. Accuracy per example"
                 " of the integer-folded logistic decision." % (cmd, machine(), a.train, a.val),
                 "", "| trained on | features | train | val laptop | val broad | val other |", "|---|---|---|---|---|---|"]
        lines += ["| %s | %s | %.3f | %.3f | %.3f | %.3f |" % tuple(r) for r in rows]
        with open(os.path.join(HERE, "RESULTS.md"), "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

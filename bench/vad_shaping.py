"""vad_shaping — the VAD recipe with its decision shaping fixed (issue 15, docs/detection.md §8.8).

Usage: .venv/bin/python bench/vad_shaping.py --conversations DIR [--conversations DIR ...]
           [--cache FILE] [--conv-fit W] [--no-record] GAP,HANG,PRE [GAP,HANG,PRE ...]
Each GAP,HANG,PRE (turn gap ms, hangover frames, pre-roll ms; "x" leaves that one searched, as
`talkpuck train-vad --turn-gap-ms/--hangover/--preroll-ms` would) fixes the shaping (GAP,HANG,PRE,P
also fixes the posterior threshold at P, for a measurement only); the recipe of
train.py (`train_recipe`, no conversations in its search) picks the rest (weights, posterior
threshold, minimum turn). Rows: the recipe run leave-one-file-out on the AMI clips, scored on the
held-out clip and its copies with the trainer's twin (`train.decide`, 20 ms frames; the shipped
recipe gives 0.925, as the firmware), the settings of the model trained on all clips, and that
model's frame precision / recall on the conversations (training speakers; never in its search).
The conversations are what chooses the shaping; AMI only checks it. --conv-fit W: the
conversations' frames join the fit with weight W (default 0: not at all).
Features are cached in FILE (pickle, the format of bench/vad_frontier.py) when given.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from results import append  # noqa: E402
from vad_frontier import lofo_twin, material, material_args, prf  # noqa: E402


def parse_shaping(text):
    """"GAP,HANG,PRE" -> the `fixed` dict of train_recipe ("x": not fixed)."""
    vals = text.split(",")
    if len(vals) not in (3, 4):
        raise SystemExit("shaping must be GAP,HANG,PRE[,POSTERIOR]: %r" % text)
    out = {k: int(v) for k, v in zip(("gap_ms", "hang", "preroll_ms"), vals) if v != "x"}
    if len(vals) == 4:
        out["posterior"] = float(vals[3])
    return out


def main(argv=None):
    from puckcore.detect_params import DetectParams

    from talkpuck.detection import train as T

    ap = material_args("shapings", "GAP,HANG,PRE[,POSTERIOR]")
    ap.add_argument("--conv-fit", type=float, default=0.0)
    args = ap.parse_args(argv)
    clips, convs = material(args.data, args.conversations, args.cache)
    ml = DetectParams.speech_min_dbq
    names = sorted(clips)
    # the fit does not depend on the shaping: each fold's fit is computed once
    memo, fit = {}, T.fit

    def fit_once(X, y, sw=None):
        key = (X.shape, float(X.sum()), float(y.sum()), None if sw is None else float(np.sum(sw * np.arange(len(sw)))))
        if key not in memo:
            memo[key] = fit(X, y, sw)
        return memo[key]

    T.fit = fit_once
    cv = None
    if args.conv_fit > 0:
        T.CONV_WEIGHT, T.CONV_TUNE_WEIGHT, cv = args.conv_fit, 0.0, convs
    lines = [("| fixed gap / hangover / pre-roll | AMI LOFO frame P / R / **F1** (twin) | copies LOFO F1 "
              "| folds' posterior thresholds | settings (all clips) | training conversations P / R (all-clips model) |"),
             "|---|---|---|---|---|---|"]
    for text in args.shapings:
        fixed = parse_shaping(text)
        c, folds = lofo_twin(clips, ml, lambda train, fixed=fixed: T.train_recipe(clips, train, ml, cv, fixed))
        posts = [1 / (1 + np.exp(-d["thr"] / 65536.0)) for d in folds]
        W, B, d = T.train_recipe(clips, names, ml, cv, fixed)
        cf = T.conv_figures(W, B, d, convs, ml)
        a, g = prf(c["orig"]), prf(c["copy"])
        post = 1 / (1 + np.exp(-d["thr"] / 65536.0))
        lines.append(("| %s | %.3f / %.3f / **%.3f** | %.3f | %.2f-%.2f | posterior %.2f, hangover %d, gap %d ms, "
                      "min %d ms, pre-roll %d ms | %.3f / %.3f |") % (
            text, a[0], a[1], a[2], g[2], min(posts), max(posts), post, d["hang"], d["gap"], d["min"], d["pre"],
            cf["precision"], cf["recall"]))
        print(lines[-1], flush=True)
    if not args.no_record:
        append("VAD with the decision shaping fixed, the rest picked by the AMI recipe: AMI LOFO (twin) and %d "
               "training-speaker conversations%s" % (len(convs), (", conversations fitted with weight %s" % args.conv_fit)
                                                    if cv else ""), lines)


if __name__ == "__main__":
    main()

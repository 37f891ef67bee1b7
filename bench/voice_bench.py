"""voice_bench — voice attribution scored leave-one-file-out: every learned part held out.

Usage: .venv/bin/python bench/voice_bench.py [DIR] [--folds FILE] [--no-record]

The VAD model is learned (`talkpuck train-vad`), and the voice thresholds are picked on the same
clips, so in-sample figures flatter both. Here each clip is detected with the VAD model its fold
trained without it (the shipped recipe, `train.train_recipe`), for:
- the shipped voice parameters (detect_params.py);
- every point of a small grid of voice parameters;
- nested selection: for each held-out clip, the grid point that scores best on the other clips
  (objective: talk-share error / 16 + DER / 0.36, the issue's two targets weighted alike) is the one
  that detects it. This is the honest figure for "thresholds chosen on the development clips".
Training the ten folds takes several minutes; `--folds FILE` keeps them (written if missing, read
if present), so a second run only detects. Prints the tables and appends them to bench/RESULTS.md.
"""
import argparse
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import append  # noqa: E402

from talkpuck.detection.audio import RATE  # noqa: E402
from talkpuck.detection.evaluate import pool, score_file  # noqa: E402
from talkpuck.detection.lofo import fold_params  # noqa: E402
from talkpuck.detection.runner import run_detector  # noqa: E402

# voice parameters searched (detect_params.py names); the shipped values are among them
GRID = {
    "voice_new_k_q4": (32, 40, 48, 56),
    "voice_min_new_frames": (20, 30),
    "voice_split_t": (3, 4, 5),
}


def objective(p):
    return p["talk_share_error"] / 16.0 + p["der"] / 0.36


def grid_points(grid=GRID):
    keys = sorted(grid)
    return [dict(zip(keys, vals)) for vals in itertools.product(*[grid[k] for k in keys])]


def overrides(point, base):
    """detect_params attributes for a grid point (the split score follows the t threshold)."""
    out = dict(point)
    if "voice_split_t" in out:
        out["voice_split_score"] = 16 * (out["voice_split_t"] * base.voice_frame_sd_q8) ** 2
    return out


def nested(rows_by_point, names):
    """For each held-out name: the point with the best objective on the other names, and its row
    for the held-out name. Returns ([row], {name: point index})."""
    chosen, picks = [], {}
    for test in names:
        def score(i):
            return objective(pool([r for r in rows_by_point[i] if r["file"] != test]))
        best = min(range(len(rows_by_point)), key=score)
        picks[test] = best
        chosen += [r for r in rows_by_point[best] if r["file"] == test]
    return chosen, picks


def train_folds(clips, names, log=print):
    from puckcore.detect_params import DetectParams

    from talkpuck.detection import train

    folds = {}
    for test in names:
        W, B, d = train.train_recipe(clips, [n for n in names if n != test], DetectParams.speech_min_dbq)
        folds[test] = dict(d, W=[int(w) for w in W], B=int(B))
        log("fold without %s trained" % test)
    return folds


def main(argv=None):
    from puckcore.detect_params import DetectParams
    from puckcore.detector import TurnDetector

    from talkpuck.detection import train

    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=os.path.join("data", "speech", "ami"))
    ap.add_argument("--folds", help="JSON file keeping the fold VAD models (written if missing)")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)

    if args.folds and os.path.exists(args.folds):
        with open(args.folds) as f:
            folds = json.load(f)
        clips = train.load_material(args.dir, False)
    else:
        clips = train.load_material(args.dir, True, log=print)
        folds = train_folds(clips, sorted(clips))
        if args.folds:
            with open(args.folds, "w") as f:
                json.dump(folds, f)
    names = sorted(clips)
    material = [(n, clips[n][0][4], clips[n][0][5]) for n in names]  # the original clip, its reference

    def run(over=None, lofo=True):
        rows = []
        for name, x, ref in material:
            d = folds[name]
            P = fold_params(d["W"], d["B"], d) if lofo else DetectParams
            if over:
                P = type("GridParams", (P,), over)
            hyp, cpu = run_detector(x, TurnDetector(params=P))
            rows.append(score_file(name, ref, hyp, len(x) / float(RATE), cpu))
        return rows

    def line(label, rows):
        p = pool(rows)
        return "| %s | %.3f | %.3f | %.1f |" % (label, p["f1"], p["der"], p["talk_share_error"])

    head = ["| system | frame F1 | DER c0.25 | talk-share err |", "|---|---|---|---|"]
    one = {"max_voices": 1}
    top = head + [
        line("one voice, shipped VAD (in-sample)", run(one, lofo=False)),
        line("voices, shipped VAD and thresholds (in-sample)", run(lofo=False)),
        line("one voice, fold VAD", run(one)),
        line("voices, shipped thresholds, fold VAD", run()),
    ]
    points = grid_points()
    rows_by_point = []
    table = ["| %s | DER c0.25 | talk-share err |" % " | ".join(sorted(GRID)), "|" + "---|" * (len(GRID) + 2)]
    for pt in points:
        rows = run(overrides(pt, DetectParams))
        rows_by_point.append(rows)
        p = pool(rows)
        table.append("| %s | %.3f | %.1f |" % (" | ".join(str(pt[k]) for k in sorted(GRID)), p["der"], p["talk_share_error"]))
        print(table[-1], flush=True)
    chosen, picks = nested(rows_by_point, names)
    top.append(line("**voices, thresholds picked on the other clips, fold VAD (nested)**", chosen))
    text = (["Every clip detected with the VAD model of the fold that left it out; pooled as `talkpuck eval`:", ""]
            + top + ["", "Nested picks: " + ", ".join("%s %s" % (n[-5:], points[i]) for n, i in sorted(picks.items())),
                     "", "Each grid point with the fold VAD models:", ""] + table)
    print("\n".join(text))
    if not args.no_record:
        append("Voice attribution leave-one-file-out on %s" % args.dir, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

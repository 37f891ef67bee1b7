"""voice_bench — voice attribution scored leave-one-file-out: every learned part held out.

Usage: .venv/bin/python bench/voice_bench.py [DIR] [--folds FILE] [--no-grid] [--no-record]

The VAD model is learned (`talkpuck train-vad`), and the voice thresholds are picked on the same
clips, so in-sample figures flatter both. Here each clip is detected with the VAD model its fold
trained without it (the shipped recipe, `train.train_recipe`), for:
- the shipped voice parameters (detect_params.py);
- every point of a small grid of voice parameters;
- nested selection: for each held-out clip, the grid point that scores best on the other clips
  (objective: talk-share error / 16 + DER / 0.36, the issue's two targets weighted alike) is the one
  that detects it. This is the honest figure for "thresholds chosen on the development clips";
- labellings with hindsight of the firmware's own pieces (talkpuck.detection.piece_bounds): each
  piece given its true speaker; all pieces clustered offline by pitch into the true number of
  speakers; and into the number of voices per clip that would best meet the targets. They say
  whether the cuts, the pitch feature or the choice of how many voices limit the figures.
Training the ten folds takes several minutes; `--folds FILE` keeps them (written if missing, read
if present), so a second run only detects. Prints the tables and appends them to bench/RESULTS.md.
"""
import argparse
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import append

from talkpuck.detection.audio import RATE
from talkpuck.detection.evaluate import pool, score_file
from talkpuck.detection import piece_bounds
from talkpuck.detection.lofo import fold_params
from talkpuck.detection.runner import run_detector

# voice parameters searched (detect_params.py names); the shipped values are among them
GRID = {
    "voice_new_k_q4": (32, 40, 48, 56),
    "voice_min_new_frames": (20, 30),
    "voice_split_t": (3, 4, 5, 6, 7),
}
# with the learned voice vector (detect_params.voice_vector, issue 15): its clustering thresholds
VECTOR_GRID = {
    "voice_vec_new_q10": (154, 205, 256, 307, 410),
    "voice_vec_min_new": (30, 60),
}


def objective(p):
    return p["talk_share_error"] / 16.0 + p["der"] / 0.36


def grid_points(grid=None):
    if grid is None:
        from puckcore.detect_params import DetectParams

        grid = VECTOR_GRID if DetectParams.voice_vector else GRID
    keys = sorted(grid)
    return [dict(zip(keys, vals)) for vals in itertools.product(*[grid[k] for k in keys])]


def overrides(point, base):
    """detect_params attributes for a grid point (the split score follows the t threshold)."""
    out = dict(point)
    if "voice_vec_new_q10" in out:
        out["voice_vec_sure_q10"] = (out["voice_vec_new_q10"] * 3 + 1) // 2  # 1.5 x, rounded
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
    from talkpuck.detection.lofo import train_folds as train_each

    return train_each(names, lambda ns: train.train_recipe(clips, ns, DetectParams.speech_min_dbq), log)


MAX_VOICES = 4  # the puck's bound (detect_params.max_voices)


def bound_rows(material, params_of):
    """The puck's own pieces (fold VAD) labelled with hindsight, one detection per clip. Returns
    (oracle rows, pitch k-means rows with k = all reference speakers, the same with k = speakers
    talking at least 2 s, {name: rows for k = 1..MAX_VOICES})."""
    oracle, true_count, count_2s, by_k = [], [], [], {}
    for name, x, ref in material:
        hyp, pieces = piece_bounds.detect_pieces(x, params_of(name))
        dur = len(x) / float(RATE)
        rows = {}

        def clustered(k):
            if k not in rows:
                rows[k] = score_file(name, ref, piece_bounds.clustered_labels(hyp, pieces, k), dur)
            return rows[k]

        talk = {}
        for s, e, spk in ref:
            talk[spk] = talk.get(spk, 0.0) + e - s
        oracle.append(score_file(name, ref, piece_bounds.oracle_labels(hyp, ref), dur))
        true_count.append(clustered(len(talk)))
        count_2s.append(clustered(sum(1 for t in talk.values() if t >= 2.0)))
        by_k[name] = [clustered(k) for k in range(1, MAX_VOICES + 1)]
    return oracle, true_count, count_2s, by_k


def main(argv=None):
    from puckcore.detect_params import DetectParams
    from puckcore.detector import TurnDetector

    from talkpuck.detection import train

    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=os.path.join("data", "speech", "ami"))
    ap.add_argument("--folds", help="JSON file keeping the fold VAD models (written if missing)")
    ap.add_argument("--no-grid", action="store_true", help="the top tables only (the grid takes ~30 min)")
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

    def fold_of(name):
        d = folds[name]
        return fold_params(d["W"], d["B"], d)

    def run(over=None, lofo=True):
        rows = []
        for name, x, ref in material:
            P = fold_of(name) if lofo else DetectParams
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
    oracle, clustered_all, clustered_2s, by_k = bound_rows(material, fold_of)
    counted = piece_bounds.best_counts(by_k, 0.36)
    bounds = head + [
        line("the puck's pieces, each labelled with its true speaker (oracle)", oracle),
        line("the pieces clustered offline by pitch into the true number of speakers", clustered_all),
        line("the same, counting only speakers with at least 2 s of talk", clustered_2s),
        line("the same, 1-4 voices per clip chosen with hindsight (least share error with DER <= 0.36)", counted)
        if counted else "| no choice of 1-4 voices per clip keeps DER <= 0.36 | - | - | - |",
    ]
    print("\n".join(top + [""] + bounds), flush=True)
    grid_text = []
    if not args.no_grid:
        points = grid_points()
        rows_by_point = []
        keys = sorted(points[0])
        table = ["| %s | DER c0.25 | talk-share err |" % " | ".join(keys), "|" + "---|" * (len(keys) + 2)]
        for pt in points:
            rows = run(overrides(pt, DetectParams))
            rows_by_point.append(rows)
            p = pool(rows)
            table.append("| %s | %.3f | %.1f |" % (" | ".join(str(pt[k]) for k in keys), p["der"], p["talk_share_error"]))
            print(table[-1], flush=True)
        chosen, picks = nested(rows_by_point, names)
        top.append(line("**voices, thresholds picked on the other clips, fold VAD (nested)**", chosen))
        grid_text = (["", "Nested picks: " + ", ".join("%s %s" % (n[-5:], points[i]) for n, i in sorted(picks.items())),
                  "", "Each grid point with the fold VAD models:", ""] + table)
    text = (["Every clip detected with the VAD model of the fold that left it out; pooled as `talkpuck eval`:", ""]
            + top + ["", "With hindsight (fold VAD; the firmware's pieces, labels from outside the puck):", ""] + bounds
            + grid_text)
    print("\n".join(text))
    if not args.no_record:
        append("Voice attribution leave-one-file-out on %s" % args.dir, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""lofo — leave-one-file-out evaluation of a learned detector, scored exactly as `talkpuck eval`.

For each clip: train on the other clips (and their generated copies), run the firmware
TurnDetector with that fold's model over the held-out clip and over each of its generated copies,
and score every output with `evaluate.score_file`. Clips and copies are pooled separately with
`evaluate.pool` (sums over frames / files / speakers), so the figures mean what `talkpuck eval`'s
mean. Used by `talkpuck train-vad` (and `--lofo`) and by `bench/vad_bench.py --lofo`.
"""
from talkpuck.detection.audio import RATE
from talkpuck.detection.evaluate import pool, score_file
from talkpuck.detection.runner import run_detector

KEYS = ("f1", "precision", "recall", "der", "der_c0", "turn_recall", "boundary_precision", "talk_share_error")


def fold_params(W, B, d, base=None):
    """`base` (DetectParams, the class the puck uses) with a fold's model, other constants unchanged."""
    if base is None:
        from puckcore.detect_params import DetectParams as base

    return type("FoldParams", (base,), {
        "score_w": tuple(int(w) for w in W), "score_b": int(B), "score_thr": int(d["thr"]),
        "hangover_frames": int(d["hang"]), "turn_gap_ms": int(d["gap"]), "turn_min_ms": int(d["min"]),
        "preroll_ms": int(d["pre"]),
    })


def train_folds(names, train_fn, log=None):
    """{held-out name: the decision dict of the model trained on the other names, with "W" and "B"}
    (plain ints, so it can be kept as JSON)."""
    folds = {}
    for test in names:
        W, B, d = train_fn([n for n in names if n != test])
        folds[test] = dict(d, W=[int(w) for w in W], B=int(B))
        if log:
            log("fold without %s trained" % test)
    return folds


def detect_rows(params, name, versions):
    """Run the firmware detector with `params` over versions [(version, X, lv, lab, samples, ref)];
    one `score_file` row per version, file named NAME or NAME+version."""
    from puckcore.detector import TurnDetector

    rows = []
    for v in versions:
        version, samples, ref = v[0], v[4], v[5]
        hyp, cpu = run_detector(samples, TurnDetector(params=params))
        fname = name if version == "orig" else "%s+%s" % (name, version)
        row = score_file(fname, ref, hyp, len(samples) / float(RATE), cpu)
        row["version"] = version
        rows.append(row)
    return rows


def lofo(clips, names, train_fn, log=None, base=None):
    """clips[name] = [(version, X, lv, lab, samples, ref)] with version "orig" for the clip itself;
    train_fn(train_names) -> (W, B, decision dict); `base`: the params class the folds' models go
    into (DetectParams if None). Returns {"clips": {"files", "pooled"},
    "copies": {"files", "pooled", "by_version"}, "folds": {name: decision dict}}."""
    rows_o, rows_c = [], []
    folds = train_folds(names, train_fn)
    for test in names:
        d = folds[test]
        rows = detect_rows(fold_params(d["W"], d["B"], d, base), test, clips[test])
        rows_o += [r for r in rows if r["version"] == "orig"]
        rows_c += [r for r in rows if r["version"] != "orig"]
        if log:
            log("LOFO %s: frame F1 %.3f%s" % (test, rows[0]["f1"], (", DER %.3f" % rows[0]["der"]) if "der" in rows[0] else ""))
    out = {"clips": {"files": rows_o, "pooled": pool(rows_o)}, "folds": folds}
    if rows_c:
        by: dict[str, list] = {}
        for r in rows_c:
            by.setdefault(r["version"], []).append(r)
        out["copies"] = {"files": rows_c, "pooled": pool(rows_c),
                         "by_version": {k: pool(v) for k, v in sorted(by.items())}}
    return out


def summary(res):
    """The pooled figures, rounded, for vad_model.LOFO."""
    out = {"clips": {k: round(res["clips"]["pooled"][k], 3) for k in KEYS}}
    if "copies" in res:
        out["copies"] = {k: round(res["copies"]["pooled"][k], 3) for k in KEYS}
    return out


def table_rows(res):
    """Markdown rows: pooled clips, pooled copies, then each kind of copy."""
    lines = ["| held-out material | frame P | frame R | frame F1 | DER c0.25 | DER c0 | turn recall | boundary P | talk-share err |",
             "|---|---|---|---|---|---|---|---|---|"]

    def row(name, p):
        lines.append("| %s | %.3f | %.3f | **%.3f** | **%.3f** | %.3f | %.2f | %.2f | %.1f |" % (
            name, p["precision"], p["recall"], p["f1"], p["der"], p["der_c0"], p["turn_recall"],
            p["boundary_precision"], p["talk_share_error"]))

    row("dev clips (%d)" % len(res["clips"]["files"]), res["clips"]["pooled"])
    if "copies" in res:
        row("generated copies (%d)" % len(res["copies"]["files"]), res["copies"]["pooled"])
        for k, p in res["copies"]["by_version"].items():
            row("copies: %s" % k, p)
    return lines


def format_lofo(res):
    return "Leave-one-file-out, scored as `talkpuck eval` (pooled):\n" + "\n".join(table_rows(res))

"""Replay the remote-voice decision over conversations (issue 15): the detector runs once per
conversation (cached: its segments and each voice's remote-cue features), then any linear model of
those features is scored as `talkpuck eval` scores the flag (share of single-voice reference time
whose voice carries the right flag).

    .venv/bin/python bench/remote_replay.py DIR [--cache FILE] [--model W0,W1,W2,B]

Use it on training-speaker conversations to choose; the frozen set only to report.
"""
import argparse
import json
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "host"))
sys.path.insert(0, os.path.join(HERE, "..", "firmware"))


def run(folder, cache):
    from puckcore.detector import TurnDetector

    from talkpuck.detection.audio import read_wav
    from talkpuck.detection.runner import run_detector

    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            return pickle.load(f)
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        infos = json.load(f)["conversations"]
    out = []
    for info in infos:
        x, _ = read_wav(os.path.join(folder, info["name"] + ".wav"))
        det = TurnDetector()
        remote = {}
        hyp, cpu = run_detector(x, det, remote_out=remote)
        feats = {v: det.remote.features(v) for v in remote}
        out.append({"info": info, "hyp": hyp, "cpu": cpu, "n": len(x), "feats": feats,
                    "frames": {v: det.remote.sums[3 * (v - 1) + 1] for v in remote}})
        print(info["name"], remote, feats, flush=True)
    if cache:
        with open(cache, "wb") as f:
            pickle.dump(out, f)
    return out


def score(folder, runs, decide):
    """decide(features, frames) -> bool per voice; returns pooled and per-simulation remote-right."""
    from talkpuck.detection.audio import RATE
    from talkpuck.detection.evaluate import load_reference, pool, score_file

    rows, by = [], {}
    for r in runs:
        info = r["info"]
        ref = load_reference(os.path.join(folder, info["name"] + ".rttm"), info["name"])
        truth = {v["name"]: v["remote"] for v in info["speakers"]}
        remote = {v: (f is not None and decide(f, r["frames"][v])) for v, f in r["feats"].items()}
        s = score_file(info["name"], ref, r["hyp"], r["n"] / float(RATE), r["cpu"], truth, remote)
        rows.append(s)
        by.setdefault(info["remote_sim"] or "none", []).append(s)
    out = {"all": pool(rows)["remote_accuracy"]}
    for k, v in by.items():
        p = pool(v)
        out[k] = p["remote_accuracy"]
        if p["remote_recall"] is not None:
            out[k + "_flagged"] = p["remote_recall"]
    return out


def linear(W, B, min_frames=100):
    def decide(f, n):
        return n >= min_frames and B + sum(w * x for w, x in zip(W, f)) >= 0
    return decide


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--cache")
    ap.add_argument("--model", help="W0,W1,W2,B (default: firmware/puckcore/voice_model.py)")
    a = ap.parse_args(argv)
    runs = run(a.folder, a.cache)
    if a.model:
        v = [int(t) for t in a.model.split(",")]
        W, B = v[:-1], v[-1]
    else:
        from puckcore import voice_model as m
        W, B = m.REMOTE_W, m.REMOTE_B
    print("model", W, B, {k: round(v, 3) for k, v in score(a.folder, runs, linear(W, B)).items()})


if __name__ == "__main__":
    main()

"""Replay the remote-voice decision over conversations (issue 15): the detector runs once per
conversation (cached: its segments and each voice's remote-cue features), then any linear model of
those features is scored as `talkpuck eval` scores the flag (share of single-voice reference time
whose voice carries the right flag).

    .venv/bin/python bench/remote_replay.py DIR [DIR ...] [--cache-dir D] [--model NAME=W0,..,B ...] [--append]

Besides the models it scores the best any per-voice flag can do (each voice flagged as the
majority of its reference time: a voice that mixed room and loudspeaker people stays partly wrong
whatever its flag). Use it on training-speaker conversations to choose; the frozen set only to report.
"""
import argparse
import json
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "host"))
sys.path.insert(0, os.path.join(HERE, "..", "firmware"))


def cached_runs(folder, cache, capture):
    """[capture(samples) + {"info": ...}] for every conversation of `folder` (its manifest.json), in order;
    pickled in `cache` (a file) when given, and read from it when it exists."""
    from talkpuck.detection.audio import read_wav

    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            return pickle.load(f)
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        infos = json.load(f)["conversations"]
    out = []
    for info in infos:
        x, _ = read_wav(os.path.join(folder, info["name"] + ".wav"))
        r = capture(x)
        r["info"] = info
        out.append(r)
        print(info["name"], flush=True)
    if cache:
        with open(cache, "wb") as f:
            pickle.dump(out, f)
    return out


def capture_voices(x):
    """The detector once over `x`: its segments and each voice's remote-cue features."""
    from puckcore.detector import TurnDetector

    from talkpuck.detection.runner import run_detector

    det = TurnDetector()
    remote = {}
    hyp, cpu = run_detector(x, det, remote_out=remote)
    return {"hyp": hyp, "cpu": cpu, "n": len(x), "feats": {v: det.remote.features(v) for v in remote},
            "frames": {v: det.remote.sums[3 * (v - 1) + 1] for v in remote}}


def run(folder, cache):
    return cached_runs(folder, cache, capture_voices)


def majority(folder, r):
    """{voice: True when most of its single-voice reference time is of loudspeaker people}."""
    from talkpuck.detection.evaluate import load_reference

    info = r["info"]
    truth = {v["name"]: v["remote"] for v in info["speakers"]}
    ref = load_reference(os.path.join(folder, info["name"] + ".rttm"), info["name"])
    n = r["n"] // 160 + 1
    who = [set() for _ in range(n)]
    for s, e, spk in ref:
        for i in range(int(s * 100), min(n, int(e * 100))):
            who[i].add(spk)
    out = {}
    for v in r["feats"]:
        rem = room = 0
        for s, e, vv in r["hyp"]:
            if vv != v:
                continue
            for i in range(int(s * 100), min(n, int(e * 100))):
                if len(who[i]) == 1:
                    if truth[next(iter(who[i]))]:
                        rem += 1
                    else:
                        room += 1
        out[v] = rem > room
    return out


def score(folder, runs, decide):
    """decide(features, frames) -> bool per voice, or decide(None, (folder, run, voice)) for an oracle;
    returns pooled and per-simulation remote-right."""
    from talkpuck.detection.audio import RATE
    from talkpuck.detection.evaluate import load_reference, pool, score_file

    rows, by = [], {}
    for r in runs:
        info = r["info"]
        ref = load_reference(os.path.join(folder, info["name"] + ".rttm"), info["name"])
        truth = {v["name"]: v["remote"] for v in info["speakers"]}
        if decide == "oracle":
            remote = majority(folder, r)
        else:
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
    import datetime

    sys.path.insert(0, HERE)
    from results import machine

    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--cache-dir", help="keep each folder's detector run as D/<folder name>.pkl")
    ap.add_argument("--model", action="append", default=[], help="NAME=W0,W1,...,B (default: the shipped model)")
    ap.add_argument("--append", action="store_true", help="append the table to bench/RESULTS.md")
    a = ap.parse_args(argv)
    from puckcore import voice_model as m

    models = [("shipped voice_model.py", linear(m.REMOTE_W, m.REMOTE_B))]
    for t in a.model:
        name, vals = t.split("=")
        v = [int(x) for x in vals.split(",")]
        models.append((name, linear(v[:-1], v[-1])))
    models.append(("best per-voice flag (each voice as the majority of its time)", "oracle"))
    runs = {}
    for folder in a.folders:
        cache = os.path.join(a.cache_dir, os.path.basename(os.path.normpath(folder)) + ".pkl") if a.cache_dir else None
        runs[folder] = run(folder, cache)
    names = [os.path.basename(os.path.normpath(f)) for f in a.folders]
    lines = ["| model | " + " | ".join(names) + " | mean |", "|---" * (len(names) + 2) + "|"]
    for name, decide in models:
        vals = [score(f, runs[f], decide)["all"] for f in a.folders]
        lines.append("| %s | %s | %.3f |" % (name, " | ".join("%.3f" % v for v in vals), sum(vals) / len(vals)))
    text = "\n".join(lines)
    print(text)
    if a.append:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        cmd = " ".join(["bench/remote_replay.py"] + (argv if argv is not None else sys.argv[1:]))
        with open(os.path.join(HERE, "RESULTS.md"), "a", encoding="utf-8") as f:
            f.write("\n## Remote flag on generated conversations, replayed per model (issue 15) — %s\n\n"
                    "`%s`. Machine: %s. Remote right (share of single-voice reference time whose voice carries the"
                    " right flag), the detector's own voices.\n\n%s\n" % (stamp, cmd, machine(), text))


if __name__ == "__main__":
    main()

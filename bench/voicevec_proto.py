"""voicevec_proto — the float prototype of the spectral voice vector (issue 15) against pitch-only voices.

Usage (each step caches its output under OUT, default .cache/voicevec):
  .venv/bin/python bench/voicevec_proto.py examples [OUT]     # 2 examples per training / validation speaker
  .venv/bin/python bench/voicevec_proto.py separability [OUT] # EER of 2 s chunks of held-out speakers
  .venv/bin/python bench/voicevec_proto.py conversations CONV_DIR [OUT]  # DER / share on CONV_DIR
CONV_DIR: `talkpuck make-conversations --speech --split train --sim mixed --seed 77 --count 20 --out DIR`
(training speakers only). The firmware detector (CPython) gives the voiced frames, pitch codes and
pieces (its changepoint cuts); the prototype (talkpuck.detection.voicevec) gives each piece a vector
and clusters online; the pitch-only row is the firmware's own voices. The LDA is fitted on the
training speakers' examples minus the speakers of CONV_DIR.
"""
import json
import os
import pickle
import sys
from array import array

import numpy as np

from talkpuck.detection.voicevec import pair_eer  # the same equal-error rate the host's tests check

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NB, DIM, STEP, CHUNK = 20, 12, 2, 100
GRID = ((0.2, 0.3), (0.25, 0.375), (0.3, 0.45), (0.4, 0.6), (0.5, 0.75))


def voiced(x):
    """The firmware front end + pitch tracker (CPython): voiced frame indices and pitch codes."""
    from puckcore.detect_params import DetectParams as P
    from puckcore.frontend import FrontEnd
    from puckcore.levels import log2_q8
    from puckcore.pitch import Voicing

    fe, vo = FrontEnd(P), Voicing()
    n = len(x) // 320
    raw = x.astype("<i2").tobytes()
    vf, codes = [], []
    for i in range(n):
        fr = array("h")
        fr.frombytes(raw[i * 640:(i + 1) * 640])
        fe.process(fr)
        vo.process(fr, 320, fe.dc)
        if vo.voicing_q8 >= P.voice_min_voicing_q8 and vo.lag > 0:
            vf.append(i)
            codes.append(log2_q8(vo.lag))
    return np.array(vf, int), np.array(codes, int)


def examples(out):
    from talkpuck.detection import speechconv as sc
    from talkpuck.detection import voicevec as vv
    from talkpuck.detection.voicetrain import example_samples

    idx = sc.index_speakers(sc.find_speech_data(ROOT))
    for split, seed in (("val", 5), ("train", 6)):
        path = os.path.join(out, "examples-%s.npz" % split)
        if os.path.exists(path):
            continue
        rng = np.random.default_rng([seed, 99])
        B, C, S, E = [], [], [], []
        ex = 0
        for s in sc.speakers_of(idx, split):
            for _ in range(2):
                x = example_samples(idx, str(s), rng, rng.random() < 0.25, "laptop")
                vf, codes = voiced(x)
                if not len(vf):
                    continue
                B.append(vv.frame_bands(x, NB)[vf].astype(np.float32))
                C.append(codes)
                S += [str(s)] * len(vf)
                E += [ex] * len(vf)
                ex += 1
        os.makedirs(out, exist_ok=True)
        np.savez(path, bands=np.concatenate(B), code=np.concatenate(C), spk=np.array(S), ex=np.array(E))
        print("%s: %d examples" % (split, ex))


def chunks(d, L=CHUNK, step=STEP):
    from talkpuck.detection import voicevec as vv

    X, y, pc = [], [], []
    for e in np.unique(d["ex"]):
        idx = np.where(d["ex"] == e)[0]
        for a in range(0, len(idx) - L + 1, L):
            f = idx[a:a + L]
            X.append(vv.pool(d["bands"], f, d["code"][f], step))
            y.append(d["spk"][f[0]])
            pc.append(d["code"][f].mean())
    return np.array(X), np.array(y), np.array(pc)


def separability(out):
    from talkpuck.detection import voicevec as vv

    tr = np.load(os.path.join(out, "examples-train.npz"))
    va = np.load(os.path.join(out, "examples-val.npz"))
    Xt, yt, _ = chunks(tr)
    Xv, yv, pv = chunks(va)
    W, mu = vv.fit_lda(Xt, yt, DIM)
    lines = ["| 2 s chunks of held-out speakers (%d speakers, %d chunks) | EER |" % (len(set(yv)), len(yv)),
             "|---|---|",
             "| mean pitch | %.3f |" % pair_eer(pv, yv, False),
             "| %d log bands + pitch, LDA to %d (fitted on %d training speakers), cosine | %.3f |"
             % (NB, DIM, len(set(yt)), pair_eer(vv.project(Xv, W, mu), yv))]
    print("\n".join(lines))
    return lines


def capture(folder, out):
    from puckcore.detector import TurnDetector
    from puckcore.levels import log2_q8
    from puckcore.ticks import ticks_diff
    from talkpuck.detection.audio import read_wav
    from talkpuck.detection.runner import T0, run_detector

    class Capture(TurnDetector):
        def __init__(self):
            super().__init__()
            self.log = []

        def _end_turn(self):
            tr, cd, n = self.turns, self.changes, self._voiced_at_speech
            rec = {"start": ticks_diff(tr.start_ms, T0), "end": ticks_diff(tr.end_ms, T0), "pieces": []}
            if n >= self.p.voice_min_frames:
                for k in range(cd.split(n, log2_q8(cd.median_lag(n)))):
                    a, b = cd.bounds[k], cd.bounds[k + 1]
                    rec["pieces"].append({"frames": [ticks_diff(cd.time_of(i), T0) // 20 for i in range(a, b)],
                                          "codes": [cd.codes[i] for i in range(a, b)], "count": b - a,
                                          "t0": ticks_diff(cd.time_of(a), T0)})
            self.log.append(rec)
            super()._end_turn()

    os.makedirs(out, exist_ok=True)
    res = []
    for nm in sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".wav")):
        path = os.path.join(out, nm + ".pkl")
        if not os.path.exists(path):
            x, _ = read_wav(os.path.join(folder, nm + ".wav"))
            det = Capture()
            hyp, _ = run_detector(x, detector=det)
            with open(path, "wb") as f:
                pickle.dump({"hyp": hyp, "turns": det.log, "n": len(x)}, f)
        with open(path, "rb") as f:
            res.append((nm, pickle.load(f)))
    return res


def segments(cap, labels):
    segs, last = [], 1
    for turn, lab in zip(cap["turns"], labels):
        ps = turn["pieces"]
        if not ps:
            segs.append((turn["start"] / 1000.0, turn["end"] / 1000.0, last))
            continue
        for k, p in enumerate(ps):
            a = turn["start"] if k == 0 else p["t0"]
            b = turn["end"] if k == len(ps) - 1 else ps[k + 1]["t0"]
            segs.append((a / 1000.0, b / 1000.0, lab[k]))
        last = lab[-1]
    dur = cap["n"] / 16000.0
    return [(max(0.0, a), min(dur, b), v) for a, b, v in segs if min(dur, b) > max(0.0, a)]


def true_speaker(ref, a, b):
    best, who = 0.0, "none"
    for s, e, k in ref:
        o = min(b, e) - max(a, s)
        if o > best:
            best, who = o, k
    return who


def conversations(folder, out):
    from talkpuck.detection import voicevec as vv
    from talkpuck.detection.audio import read_wav
    from talkpuck.detection.evaluate import load_reference, pool, score_file

    caps = capture(folder, os.path.join(out, "pieces-" + os.path.basename(os.path.abspath(folder))))
    tr = np.load(os.path.join(out, "examples-train.npz"))
    conv_spk = set()
    data = []
    for nm, cap in caps:
        with open(os.path.join(folder, nm + ".json"), encoding="utf-8") as f:
            conv_spk |= {v["name"] for v in json.load(f)["speakers"]}
        x, _ = read_wav(os.path.join(folder, nm + ".wav"))
        data.append((nm, vv.frame_bands(x, NB), load_reference(os.path.join(folder, nm + ".rttm"), nm), cap))
    Xt, yt, _ = chunks(tr)
    keep = np.array([s not in conv_spk for s in yt])
    W, mu = vv.fit_lda(Xt[keep], yt[keep], DIM)

    def score(label_fn):
        rows = []
        for nm, bands, ref, cap in data:
            labels = label_fn(bands, ref, cap)
            rows.append(score_file(nm, ref, segments(cap, labels), cap["n"] / 16000.0))
        p = pool(rows)
        return p["der"], p["talk_share_error"]

    def online(thr, sure):
        def fn(bands, ref, cap):
            cl = vv.OnlineVoices(thr, sure, 60)
            return [[cl.assign(vv.project(vv.pool(bands, p["frames"], p["codes"], STEP), W, mu)[0], p["count"])
                     for p in t["pieces"]] for t in cap["turns"]]
        return fn

    base = [score_file(nm, ref, cap["hyp"], cap["n"] / 16000.0) for nm, _, ref, cap in data]
    p = pool(base)
    rows = [("pitch voices (the firmware today)", (p["der"], p["talk_share_error"]))]
    for thr, sure in GRID:
        rows.append(("spectral vector, online, new voice beyond cosine distance %.2f (at once beyond %.2f)"
                     % (thr, sure), score(online(thr, sure))))
    rows.append(("*hindsight:* the same pieces, each given its true speaker",
                 score(lambda b, ref, cap: [[true_speaker(ref, p["frames"][0] * 0.02, p["frames"][-1] * 0.02 + 0.02)
                                             for p in t["pieces"]] for t in cap["turns"]])))
    lines = ["| %d conversations of training speakers (%s), LDA on %d other training speakers | DER c0.25 | talk-share err |"
             % (len(data), folder, len(set(yt[keep]))), "|---|---|---|"]
    lines += ["| %s | %.3f | %.1f |" % (label, d, s) for label, (d, s) in rows]
    print("\n".join(lines))
    return lines


def main(argv):
    sys.path.insert(0, HERE)
    from results import append

    flags = [a for a in argv if a.startswith("--")]
    argv = [a for a in argv if not a.startswith("--")]
    cmd = argv[0]
    if cmd == "conversations":
        folder = argv[1]
        out = argv[2] if len(argv) > 2 else os.path.join(ROOT, ".cache", "voicevec")
    else:
        out = argv[1] if len(argv) > 1 else os.path.join(ROOT, ".cache", "voicevec")
    if cmd == "examples":
        examples(out)
        return
    lines = separability(out) if cmd == "separability" else conversations(folder, out)
    if "--no-record" not in flags:
        append("Spectral voice vector prototype (issue 15): %s" % cmd, lines)


if __name__ == "__main__":
    main(sys.argv[1:])

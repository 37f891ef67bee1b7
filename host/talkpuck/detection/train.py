"""train — `talkpuck train-vad`: fit the VAD's frame classifier and export it as firmware constants.

Features come from the firmware code itself (FrontEnd, Voicing, Vad on CPython), so the model
sees exactly what the puck computes. Data: every NAME.wav + NAME.rttm in --data (the AMI dev
clips) plus harder copies generated from them (quieter / far talker, added noise, reverberation,
level changes). The model is a logistic regression folded into Q16 integer weights, fitted on the
clips and their generated copies; the decision threshold, hangover and turn shaping are chosen by
grid search on the frame F1 of the training clips themselves.
Leave-one-file-out: each clip is scored with a model trained on the other nine (and their
generated copies); the figures are written into the model file and printed.
"""
import os
from array import array

import numpy as np

from talkpuck.detection.audio import read_wav
from talkpuck.detection.evaluate import find_pairs, load_reference

Q = 16
FRAME_S = 0.02
HANGS = (5, 10, 15)
GAPS_MS = (300, 500, 700)
PREROLLS_MS = (60, 100)
MINS_MS = (60, 120)
THR_Q = (0.4, 0.5, 0.6, 0.7, 0.8)
DEFAULT_OUT = os.path.join("firmware", "puckcore", "vad_model.py")


def add_parser(subparsers):
    p = subparsers.add_parser("train-vad", help="train the VAD frame classifier, write firmware/puckcore/vad_model.py")
    p.add_argument("--data", default=os.path.join("data", "speech", "ami"), help="folder of NAME.wav + NAME.rttm")
    p.add_argument("--out", default=DEFAULT_OUT, help="firmware module to write")
    p.add_argument("--no-augment", action="store_true", help="train on the clips only")
    p.set_defaults(func=run)


# --- generated harder material ---------------------------------------------------------------
def augmentations(x, seed):
    """Yield (name, int16 array) copies of x: far/quiet talker, noisy room, reverberant room,
    level changes. Deterministic per seed."""
    rng = np.random.default_rng(seed)
    xf = x.astype(np.float64)
    rms = np.sqrt(np.mean(xf ** 2)) + 1e-9
    yield "quiet", _i16(xf * 10 ** (-20 / 20))
    # pink-ish noise (integrated white, high-passed) at ~15 dB below the clip's rms, plus hum
    w = rng.standard_normal(len(xf))
    pink = np.cumsum(w)
    pink -= np.convolve(pink, np.ones(400) / 400, mode="same")
    pink *= rms * 10 ** (-15 / 20) / (np.sqrt(np.mean(pink ** 2)) + 1e-9)
    t = np.arange(len(xf)) / 16000.0
    hum = 0.3 * rms * 10 ** (-15 / 20) * np.sin(2 * np.pi * 50 * t)
    yield "noisy", _i16(xf + pink + hum)
    # reverberation: exponentially decaying noise impulse response, RT60 ~ 0.6 s, farther talker
    n = int(0.4 * 16000)
    ir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / (0.6 * 16000))
    ir[0] = 3.0
    ir /= np.sqrt(np.sum(ir ** 2))
    rev = np.convolve(xf, ir)[: len(xf)] * 0.5
    yield "reverb", _i16(rev + rng.standard_normal(len(xf)) * rms * 10 ** (-30 / 20))
    # level changes: the gain wanders between -18 and +6 dB over tens of seconds
    g_db = -6 + 12 * np.sin(2 * np.pi * t / 23.0 + seed)
    yield "levels", _i16(xf * 10 ** (g_db / 20))


def _i16(x):
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


# --- features from the firmware code ---------------------------------------------------------
def firmware_features(samples):
    """(frames x 11 int features, levels 1/16 dB) from the firmware front end on CPython."""
    from puckcore.detect_params import DetectParams
    from puckcore.frontend import FrontEnd
    from puckcore.pitch import Voicing
    from puckcore.vad import NF, Vad

    fe, vo, vad = FrontEnd(DetectParams), Voicing(), Vad(DetectParams)
    n = DetectParams.frame_samples
    nf = len(samples) // n
    raw = samples[: nf * n].astype("<i2").tobytes()
    X = np.zeros((nf, NF), dtype=np.int64)
    lv = np.zeros(nf, dtype=np.int64)
    for i in range(nf):
        fr = array("h")
        fr.frombytes(raw[i * 2 * n : (i + 1) * 2 * n])
        fe.process(fr)
        vo.process(fr, n, fe.dc)
        vad.process(fe.level_dbq, fe.high_dbq, fe.zc, vo.voicing_q8)
        X[i] = vad.x
        lv[i] = fe.level_dbq
    return X, lv


def labels(ref, nframes):
    c = (np.arange(nframes) + 0.5) * FRAME_S
    lab = np.zeros(nframes, dtype=bool)
    for s, e, _ in ref:
        lab |= (c >= s) & (c < e)
    return lab


# --- model ----------------------------------------------------------------------------------
def fit(X, y, l2=1e-3, iters=400):
    mu = X.mean(0)
    sd = X.std(0) + 1e-6
    Z = (X - mu) / sd
    w = np.zeros(X.shape[1])
    b = 0.0
    # Newton-free plain gradient descent with a fixed step: small problem, standardized inputs
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(Z @ w + b)))
        w -= 1.0 * (Z.T @ (p - y) / len(y) + l2 * w)
        b -= 1.0 * float(np.mean(p - y))
    # fold the standardization in, then to Q16 integers
    wr = w / sd
    br = b - float(np.sum(w * mu / sd))
    W = np.round(wr * (1 << Q)).astype(np.int64)
    B = int(round(br * (1 << Q)))
    return W, B


def scores(W, B, X):
    return X @ W + B


def decide(z, lv, thr_q, hang, gap_ms, min_ms, pre_ms, min_level):
    """Vectorised twin of Vad (hangover) + TurnSegmenter for the grid search: frame booleans."""
    loud = (z >= thr_q) & (lv >= min_level)
    c = np.concatenate(([0], np.cumsum(loud)))
    idx = np.arange(len(loud))
    speech = (c[idx + 1] - c[np.maximum(0, idx - hang)]) > 0
    out = np.zeros(len(loud), dtype=bool)
    on = np.flatnonzero(speech)
    if len(on) == 0:
        return out
    gap_f = gap_ms // 20
    brk = np.flatnonzero(np.diff(on) - 1 >= gap_f)
    starts = np.concatenate(([on[0]], on[brk + 1]))
    ends = np.concatenate((on[brk], [on[-1]]))
    cs = np.concatenate(([0], np.cumsum(speech)))
    for s, e in zip(starts, ends):
        if (cs[e + 1] - cs[s]) * 20 >= min_ms:
            out[max(0, s - pre_ms // 20) : e + 1] = True
    return out


def f1_of(outs, labs):
    tp = sum(int(np.sum(o & l)) for o, l in zip(outs, labs))
    fp = sum(int(np.sum(o & ~l)) for o, l in zip(outs, labs))
    fn = sum(int(np.sum(~o & l)) for o, l in zip(outs, labs))
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return 2 * p * r / max(1e-9, p + r)


def train(items, min_level, tune=None):
    """items: [(X, lv, lab)] to fit the weights on; tune: the items whose frame F1 picks the
    decision settings (default: the same). Returns (W, B, decision dict)."""
    X = np.vstack([it[0] for it in items]).astype(np.float64)
    y = np.concatenate([it[2] for it in items]).astype(np.float64)
    W, B = fit(X, y)
    items = tune or items
    Z = [scores(W, B, it[0]) for it in items]
    best = None
    for t in THR_Q:
        thr = int(round(np.log(t / (1 - t)) * (1 << Q)))
        for h in HANGS:
            for g in GAPS_MS:
                for m in MINS_MS:
                    for pr in PREROLLS_MS:
                        f = f1_of([decide(z, it[1], thr, h, g, m, pr, min_level) for z, it in zip(Z, items)],
                                  [it[2] for it in items])
                        if best is None or f > best[0]:
                            best = (f, dict(thr=thr, hang=h, gap=g, min=m, pre=pr))
    return W, B, best[1]


def run(args):
    from puckcore.detect_params import DetectParams

    min_level = DetectParams.speech_min_dbq
    clips = {}
    for k, (base, wav, rttm) in enumerate(find_pairs(args.data)):
        x, _ = read_wav(wav)
        ref = load_reference(rttm, base)
        variants = [("orig", x)] + ([] if args.no_augment else list(augmentations(x, k)))
        clips[base] = []
        for name, v in variants:
            X, lv = firmware_features(v)
            clips[base].append((name, X, lv, labels(ref, len(X))))
        print("features: %s (%d versions)" % (base, len(variants)))
    names = sorted(clips)
    # leave one file out
    lofo = {}
    outs_o, labs_o, outs_a, labs_a = [], [], [], []
    for test in names:
        items = [(X, lv, lab) for n in names if n != test for _, X, lv, lab in clips[n]]
        tune = [(X, lv, lab) for n in names if n != test for v, X, lv, lab in clips[n] if v == "orig"]
        W, B, d = train(items, min_level, tune)
        for name, X, lv, lab in clips[test]:
            o = decide(scores(W, B, X), lv, d["thr"], d["hang"], d["gap"], d["min"], d["pre"], min_level)
            (outs_o if name == "orig" else outs_a).append(o)
            (labs_o if name == "orig" else labs_a).append(lab)
            if name == "orig":
                lofo[test] = round(f1_of([o], [lab]), 3) if lab.any() else None
        print("LOFO %s: frame F1 %s" % (test, lofo[test]))
    lofo["pooled_f1"] = round(f1_of(outs_o, labs_o), 3)
    if outs_a:
        lofo["pooled_f1_generated"] = round(f1_of(outs_a, labs_a), 3)
    print("LOFO pooled frame F1 (20 ms): clips %.3f, generated copies %s"
          % (lofo["pooled_f1"], lofo.get("pooled_f1_generated")))
    items = [(X, lv, lab) for n in names for _, X, lv, lab in clips[n]]
    tune = [(X, lv, lab) for n in names for v, X, lv, lab in clips[n] if v == "orig"]
    W, B, d = train(items, min_level, tune)
    write_model(args.out, W, B, d, lofo, not args.no_augment)
    print("wrote %s" % args.out)
    return 0


def write_model(path, W, B, d, lofo, augmented):
    from puckcore.vad import NF

    # bound check: the score sum must stay within 2**30 for every feature at its extreme
    xmax = (800, 4000, 12000, 800, 256, 1280, 3840, 256, 400, 320, 1600)
    worst = abs(B) + sum(abs(int(w)) * m for w, m in zip(W, xmax))
    assert worst < (1 << 30), "model score could leave 2**30: %d" % worst
    assert len(W) == NF
    text = '''"""vad_model — the learned frame classifier of the VAD, as integer constants (generated file).

Written by `talkpuck train-vad` (host/talkpuck/detection/train.py) from the clips in
data/speech/ami%s; do not edit by hand. The score of a frame is B + sum(W[i] * x[i]) in Q16 over
the features of puckcore/vad.py; the frame is loud when the score reaches Z_THR. LOFO holds the
leave-one-file-out frame F1 (20 ms frames) of models trained without each clip.
"""
FEATURES = ("snr", "snr_sum5", "snr_sum15", "below_peak", "voicing", "voicing_sum5", "voicing_sum15",
            "voicing_max10", "tilt", "zc", "level")
W = (%s)
B = %d
Z_THR = %d
HANGOVER_FRAMES = %d
TURN_GAP_MS = %d
TURN_MIN_MS = %d
PREROLL_MS = %d
LOFO = %r
''' % (
        " plus generated harder copies (quiet, noisy, reverberant, changing level)" if augmented else "",
        ", ".join(str(int(w)) for w in W), int(B), d["thr"], d["hang"], d["gap"], d["min"], d["pre"], lofo)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)

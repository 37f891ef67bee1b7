"""train — `talkpuck train-vad`: fit the VAD's frame classifier and export it as firmware constants.

Features come from the firmware code itself (FrontEnd, Voicing, Vad on CPython), so the model
sees exactly what the puck computes. Data: every NAME.wav + NAME.rttm in --data (the AMI dev
clips) plus harder copies generated from them (quieter / far talker, added noise, reverberation,
level changes). The recipe (docs/detection.md §2): a logistic regression fitted on the clips and
their copies (copies weighted COPY_WEIGHT), folded into Q16 integer weights; the decision
threshold, hangover and turn shaping are chosen by grid search on the frame F1 of the training
clips (weight 1) and of their copies (weight TUNE_COPY_WEIGHT), so the settings stay sensitive
enough for quiet, noisy and reverberant rooms.
Issue 15: with `--conversations DIR` (repeatable) the generated conversations of training speakers
(`talkpuck make-conversations --speech --split train`, tight labels by the generator's own rule)
join the fit (weight CONV_WEIGHT) and the settings search: their group scores min(precision,
recall), weighted CONV_TUNE_WEIGHT, so turn edges fit the tight labels as well as AMI's loose ones.
Leave-one-file-out (lofo.py): each clip and its copies are detected by the firmware detector with
a model trained on the other nine and their copies (and every conversation: none holds an AMI
voice), and scored with the `talkpuck eval` definitions; `--lofo` does only that. The LOFO figures
are written into the model file.
"""
import os
from array import array

import numpy as np

from talkpuck.detection.audio import read_wav
from talkpuck.detection.evaluate import find_pairs, load_reference

Q = 16
FRAME_S = 0.02
HANGS = (3, 5, 8, 10, 15)
GAPS_MS = (300, 500, 700, 1000)
PREROLLS_MS = (60, 100)
MINS_MS = (60, 120)
# with conversations (tight labels) the settings search also tries shorter hangovers, gaps and pre-rolls
CONV_GRID = {"hangs": (1, 2, 3, 4, 6, 8, 10, 15), "gaps_ms": (300, 400, 500, 600, 700, 850, 1000),
             "prerolls_ms": (0, 40, 60, 100)}
THR_Q = (0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.96, 0.98)  # frame posterior thresholds
COPY_WEIGHT = 1.0  # weight of a generated copy's frames in the fit (a clip's: 1)
TUNE_COPY_WEIGHT = 0.3  # weight of the copies' pooled F1 in the decision-settings search (clips: 1)
CONV_WEIGHT = 1.0  # weight of a generated conversation's frames in the fit
CONV_TUNE_WEIGHT = 0.3  # weight of the conversations' pooled min(precision, recall) in the search (the largest keeping AMI LOFO F1 >= 0.92)
PAD_FRAMES = 200  # silent frames between items laid end to end for the search (> any gap + pre-roll)
DEFAULT_OUT = os.path.join("firmware", "puckcore", "vad_model.py")


# --- generated harder material ---------------------------------------------------------------
def augmentations(x, seed):
    """Yield (name, int16 array) copies of x: far/quiet talker, noisy room, reverberant room,
    level changes. Deterministic per seed."""
    rng = np.random.default_rng(seed)
    xf = x.astype(np.float64)
    rms = np.sqrt(np.mean(xf ** 2)) + 1e-9
    yield "quiet", to_int16(xf * 10 ** (-20 / 20))
    # pink-ish noise (integrated white, high-passed) at ~15 dB below the clip's rms, plus hum
    w = rng.standard_normal(len(xf))
    pink = np.cumsum(w)
    pink -= np.convolve(pink, np.ones(400) / 400, mode="same")
    pink *= rms * 10 ** (-15 / 20) / (np.sqrt(np.mean(pink ** 2)) + 1e-9)
    t = np.arange(len(xf)) / 16000.0
    hum = 0.3 * rms * 10 ** (-15 / 20) * np.sin(2 * np.pi * 50 * t)
    yield "noisy", to_int16(xf + pink + hum)
    # reverberation: exponentially decaying noise impulse response, RT60 ~ 0.6 s, farther talker
    n = int(0.4 * 16000)
    ir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / (0.6 * 16000))
    ir[0] = 3.0
    ir /= np.sqrt(np.sum(ir ** 2))
    rev = np.convolve(xf, ir)[: len(xf)] * 0.5
    yield "reverb", to_int16(rev + rng.standard_normal(len(xf)) * rms * 10 ** (-30 / 20))
    # level changes: the gain wanders between -18 and +6 dB over tens of seconds
    g_db = -6 + 12 * np.sin(2 * np.pi * t / 23.0 + seed)
    yield "levels", to_int16(xf * 10 ** (g_db / 20))


def to_int16(x):
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
def fit(X, y, sw=None, l2=1e-3, iters=400):
    """Weighted logistic regression (sw: per-frame weights, default equal) -> Q16 (W, B)."""
    mu = X.mean(0)
    sd = X.std(0) + 1e-6
    Z = (X - mu) / sd
    sw = np.ones(len(y)) if sw is None else np.asarray(sw, dtype=np.float64)
    sw = sw / sw.sum()
    w = np.zeros(X.shape[1])
    b = 0.0
    # Newton-free plain gradient descent with a fixed step: small problem, standardized inputs
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(Z @ w + b)))
        g = sw * (p - y)
        w -= 1.0 * (Z.T @ g + l2 * w)
        b -= 1.0 * float(np.sum(g))
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


def train(items, min_level, tune=None, weights=None, tune_weights=None, tune_kinds=None, grid=None):
    """items: [(X, lv, lab)] to fit the weights on (frame weight per item: weights, default 1);
    tune: the items whose frame scores pick the decision settings (default: the same), in groups by
    tune_weights; tune_kinds {weight: "f1" | "min"}: what a group scores (default "f1": pooled F1;
    "min": the lower of its pooled precision and recall). The objective is the weighted mean.
    grid: keyword arguments of `search` replacing the default grid. Returns (W, B, decision dict)."""
    X = np.vstack([it[0] for it in items]).astype(np.float64)
    y = np.concatenate([it[2] for it in items]).astype(np.float64)
    weights = weights or [1.0] * len(items)
    sw = np.concatenate([np.full(len(it[2]), w) for it, w in zip(items, weights)])
    W, B = fit(X, y, sw)
    if tune is None:
        tune = items
    tw = tune_weights or [1.0] * len(tune)
    keys = [g for g in sorted(set(tw)) if g > 0]
    gid = [keys.index(w) if w > 0 else -1 for w in tw]
    kinds = [(tune_kinds or {}).get(g, "f1") for g in keys]
    best_obj, best = None, None
    for obj, d in search([scores(W, B, it[0]) for it in tune], [it[1] for it in tune], [it[2] for it in tune],
                         gid, keys, kinds, min_level, **(grid or {})):
        if best_obj is None or obj > best_obj:
            best_obj, best = obj, d
    if best is None:
        raise ValueError("train: the decision grid is empty")
    return W, B, best


def search(zs, lvs, labs, gid, gweights, kinds, min_level, thrs=None, hangs=HANGS, gaps_ms=GAPS_MS,
           mins_ms=MINS_MS, prerolls_ms=PREROLLS_MS):
    """Every decision setting on the grid, scored as `decide` would (the same frames): yields
    (objective, setting). Items are laid end to end with PAD_FRAMES silent frames between them and
    the frame counts come from prefix sums, so the whole grid costs seconds, not minutes.
    gid[i]: the group of item i (-1: not scored); group g weighs gweights[g] and scores its pooled
    F1 (kinds[g] "f1") or min(precision, recall) ("min")."""
    ng = len(gweights)
    z = np.concatenate([np.concatenate((zz, np.full(PAD_FRAMES, -(1 << 40)))) for zz in zs])
    lv = np.concatenate([np.concatenate((ll, np.full(PAD_FRAMES, -(1 << 20)))) for ll in lvs])
    lab = np.concatenate([np.concatenate((yy.astype(bool), np.zeros(PAD_FRAMES, dtype=bool))) for yy in labs])
    g = np.concatenate([np.full(len(zz) + PAD_FRAMES, gi) for zz, gi in zip(zs, gid)])
    # each frame's item: its first and last real frame (hangover and pre-roll stay inside it)
    real = np.concatenate([np.arange(len(zz) + PAD_FRAMES) < len(zz) for zz in zs])
    off = np.concatenate(([0], np.cumsum([len(zz) + PAD_FRAMES for zz in zs])))
    first = np.repeat(off[:-1], [len(zz) + PAD_FRAMES for zz in zs])
    scored = g >= 0
    g = np.where(scored, g, ng)  # group ng: counted nowhere
    ycum = np.concatenate(([0], np.cumsum(lab)))
    pos = np.bincount(g, weights=lab, minlength=ng + 1)[:ng]
    gw = np.asarray(gweights, dtype=np.float64)
    use_min = np.array([k == "min" for k in kinds])
    n = len(z)
    idx = np.arange(n)
    if thrs is None:
        thrs = [int(round(np.log(t / (1 - t)) * (1 << Q))) for t in THR_Q]
    for thr in thrs:
        loud = (z >= thr) & (lv >= min_level)
        lc = np.concatenate(([0], np.cumsum(loud)))
        for h in hangs:
            speech = ((lc[idx + 1] - lc[np.maximum(0, idx - h)]) > 0) & real
            on = np.flatnonzero(speech)
            if len(on) == 0:
                continue
            sc = np.concatenate(([0], np.cumsum(speech)))
            dgap = np.diff(on) - 1
            for gap in gaps_ms:
                brk = np.flatnonzero(dgap >= gap // 20)
                s = np.concatenate(([on[0]], on[brk + 1]))
                e = np.concatenate((on[brk], [on[-1]]))
                nsp = sc[e + 1] - sc[s]
                for m in mins_ms:
                    keep = nsp * 20 >= m
                    sk, ek = s[keep], e[keep]
                    gk = g[sk]
                    for pr in prerolls_ms:
                        a = np.maximum(first[sk], sk - pr // 20)
                        tp = np.bincount(gk, weights=ycum[ek + 1] - ycum[a], minlength=ng + 1)[:ng]
                        ln = np.bincount(gk, weights=ek + 1 - a, minlength=ng + 1)[:ng]
                        p = tp / np.maximum(1, ln)
                        r = tp / np.maximum(1, pos)
                        f = np.where(use_min, np.minimum(p, r), 2 * p * r / np.maximum(1e-9, p + r))
                        yield float(np.sum(gw * f) / np.sum(gw)), dict(thr=int(thr), hang=h, gap=gap, min=m, pre=pr)


def fixed_grid(grid, hang=None, gap_ms=None, preroll_ms=None, posterior=None):
    """The settings grid (keyword arguments of `search`; None: the default grid) with the decision
    shaping that is given fixed to that one value: hangover (frames), turn gap and pre-roll (ms)
    (and, for measurements, the posterior threshold).
    Issue 15: the shaping AMI's loose labels and the conversations' tight ones fight over is chosen
    on training-speaker conversations and fixed; the recipe picks only the rest."""
    out = dict(grid or {})
    for key, val in (("hangs", hang), ("gaps_ms", gap_ms), ("prerolls_ms", preroll_ms)):
        if val is not None:
            out[key] = (int(val),)
    if posterior is not None:
        out["thrs"] = [int(round(np.log(posterior / (1 - posterior)) * (1 << Q)))]
    return out or None


def train_recipe(clips, names, min_level, convs=None, fixed=None):
    """The shipped recipe on clips[name] = [(version, X, lv, lab, ...)] for the given names:
    fit on every version (copies weighted COPY_WEIGHT), tune on clips + TUNE_COPY_WEIGHT x copies.
    convs: [(version, X, lv, lab, ...)] generated conversations (issue 15), all used: fitted with
    weight CONV_WEIGHT, their min(precision, recall) weighted CONV_TUNE_WEIGHT in the search over
    the wider CONV_GRID. fixed: {"hang", "gap_ms", "preroll_ms"} (any of them) held at that value:
    the search picks only the others (`fixed_grid`)."""
    vs = [v for n in names for v in clips[n]]
    items = [(v[1], v[2], v[3]) for v in vs]
    weights = [1.0 if v[0] == "orig" else COPY_WEIGHT for v in vs]
    tune_w = [1.0 if v[0] == "orig" else TUNE_COPY_WEIGHT for v in vs]
    kinds = grid = None
    if convs:
        grid = CONV_GRID
        items += [(v[1], v[2], v[3]) for v in convs]
        weights += [CONV_WEIGHT] * len(convs)
        # a weight of its own (never equal to the clips' or copies'), so it forms its own group
        cw = CONV_TUNE_WEIGHT + 1e-9
        tune_w += [cw] * len(convs)
        kinds = {cw: "min"}
    if fixed:
        grid = fixed_grid(grid, **fixed)
    return train(items, min_level, items, weights, tune_w, kinds, grid)


def load_conversations(folders, log=None):
    """[(name, X, lv, labels, samples, reference)] of every NAME.wav + NAME.rttm in the folders."""
    out = []
    for folder in folders or ():
        for base, wav, rttm in find_pairs(folder):
            x, _ = read_wav(wav)
            ref = load_reference(rttm, base)
            X, lv = firmware_features(x)
            out.append(("conv", X, lv, labels(ref, len(X)), x, ref))
            if log:
                log("features: %s/%s" % (os.path.basename(folder.rstrip("/")), base))
    return out


def conv_figures(W, B, d, convs, min_level):
    """Pooled frame precision / recall / F1 of a model's decisions (the vectorised twin) on the
    conversations (in-sample when they were in its training)."""
    tp = fp = fn = 0
    for v in convs:
        o = decide(scores(W, B, v[1]), v[2], d["thr"], d["hang"], d["gap"], d["min"], d["pre"], min_level)
        tp += int(np.sum(o & v[3]))
        fp += int(np.sum(o & ~v[3]))
        fn += int(np.sum(~o & v[3]))
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / max(1e-9, p + r), 3)}


def load_material(folder, augment=True, log=None):
    """{clip name: [(version, X, lv, labels, samples, reference)]}, version "orig" first, then the
    generated copies (unless augment is False)."""
    clips: dict[str, list] = {}
    for k, (base, wav, rttm) in enumerate(find_pairs(folder)):
        x, _ = read_wav(wav)
        ref = load_reference(rttm, base)
        variants = [("orig", x)] + (list(augmentations(x, k)) if augment else [])
        clips[base] = []
        for name, v in variants:
            X, lv = firmware_features(v)
            clips[base].append((name, X, lv, labels(ref, len(X)), v, ref))
        if log:
            log("features: %s (%d versions)" % (base, len(variants)))
    return clips


def run(args):
    import json

    from puckcore.detect_params import DetectParams

    from talkpuck.detection import lofo as lofo_mod

    global CONV_WEIGHT, CONV_TUNE_WEIGHT
    CONV_WEIGHT = getattr(args, "conv_weight", CONV_WEIGHT)
    CONV_TUNE_WEIGHT = getattr(args, "conv_tune_weight", CONV_TUNE_WEIGHT)
    min_level = DetectParams.speech_min_dbq
    clips = load_material(args.data, not args.no_augment, log=print)
    convs = load_conversations(getattr(args, "conversations", None), log=print)
    names = sorted(clips)
    fixed = {k: v for k, v in (("hang", getattr(args, "hangover", None)), ("gap_ms", getattr(args, "turn_gap_ms", None)),
                               ("preroll_ms", getattr(args, "preroll_ms", None))) if v is not None}
    res = lofo_mod.lofo(clips, names, lambda ns: train_recipe(clips, ns, min_level, convs, fixed), log=print)
    print(lofo_mod.format_lofo(res))
    summary = lofo_mod.summary(res)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1, default=float)
    if args.lofo:
        return 0
    W, B, d = train_recipe(clips, names, min_level, convs, fixed)
    if convs:
        summary["conversations_in_sample"] = conv_figures(W, B, d, convs, min_level)
        summary["conversations"] = len(convs)
        print("conversations (%d, in-sample): %s" % (len(convs), summary["conversations_in_sample"]))
    write_model(args.out, W, B, d, summary, not args.no_augment, bool(convs), fixed)
    print("wrote %s" % args.out)
    return 0


def write_model(path, W, B, d, lofo, augmented, conversations=False, fixed=None):
    from puckcore.vad import NF

    # bound check: the score sum must stay within 2**30 for every feature at its extreme
    xmax = (800, 4000, 12000, 800, 256, 1280, 3840, 256, 400, 320, 1600)
    worst = abs(B) + sum(abs(int(w)) * m for w, m in zip(W, xmax))
    assert worst < (1 << 30), "model score could leave 2**30: %d" % worst
    assert len(W) == NF
    text = '''"""vad_model — the learned frame classifier of the VAD, as integer constants (generated file).

Written by `talkpuck train-vad` (host/talkpuck/detection/train.py) from the clips in
data/speech/ami%s%s%s.
Do not edit by hand. The score of a frame is B + sum(W[i] * x[i]) in Q16 over the features of
puckcore/vad.py; the frame is loud when the score reaches Z_THR. LOFO holds the
leave-one-file-out figures (`talkpuck eval` definitions, pooled): each clip and its generated
copies detected with a model trained without them.
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
        ("\nplus generated harder copies (quiet, noisy, reverberant, changing level), fitted with copies\n"
         "weighted COPY_WEIGHT %s, decision settings tuned with copies weighted TUNE_COPY_WEIGHT %s"
         % (COPY_WEIGHT, TUNE_COPY_WEIGHT)) if augmented else "",
        ("\nand generated conversations of training speakers (tight labels), fitted with weight CONV_WEIGHT %s,\n"
         "their min(precision, recall) weighted CONV_TUNE_WEIGHT %s in the settings search"
         % (CONV_WEIGHT, CONV_TUNE_WEIGHT)) if conversations else "",
        ("\nwith the decision shaping fixed (chosen on training-speaker conversations, not searched): %s"
         % ", ".join("%s %d" % (k, fixed[k]) for k in sorted(fixed))) if fixed else "",
        ", ".join(str(int(w)) for w in W), int(B), d["thr"], d["hang"], d["gap"], d["min"], d["pre"], lofo)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)

"""voicetrain — `talkpuck train-voices`: learn the puck's remote-voice decision (issue 15) and write
firmware/puckcore/voice_model.py.

Material: the training speakers of speechconv (never a validation speaker). Each example is one
person (one to three utterances with short pauses, at most EXAMPLE_MAX_S) placed in a random room (RT60 0.2-0.8 s, a
distance of 0.4-3 m, or 0.3-1 m for the laptop) with noise at 10-30 dB SNR; half of them come
through a loudspeaker simulation first, drawn from `sims`: the `laptop` chain (the default) and/or the
randomised `broad` family (speechconv: other filter types, orders and edges, peaking resonances,
compressors, AGC, limiters, clipping, non-Opus codecs, a far-end room); with `impure` > 0 some
examples are impure clusters (cluster_example). The firmware's own front end and pitch
tracker run over it (CPython, integer-exact), its voiced frames go to a one-voice remote.RemoteCue,
and the cue's four features are the example's. A logistic regression (numpy, classes balanced) on
`features` (default the first three) is fitted, folded into integer weights, and written with its held-out accuracy: the validation speakers
through `laptop`, `broad` and the `other` chain (Chebyshev band, driver resonance, block AGC and
limiter, Opus), which training never sees. Features are cached in an .npz keyed by the recipe, so a rerun costs nothing.
"""
import hashlib
import json
import math
import os

import numpy as np

from talkpuck.detection import speechconv as sc
from talkpuck.detection.audio import RATE
from talkpuck.errors import TalkpuckError

MODEL_PATH = os.path.join("firmware", "puckcore", "voice_model.py")
MIN_FRAMES = 100  # voiced frames (2 s) before a voice may be called remote
W_SCALE = 256  # integer weights: round(w * W_SCALE)
RECIPE = 4  # bump when the examples change (the cache key)
TRAIN_SIMS = ("laptop",)  # the shipped recipe; `broad` may join (--sims); never `other`: the held-out check
FEATURES = ("low_minus_level_q4db", "level_p90_minus_p50_db", "level_p50_minus_p10_db", "piece_level_dev_q4db")
DEFAULT_FEATURES = (0, 1, 2)  # the shipped recipe (docs/detection.md 8.2: the piece spread was not kept)
FEATURE_MAX = (1100 * 16, 63, 63, 127)  # |feature| at its extreme (remote.features), for the 2**30 check
EXAMPLE_MAX_S = 8.0  # an example is at most this long (the cost is the CPython pitch tracker)
# A voice on the puck is a cluster of pieces, not always one person's: with probability `impure`
# (--impure; 0 in the shipped recipe, 0.4 tried) an example adds a piece of a person of the other
# class (in the room for a remote voice, and the reverse), IMPURE_SHARE of the example's length, so
# the decision learns to hold for a cluster that mixed them. Its label stays the majority's.
IMPURE_SHARE = (0.05, 0.4)


def example_samples(index, speaker, rng, remote, sim):
    """One person's 1-3 utterances in a random room, through the loudspeaker when remote: int16."""
    from scipy.signal import oaconvolve

    utts = sc.load_speaker(index, speaker)
    parts = []
    for _ in range(int(rng.integers(1, 4))):
        u = utts[int(rng.integers(0, len(utts)))]
        parts += [u.audio, np.zeros(int(rng.uniform(0.2, 0.8) * RATE))]
    x = np.concatenate(parts)[:int(EXAMPLE_MAX_S * RATE)]
    if remote:
        x, _ = sc.loudspeaker(x, rng, sim)
        dist = rng.uniform(0.3, 1.0)
    else:
        dist = rng.uniform(*sc.DISTANCE_M)
    rt60 = rng.uniform(*sc.RT60_S)
    crit = 0.057 * math.sqrt(rng.uniform(30, 150) / rt60)
    ir = sc.room_ir(rng, rt60, float(np.clip(20 * math.log10(crit / dist), -12.0, 20.0)))
    level = rng.uniform(*sc.LEVEL_RANGE_DBFS) - 20 * math.log10(dist)
    y = oaconvolve(x, ir)[: len(x)] * 32768.0 * 10 ** (level / 20.0)
    act = np.abs(y) > 0.01 * np.max(np.abs(y))
    noise, _ = sc.coloured_noise(rng, len(y))
    y += noise * math.sqrt(float(np.mean(y[act] ** 2))) * 10 ** (-rng.uniform(*sc.SNR_DB) / 20.0)
    from talkpuck.detection.train import to_int16

    return to_int16(y)


def cluster_example(index, speaker, other, rng, remote, sim, impure):
    """(int16 samples, cut sample offsets): one example voice, with probability `impure` a piece of
    `other` (the other class: in the room when remote, else through `sim`) appended as a second piece."""
    x = example_samples(index, speaker, rng, remote, sim)
    if rng.random() >= impure:
        return x, ()
    share = rng.uniform(*IMPURE_SHARE)
    y = example_samples(index, other, rng, not remote, sim)[: int(len(x) * share / (1 - share))]
    return np.concatenate([x, y]), (len(x),)


def cue_features(samples, cuts=()):
    """The firmware's remote features of one voice over all its voiced frames, or None. The frames up
    to each cut (a sample offset) form a piece, as the detector's turn pieces do (and every
    voice_buf_frames voiced frames)."""
    from array import array

    from puckcore.detect_params import DetectParams as P
    from puckcore.frontend import FrontEnd
    from puckcore.pitch import Voicing
    from puckcore.remote import RemoteCue

    fe, vo = FrontEnd(P), Voicing()
    cue = RemoteCue(1, P.voice_buf_frames)
    n = P.frame_samples
    raw = samples.astype("<i2").tobytes()
    k = 0
    marks = sorted(c // n for c in cuts)
    for i in range(len(samples) // n):
        if marks and i == marks[0]:
            marks.pop(0)
            cue.take(1, 0, k)
            k = 0
        frame = array("h")
        frame.frombytes(raw[i * 2 * n:(i + 1) * 2 * n])
        fe.process(frame)
        vo.process(frame, n, fe.dc)
        if vo.voicing_q8 >= P.voice_min_voicing_q8 and vo.lag > 0:
            cue.add(k, fe.level_dbq, fe.low_dbq)
            k += 1
            if k == cue.cap:
                cue.take(1, 0, k)
                k = 0
    cue.take(1, 0, k)
    return cue.features(1)


def examples(index, split, count, seed, sims, log=None, impure=0.0):
    """(X [count x features], y, speakers): count examples of split's speakers, half remote (sim drawn
    from sims), some with a piece of another person (cluster_example)."""
    spk = sc.speakers_of(index, split)
    if len(spk) < 2:
        raise TalkpuckError("train-voices: need speakers in split %s, found %d" % (split, len(spk)))
    rng = np.random.default_rng([int(seed), 15, len(sims)])
    X, y, who = [], [], []
    for i in range(int(count)):
        s = str(spk[int(rng.integers(0, len(spk)))])
        remote = bool(i % 2)
        if impure > 0:
            o = str(spk[int(rng.integers(0, len(spk)))])
            f = cue_features(*cluster_example(index, s, o, rng, remote, sims[int(rng.integers(0, len(sims)))], impure))
        else:  # the shipped recipe's random stream, draw for draw
            f = cue_features(example_samples(index, s, rng, remote, sims[int(rng.integers(0, len(sims)))]))
        if f is None:
            continue
        X.append(f)
        y.append(remote)
        who.append(s)
        if log and (i + 1) % 50 == 0:
            log("  %s: %d/%d examples" % (split, i + 1, count))
    return np.array(X, dtype=float), np.array(y, dtype=bool), who


def cache_key(index, split, count, seed, sims, impure):
    return hashlib.sha1(json.dumps([RECIPE, split, count, seed, list(sims), float(impure),
                                    sorted(sc.speakers_of(index, split))]).encode()).hexdigest()[:12]


def cached_examples(index, split, count, seed, sims, cache=None, log=None, impure=0.0):
    if not cache:
        return examples(index, split, count, seed, sims, log, impure)[:2]
    key = cache_key(index, split, count, seed, sims, impure)
    path = "%s.%s.%s.npz" % (cache, split, key)
    if os.path.exists(path):
        d = np.load(path)
        return d["X"], d["y"]
    X, y, _ = examples(index, split, count, seed, sims, log, impure)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    np.savez(path, X=X, y=y)
    return X, y


def fit_logistic(X, y, l2=1e-2, iters=3000):
    """Logistic regression with balanced classes on standardised features; returns (w, b) in the raw units."""
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-9
    Z = (X - mu) / sd
    t = y.astype(float)
    cw = np.where(y, 0.5 / max(1, y.sum()), 0.5 / max(1, (~y).sum()))
    w, b = np.zeros(Z.shape[1]), 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(Z @ w + b)))
        g = p - t
        w -= 1.0 * (Z.T @ (cw * g) + l2 * w)
        b -= 1.0 * float(np.sum(cw * g))
    return w / sd, b - float(np.sum(w * mu / sd))


def to_integer(w, b):
    W = tuple(int(round(v * W_SCALE)) for v in w)
    B = int(round(b * W_SCALE))
    worst = abs(B) + sum(abs(v) * m for v, m in zip(W, FEATURE_MAX))
    if worst >= (1 << 30):
        raise TalkpuckError("remote model score could leave 2**30: %d" % worst)
    return W, B


def decide(X, W, B):
    return (B + X @ np.array(W, dtype=float)) >= 0


def write_model(path, W, B, held_out, n_train, sims=TRAIN_SIMS):
    text = '''"""voice_model — the learned remote-voice decision, as integer constants (generated file).

Written by `talkpuck train-voices` (host/talkpuck/detection/voicetrain.py) from %d examples of the
training speakers (half through a loudspeaker simulation: %s). Do not edit by hand. A voice
is remote when REMOTE_B + sum(REMOTE_W[i] * feature[i]) >= 0 over puckcore/remote.py's features,
once it has REMOTE_MIN_FRAMES voiced frames. HELD_OUT: accuracy per example on the validation
speakers, through each simulation; `other` is never seen in training.
"""
FEATURES = %r
REMOTE_W = %r
REMOTE_B = %d
REMOTE_MIN_FRAMES = %d
HELD_OUT = %r
''' % (n_train, ", ".join(sims), FEATURES[:len(W)], tuple(W), B, MIN_FRAMES, held_out)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def train(index, count=200, val_count=60, seed=1, cache=None, out=MODEL_PATH, log=print, sims=TRAIN_SIMS,
          features=DEFAULT_FEATURES, impure=0.0):
    """Fit on the training speakers (remote examples through `sims`; `features`: indices of FEATURES to
    use, the others get weight 0), score on the validation speakers (every simulation, `other`
    included), write out."""
    use = list(range(len(FEATURES))) if features is None else sorted(set(int(k) for k in features))
    if not use or use[0] < 0 or use[-1] >= len(FEATURES):
        raise TalkpuckError("train-voices: features are indices 0..%d, got %r" % (len(FEATURES) - 1, features))
    if int(count) < 4 or int(val_count) < 0:
        raise TalkpuckError("train-voices: need at least 4 training examples (and no negative count)")
    if "other" in sims or not sims or any(sim not in sc.SIMS + ("broad",) for sim in sims):
        raise TalkpuckError("train-voices: training simulations must be laptop and/or broad (other is held out), "
                            "got %r" % (sims,))
    X, y = cached_examples(index, "train", count, seed, tuple(sims), cache, log, impure)
    if y.all() or not y.any():
        raise TalkpuckError("train-voices: the examples hold only one class")
    w, b = fit_logistic(X[:, use], y)
    full = np.zeros(X.shape[1])
    full[use] = w
    W, B = to_integer(full, b)
    held: dict[str, float | None] = {"train_accuracy": round(float(np.mean(decide(X, W, B) == y)), 3)}
    if val_count:
        for sim in sc.SIMS + ("broad",):
            Xv, yv = cached_examples(index, "val", val_count, seed + 1, (sim,), cache, log, impure)
            held[sim] = round(float(np.mean(decide(Xv, W, B) == yv)), 3) if len(yv) else None
    if out:
        write_model(out, W, B, held, len(y), tuple(sims))
    if log:
        log("remote model W %s B %d; accuracy per example: %s" % (W, B, held))
    return W, B, held

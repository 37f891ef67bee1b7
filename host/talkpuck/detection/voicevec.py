"""voicevec — a float prototype of the puck's learned spectral voice vector (issue 15): the front
end, the pooled piece vector, the learned projection and online clustering that decides the number
of voices. Host side only (numpy); it says whether the vector is worth porting to the firmware.

- **Front end** (`frame_bands`): per 20 ms frame (320 samples at 16 kHz), a Hann-windowed 256-point
  FFT of its first 256 samples, power summed into NB mel-spaced bands (BAND_LO..BAND_HI Hz),
  log2. What the puck could afford on the frames its pitch tracker marks voiced.
- **Piece vector** (`piece_vectors`): the mean log band energies of a piece's voiced frames (every
  `step`-th), minus the mean over bands (loudness out: distance moves it more than the person),
  plus the mean pitch code (Q8 log2 lag / 256, scaled).
- **Projection** (`fit_lda`): linear discriminant analysis over chunks of voiced frames of the
  training speakers (speechconv.split_of == 'train'), to DIM dimensions; vectors are then
  length-normalised and compared by cosine.
- **Clustering** (`OnlineVoices`): at most MAX_VOICES centroids; a piece goes to the nearest voice by
  cosine; a long piece farther than `new_thr` from every voice is a candidate, which founds a voice
  when a second long piece lands near it (or at once when it is beyond `sure_thr`).
"""
import numpy as np

RATE = 16000
FRAME = 320
NFFT = 256
NB = 20
BAND_LO, BAND_HI = 100.0, 7000.0
DIM = 12
MAX_VOICES = 6
PITCH_SCALE = 4.0  # the pitch feature's weight against one log2 band unit


def _mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def band_matrix(nb=NB, lo=BAND_LO, hi=BAND_HI, nfft=NFFT):
    """[nb x nfft/2+1] triangular mel weights."""
    edges = 700.0 * (10 ** (np.linspace(_mel(lo), _mel(hi), nb + 2) / 2595.0) - 1.0)
    bins = np.arange(nfft // 2 + 1) * RATE / float(nfft)
    m = np.zeros((nb, len(bins)))
    for b in range(nb):
        a, c, e = edges[b], edges[b + 1], edges[b + 2]
        up = (bins - a) / (c - a)
        down = (e - bins) / (e - c)
        m[b] = np.clip(np.minimum(up, down), 0.0, None)
    return m


def frame_bands(x, nb=NB):
    """log2 band energies of every 20 ms frame of int16 samples x: [frames x nb]."""
    n = len(x) // FRAME
    fr = x[: n * FRAME].reshape(n, FRAME)[:, :NFFT].astype(float)
    fr = fr - fr.mean(axis=1, keepdims=True)
    spec = np.abs(np.fft.rfft(fr * np.hanning(NFFT), axis=1)) ** 2
    return np.log2(spec @ band_matrix(nb).T + 1.0)


def pool(bands, frames, codes=None, step=1, pitch=True):
    """One piece's vector from the band rows `frames` (every `step`-th) and its pitch codes."""
    f = np.asarray(frames)[::step]
    f = f[f < len(bands)]
    m = bands[f].mean(axis=0)
    m = m - m.mean()
    if pitch and codes is not None:
        return np.concatenate([m, [PITCH_SCALE * np.mean(codes) / 256.0]])
    return m


def fit_lda(X, y, dim=DIM, shrink=0.1):
    """Projection [d x dim] and mean: LDA with a shrunk within-class scatter."""
    X = np.asarray(X, float)
    mu = X.mean(axis=0)
    classes = sorted(set(y))
    y = np.asarray(y)
    Sw = np.zeros((X.shape[1], X.shape[1]))
    Sb = np.zeros_like(Sw)
    for c in classes:
        Xc = X[y == c]
        mc = Xc.mean(axis=0)
        Sw += (Xc - mc).T @ (Xc - mc)
        Sb += len(Xc) * np.outer(mc - mu, mc - mu)
    Sw /= len(X)
    Sb /= len(X)
    Sw = (1 - shrink) * Sw + shrink * np.trace(Sw) / len(Sw) * np.eye(len(Sw))
    # whiten by Sw, then the leading directions of the whitened Sb
    ev, U = np.linalg.eigh(Sw)
    Wh = U / np.sqrt(ev)
    ev2, V = np.linalg.eigh(Wh.T @ Sb @ Wh)
    order = np.argsort(ev2)[::-1][:dim]
    return Wh @ V[:, order], mu


def project(X, W, mu):
    Z = (np.atleast_2d(X) - mu) @ W
    return Z / (np.linalg.norm(Z, axis=1, keepdims=True) + 1e-9)


class OnlineVoices:
    """Online clustering of unit vectors into at most `max_voices` voices (see the module docstring)."""

    def __init__(self, new_thr=0.5, sure_thr=0.8, min_new=30, max_voices=MAX_VOICES, weight_cap=2000):
        self.new_thr = new_thr  # cosine distance (1 - cos) beyond which a piece may be a new voice
        self.sure_thr = sure_thr
        self.min_new = min_new
        self.max = max_voices
        self.cap = weight_cap
        self.centre = []
        self.weight = []
        self.cand = None

    def assign(self, z, count):
        if not self.centre:
            return self._new(z, count)
        d = np.array([1.0 - float(np.dot(z, c) / (np.linalg.norm(c) + 1e-9)) for c in self.centre])
        j = int(np.argmin(d))
        if d[j] > self.new_thr and count >= self.min_new and len(self.centre) < self.max:
            c = self.cand
            if (c is not None and 1.0 - float(np.dot(z, c)) < self.new_thr) or d[j] > self.sure_thr:
                return self._new(z, count)
            self.cand = z
            return j + 1
        w = min(self.cap, self.weight[j] + count)
        self.centre[j] = self.centre[j] + (z - self.centre[j]) * count / float(w)
        self.weight[j] = self.weight[j] + count
        return j + 1

    def _new(self, z, count):
        self.centre.append(np.array(z, float))
        self.weight.append(count)
        self.cand = None
        return len(self.centre)


# --- the firmware's front end, mirrored in float, and its integer model (voicevec_model.py) -------
MODEL_PATH = "firmware/puckcore/voicevec_model.py"
Q = 256.0  # the firmware's logs are Q8 log2


def fw_edges(nb=NB, lo=BAND_LO, hi=BAND_HI):
    """Band edges as FFT bin indices (rectangular mel-spaced bands, each at least one bin)."""
    e = 700.0 * (10 ** (np.linspace(_mel(lo), _mel(hi), nb + 1) / 2595.0) - 1.0)
    b = [int(round(f * NFFT / RATE)) for f in e]
    for i in range(1, len(b)):
        b[i] = max(b[i], b[i - 1] + 1)
    return b


def spectra(x, frames=None):
    """Power spectra [frames x 129] of the first 256 samples of each 20 ms frame (Hann window)."""
    n = len(x) // FRAME
    fr = x[: n * FRAME].reshape(n, FRAME)[:, :NFFT].astype(float)
    if frames is not None:
        fr = fr[np.asarray(frames, int)]
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(NFFT) / NFFT)  # periodic, as the firmware's
    return np.abs(np.fft.rfft(fr * win, axis=1)) ** 2


def fw_bands(pw, edges=None):
    """log2 of the summed magnitudes per rectangular band (the firmware's front end, in float)."""
    edges = edges or fw_edges()
    mag = np.sqrt(pw)
    return np.log2(np.stack([mag[:, a:b].sum(axis=1) for a, b in zip(edges[:-1], edges[1:])], axis=1) + 1.0)


def fw_pool(logs, codes, step=2):
    """A piece's feature: mean of the centred logs of every `step`-th frame, and 4 x mean code / 256."""
    c = logs[::step] - logs[::step].mean(axis=1, keepdims=True)
    return np.concatenate([c.mean(axis=0), [PITCH_SCALE * np.mean(codes) / Q]])


def to_integer(W, mu, frame_logs):
    """Fold a float projection (features as fw_pool's) into the firmware's integers.

    Returns dict(W int8 [DIM*NB], WP, OFF, SHIFT): the firmware computes per frame
    z = sum_b W[j,b] * 256 * centred_log_b >> SHIFT (int8), and per piece
    mean(z) << SHIFT + WP[j] * mean_q4 / 4 - OFF[j] = 256 * S * ((f - mu) @ W)[j]."""
    S = 127.0 / np.max(np.abs(W))
    Wi = np.clip(np.round(W * S), -127, 127).astype(int)  # [(NB+1) x DIM]
    c = frame_logs - frame_logs.mean(axis=1, keepdims=True)
    z = np.abs((Q * c) @ Wi[:-1])
    top = float(np.quantile(z, 0.999))
    shift = 0
    while top / (1 << shift) > 120:
        shift += 1
    off = np.round(Q * S * (mu @ W)).astype(int)
    return {"W": [int(v) for v in Wi[:-1].T.ravel()], "WP": [int(v) for v in Wi[-1]],
            "OFF": [int(v) for v in off], "SHIFT": shift}


def write_model(path, model, meta):
    nb = len(model["EDGES"]) - 1
    w = model["W"]
    rows = "\n".join("    " + ", ".join("%d" % v for v in w[j:j + nb]) + "," for j in range(0, len(w), nb))
    text = '''"""voicevec_model — the learned voice vector's projection (generated file).

Written by `talkpuck train-voices` (host/talkpuck/detection/voicevec.py): LDA (classes: %(classes)s) over pooled
log bands and pitch of %(examples)s examples of %(speakers)s training speakers (speechconv.split_of), folded to
integers for puckcore/voicevec.py (the clustering thresholds are in detect_params). Do not edit by
hand. HELD_OUT: equal error rate of %(chunk)s-frame
chunks of the validation speakers (cosine of the vectors, and mean pitch alone for comparison).
"""
NB = %(nb)d
DIM = %(dim)d
EDGES = %(EDGES)r
W = (  # DIM rows of NB int8 weights
%(Wrows)s
)
WP = %(WP)r
OFF = %(OFF)r
SHIFT = %(SHIFT)d
HELD_OUT = %(HELD_OUT)r
''' % dict(model, nb=nb, Wrows=rows, dim=len(model["WP"]), examples=meta["examples"], speakers=meta["speakers"],
           chunk=meta["chunk"], HELD_OUT=meta["held_out"], classes=meta.get("classes", "speaker"))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


CHUNK = 100  # voiced frames per training chunk (2 s, about a median piece)
STEP = 2  # the firmware stores every second voiced frame


def voiced_frames(x):
    """The firmware front end + pitch tracker (CPython): voiced frame indices and pitch codes."""
    from array import array

    from puckcore.detect_params import DetectParams as P
    from puckcore.frontend import FrontEnd
    from puckcore.levels import log2_q8
    from puckcore.pitch import Voicing

    fe, vo = FrontEnd(P), Voicing()
    n = len(x) // FRAME
    raw = x.astype("<i2").tobytes()
    vf, codes = [], []
    for i in range(n):
        fr = array("h")
        fr.frombytes(raw[i * 2 * FRAME:(i + 1) * 2 * FRAME])
        fe.process(fr)
        vo.process(fr, FRAME, fe.dc)
        if vo.voicing_q8 >= P.voice_min_voicing_q8 and vo.lag > 0:
            vf.append(i)
            codes.append(log2_q8(vo.lag))
    return np.array(vf, int), np.array(codes, int)


def collect(index, split, per_speaker, seed, log=None, speakers=None):
    """Examples of every speaker of `split` (voicetrain.example_samples: a room, a distance, noise,
    a quarter through the `laptop` loudspeaker): dict(pw, code, spk, ex, ch) over voiced frames; ch is 1 on
    frames of an example through the loudspeaker."""
    from talkpuck.detection import speechconv as sc
    from talkpuck.detection.voicetrain import example_samples

    rng = np.random.default_rng([int(seed), 99])
    P, C, S, E, H = [], [], [], [], []
    ex = 0
    for s in (speakers if speakers is not None else sc.speakers_of(index, split)):
        for _ in range(per_speaker):
            remote = bool(rng.random() < 0.25)
            x = example_samples(index, str(s), rng, remote, "laptop")
            vf, codes = voiced_frames(x)
            if not len(vf):
                continue
            P.append(spectra(x, vf).astype(np.float32))
            C.append(codes)
            S += [str(s)] * len(vf)
            E += [ex] * len(vf)
            H += [int(remote)] * len(vf)
            ex += 1
        if log:
            log("  %s: %s (%d examples)" % (split, s, ex))
    return {"pw": np.concatenate(P), "code": np.concatenate(C), "spk": np.array(S), "ex": np.array(E),
            "ch": np.array(H, int)}


def chunk_features(d, logs, L=CHUNK, step=STEP, channel=False):
    """Pooled features of L-frame chunks of every example, their classes (the speaker, or with `channel`
    the speaker and '|ls' when the example came through the loudspeaker) and mean pitch codes."""
    if channel and "ch" not in d:
        raise ValueError("channel classes need examples with their channel (collect()'s 'ch')")
    X, y, pc = [], [], []
    for e in np.unique(d["ex"]):
        idx = np.where(d["ex"] == e)[0]
        for a in range(0, len(idx) - L + 1, L):
            f = idx[a:a + L]
            X.append(fw_pool(logs[f], d["code"][f], step))
            y.append(str(d["spk"][f[0]]) + ("|ls" if channel and d["ch"][f[0]] else ""))
            pc.append(float(d["code"][f].mean()))
    return np.array(X), np.array(y), np.array(pc)


def eer(S, same):
    s1, s0 = S[same], S[~same]
    th = np.quantile(np.concatenate([s1, s0]), np.linspace(0, 1, 400))
    frr = np.array([(s1 < t).mean() for t in th])
    far = np.array([(s0 >= t).mean() for t in th])
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


def pair_eer(Z, y, cosine=True):
    S = Z @ Z.T if cosine else -np.abs(Z[:, None] - Z[None, :])
    iu = np.triu_indices(len(y), 1)
    return eer(S[iu], (y[:, None] == y[None, :])[iu])


def fit(train, val=None, dim=DIM, exclude=(), channel=False):
    """The integer model from training examples (collect()), scored on validation examples. With
    `channel` the LDA's classes are (speaker, channel): a speaker through the loudspeaker is another
    class than the same speaker in the room, so the vector keeps the channel difference (the held-out
    EER is still by speaker)."""
    edges = fw_edges()
    lt = fw_bands(train["pw"], edges)
    X, y, _ = chunk_features(train, lt, channel=channel)
    keep = np.array([s.split("|")[0] not in exclude for s in y])
    W, mu = fit_lda(X[keep], y[keep], dim)
    model = to_integer(W, mu, lt)
    model.update({"EDGES": edges})
    held = {}
    if val is not None and len(val["pw"]):
        Xv, yv, pv = chunk_features(val, fw_bands(val["pw"], edges))
        if len(set(yv)) > 1:
            held = {"vector_eer": round(pair_eer(project(Xv, W, mu), yv), 3),
                    "pitch_eer": round(pair_eer(pv, yv, False), 3)}
    meta = {"examples": int(len(np.unique(train["ex"]))), "speakers": int(len({s.split("|")[0] for s in y[keep]})),
            "chunk": CHUNK, "held_out": held, "classes": "speaker and channel" if channel else "speaker"}
    return model, meta, (W, mu)


def cached_collect(index, split, per_speaker, seed, limit=None, cache=None, log=None):
    """collect() for the first `limit` speakers of split (all when None), cached as CACHE.vec-<split>.<key>.npz."""
    import hashlib
    import json
    import os

    from talkpuck.detection import speechconv as sc

    spk = sorted(str(s) for s in sc.speakers_of(index, split))
    if limit is not None:
        spk = spk[:int(limit)]
    path = None
    if cache:
        key = hashlib.sha1(json.dumps(["vec", 2, split, per_speaker, seed, spk]).encode()).hexdigest()[:12]
        path = "%s.vec-%s.%s.npz" % (cache, split, key)
        if os.path.exists(path):
            return dict(np.load(path))
    d = collect(index, split, per_speaker, seed, log, speakers=spk)
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        np.savez(path, **d)
    return d


def train_model(index, limit=None, per_speaker=2, seed=6, cache=None, out=MODEL_PATH, log=print, channel=False):
    """`talkpuck train-voices`: the voice vector's projection from the training speakers (two examples
    each), its held-out EER on the validation speakers; writes the firmware's voicevec_model.py.
    `channel`: the LDA's classes are (speaker, channel) (fit(); measured, not shipped: docs/detection.md
    8.7); False (default, shipped): speakers."""
    from talkpuck.errors import TalkpuckError

    tr = cached_collect(index, "train", per_speaker, seed, limit, cache, log)
    if len(set(tr["spk"].tolist())) < 3:
        raise TalkpuckError("train-voices: the voice vector needs at least 3 training speakers")
    vlimit = None if limit is None else max(2, int(limit) // 4)
    va = cached_collect(index, "val", per_speaker, seed - 1, vlimit, cache, log)
    model, meta, _ = fit(tr, va, dim=min(DIM, len(set(tr["spk"].tolist())) - 1), channel=channel)
    if out:
        write_model(out, model, meta)
    if log:
        log("voice vector: %d dims from %s speakers; held out: %s" % (len(model["WP"]), meta["speakers"], meta["held_out"]))
    return model, meta

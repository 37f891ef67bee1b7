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

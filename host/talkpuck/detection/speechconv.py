"""speechconv — labelled conversations of minutes, spliced from the single-speaker speech folders
(issue 15): librispeech-251 (one utterance per reader), speechocean762-train (ten per speaker), or
any folder of <speaker>/<utterance>.(flac|wav|ogg) such as the small fixture in the repository.

Every person is a key (`ls<reader>`, `so<speaker>`, or the folder name); `split_of(key)` puts about a
fifth of them in the validation split by a hash of the key, so no training run sees a validation
voice whatever it loads. A conversation (all deterministic from (seed, index)):

- 2-5 voices, 2-5 minutes; talk shares from one dominant voice to balanced (Dirichlet weights with
  a random concentration); turns of one to several utterances (whole, or a run of their phrases)
  with short pauses inside a turn; between turns a pause, a quick hand-over (0-0.25 s) or an overlap
  (0.1-0.8 s, both labelled);
- a room: RT60 0.2-0.8 s; each voice at its own distance (0.4-3 m): level falls with distance and
  the direct-to-reverberant ratio with distance over the room's critical distance (its own impulse
  response: exponentially decaying noise, direct path first);
- noise at 10-30 dB below the active speech (coloured noise 1/f^a, some with mains hum, slowly
  wandering level);
- in about a third of the conversations 1-2 voices (never all) are remote: they come from a laptop
  loudspeaker beside the puck (band-limited, compressed, soft-clipped, then into the room). Two
  simulations: `laptop` (training: Butterworth band, RMS compressor, tanh) and `other` (kept for
  checking that a remote cue generalises: Chebyshev band, a driver resonance, block AGC with a hard
  limiter, and an Opus round trip at 12-16 kbit/s through libsndfile).

Reference labels are the placed utterances' speech runs by this module's own rule (`speech_runs`:
10 ms frames within 30 dB of the utterance's loud level and 10 dB over its floor, gaps under 0.25 s
closed, runs under 80 ms dropped, 20 ms pads): not the VAD that trains the detector. The
reverberant tail is not speech. Each conversation writes NAME.wav, NAME.rttm and NAME.json (voices
with `remote`, distance, levels, the room) plus manifest.json.
"""
import functools
import hashlib
import io
import json
import math
import os

import numpy as np

from talkpuck.detection.audio import RATE
from talkpuck.detection.conversations import check_range
from talkpuck.detection.rttm import format_rttm
from talkpuck.detection.train import to_int16
from talkpuck.errors import TalkpuckError

SPEECH_ENV = "TALKPUCK_SPEECH_DATA"
FOLDERS = ("librispeech-251", "speechocean762-train")
AUDIO_EXT = (".flac", ".wav", ".ogg", ".opus")
VAL_MOD = 5  # a key is in the validation split when sha1(key) % VAL_MOD == 0 (about 20 %)
FROZEN_VAL_SEED, FROZEN_VAL_COUNT = 1515, 24  # the frozen validation set (issue 15): never tune on it
SPEAKERS = (2, 5)
DURATION_S = (120.0, 300.0)
RT60_S = (0.2, 0.8)
DISTANCE_M = (0.4, 3.0)
SNR_DB = (10.0, 30.0)
REMOTE_P = 1.0 / 3.0
LEVEL_RANGE_DBFS = (-34.0, -22.0)  # active speech level of a voice at 1 m
EFFORT_DB = 3.0  # per-person loudness spread
ALPHA_RANGE = (0.3, 4.0)  # Dirichlet concentration: small = one dominant voice
MIN_WEIGHT = 0.03
# turn taking
PAUSE_P, HANDOVER_P = 0.35, 0.30  # else overlap
PAUSE_RANGE, HANDOVER_RANGE, OVERLAP_RANGE = (0.3, 1.5), (0.0, 0.25), (0.1, 0.8)
INNER_PAUSE_RANGE = (0.1, 0.7)  # between utterances of one turn
EDGE_RANGE = (0.3, 2.0)
# the labelling rule
FRAME = 160
RUN_DB_BELOW_LOUD, RUN_DB_OVER_FLOOR = 30.0, 10.0
GAP_FILL_S, MIN_RUN_S, PAD_S = 0.25, 0.08, 0.02
PHRASE_GAP_S = 0.3
PHRASES_P, PIECE_MAX_S = 0.7, 8.0  # a run of phrases rather than the whole utterance
UTTERANCES_BASE, UTTERANCES_PER_WEIGHT = 0.2, 2.5  # utterances per turn: 1 + Poisson(base + w * this)
SIMS = ("laptop", "other")
# `broad`: a randomised family of loudspeaker chains for training the remote cue only (never in the
# generated conversations). It excludes the held-out `other` chain's parts: no Chebyshev type I
# filter, no `iirpeak` resonance added to the signal, no 20 ms block AGC, no Opus.
BROAD_FILTERS = ("butter", "cheby2", "ellip", "bessel")
BROAD_CODECS = ("none", "mp3", "gsm", "ulaw8k", "g721", "adpcm")  # no Vorbis: libsndfile 1.2.2 crashes on
# long Vorbis writes into memory


# --- material --------------------------------------------------------------------------------
def find_speech_data(start=None):
    """The shared speech folder: $TALKPUCK_SPEECH_DATA, else shared/data/speech in an ancestor of
    `start` (default: the working directory) or of this package. TalkpuckError when absent."""
    env = os.environ.get(SPEECH_ENV)
    if env:
        if not os.path.isdir(env):
            raise TalkpuckError("%s=%s is not a folder" % (SPEECH_ENV, env))
        return env
    for base in (start or os.getcwd(), os.path.dirname(os.path.abspath(__file__))):
        d = os.path.abspath(base)
        while True:
            cand = os.path.join(d, "shared", "data", "speech")
            if os.path.isdir(os.path.join(cand, FOLDERS[0])):
                return cand
            up = os.path.dirname(d)
            if up == d:
                break
            d = up
    raise TalkpuckError("no speech data found: set %s to the folder holding %s" % (SPEECH_ENV, ", ".join(FOLDERS)))


def index_speakers(root):
    """{speaker key: [audio paths]} from a speech folder: the two shared folders under root if there,
    else root itself as <speaker>/<file>. Reads no audio."""
    out: dict = {}
    ls = os.path.join(root, "librispeech-251")
    so = os.path.join(root, "speechocean762-train")
    if os.path.isdir(ls) or os.path.isdir(so):
        if os.path.isdir(ls):
            for f in sorted(os.listdir(ls)):
                if f.endswith(AUDIO_EXT):
                    out.setdefault("ls" + f.split("-")[0], []).append(os.path.join(ls, f))
        if os.path.isdir(so):
            for d in sorted(os.listdir(so)):
                p = os.path.join(so, d)
                if os.path.isdir(p):
                    files = [os.path.join(p, f) for f in sorted(os.listdir(p)) if f.endswith(AUDIO_EXT)]
                    if files:
                        out["so" + d] = files
    elif os.path.isdir(root):
        for d in sorted(os.listdir(root)):
            p = os.path.join(root, d)
            if os.path.isdir(p):
                files = [os.path.join(p, f) for f in sorted(os.listdir(p)) if f.endswith(AUDIO_EXT)]
                if files:
                    out[d] = files
    else:
        raise TalkpuckError("speech data %s is not a folder" % root)
    if not out:
        raise TalkpuckError("no speakers found in %s (expected %s, or <speaker>/<file>)" % (root, " or ".join(FOLDERS)))
    return out


def split_of(key):
    """'val' or 'train', fixed by the key alone (sha1), so every tool agrees on who is held out."""
    h = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16)
    return "val" if h % VAL_MOD == 0 else "train"


def speakers_of(index, split):
    if split not in ("train", "val", "all"):
        raise TalkpuckError("split must be train, val or all, got %r" % (split,))
    return sorted(k for k in index if split == "all" or split_of(k) == split)


def speech_runs(x):
    """The labelling rule: [(start, end) samples] of speech in one utterance (float array)."""
    n = len(x) // FRAME
    if n == 0:
        return []
    f = x[: n * FRAME].reshape(n, FRAME)
    db = 10.0 * np.log10(np.mean(f ** 2, axis=1) + 1e-12)
    loud, floor = np.percentile(db, 95), np.percentile(db, 5)
    thr = max(loud - RUN_DB_BELOW_LOUD, min(floor + RUN_DB_OVER_FLOOR, loud - 10.0))
    on = db >= thr
    runs, i = [], 0
    while i < n:
        if on[i]:
            j = i
            while j < n and on[j]:
                j += 1
            runs.append([i, j])
            i = j
        else:
            i += 1
    merged: list = []
    for a, b in runs:
        if merged and (a - merged[-1][1]) * FRAME < GAP_FILL_S * RATE:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    pad = int(PAD_S * RATE)
    out = []
    for a, b in merged:
        if (b - a) * FRAME >= MIN_RUN_S * RATE:
            out.append((max(0, a * FRAME - pad), min(len(x), b * FRAME + pad)))
    return out


class Utterance:
    """One utterance, trimmed to its first..last speech run, unit rms over its runs."""

    def __init__(self, speaker, path, audio, runs):
        self.speaker, self.path, self.audio, self.runs = speaker, path, audio, runs

    @property
    def seconds(self):
        return len(self.audio) / float(RATE)


@functools.lru_cache(maxsize=512)
def load_utterance(path, speaker):
    import soundfile as sf

    try:
        x, rate = sf.read(path, dtype="float64", always_2d=True)
    except Exception as e:  # soundfile raises several types
        raise TalkpuckError("cannot read %s: %s" % (path, e)) from None
    x = x[:, 0] * 32768.0
    if rate != RATE:
        from talkpuck.detection.audio import resample

        x = resample(x, rate, RATE)
    runs = speech_runs(x)
    if not runs:
        return None
    a, b = runs[0][0], runs[-1][1]
    y = x[a:b]
    runs = [(s - a, e - a) for s, e in runs]
    act = np.concatenate([y[s:e] for s, e in runs])
    rms = math.sqrt(float(np.mean(act ** 2))) or 1.0
    return Utterance(speaker, path, y / rms, runs)


def load_speaker(index, key):
    utts = [u for u in (load_utterance(p, key) for p in index[key]) if u is not None]
    if not utts:
        raise TalkpuckError("speaker %s has no usable speech" % key)
    return utts


# --- acoustics -----------------------------------------------------------------------------
def room_ir(rng, rt60_s, drr_db):
    """Impulse response: direct path (1.0 at sample 0), a few early reflections and an exponential
    noise tail with the given RT60, scaled so direct / reverberant energy is drr_db."""
    n = int(min(1.2 * rt60_s, 1.0) * RATE)
    t = np.arange(n) / float(RATE)
    tail = rng.standard_normal(n) * np.exp(-6.91 * t / rt60_s)
    onset = int(rng.uniform(0.002, 0.008) * RATE)
    tail[:onset] = 0.0
    for _ in range(4):  # early reflections
        k = int(rng.uniform(0.003, 0.03) * RATE)
        tail[k] += rng.uniform(-1.5, 1.5) * np.exp(-6.91 * k / RATE / rt60_s)
    tail *= math.sqrt(10 ** (-drr_db / 10.0) / float(np.sum(tail ** 2)))
    tail[0] = 1.0
    return tail


def _envelope(x, tau_s):
    from scipy.signal import lfilter

    a = math.exp(-1.0 / (tau_s * RATE))
    return np.sqrt(lfilter([1 - a], [1, -a], x ** 2) + 1e-9)


def loudspeaker(x, rng, sim):
    """x (float, unit active rms) as heard from a laptop loudspeaker: returns (y, params). Every
    random parameter is drawn first, so x=None gives the same params without the work."""
    from scipy import signal

    if sim == "laptop":
        lo, hi = rng.uniform(250, 500), rng.uniform(3400, 7000)
        ratio, thr_db = rng.uniform(3, 8), rng.uniform(-14, -6)
        params = {"sim": sim, "band_hz": [round(lo), round(hi)], "ratio": round(ratio, 1), "thr_db": round(thr_db, 1)}
    elif sim == "other":
        lo, hi = rng.uniform(150, 320), rng.uniform(3000, 3900)
        f0, ratio, kbps = rng.uniform(800, 1500), rng.uniform(2, 4), int(rng.integers(12, 17))
        params = {"sim": sim, "band_hz": [round(lo), round(hi)], "resonance_hz": round(f0), "ratio": round(ratio, 1),
                  "opus_kbps": kbps}
    elif sim == "broad":
        params = _broad_params(rng)
    else:
        raise TalkpuckError("loudspeaker simulation must be one of %s, got %r" % (", ".join(SIMS + ("broad",)), sim))
    if x is None:
        return None, params
    if sim == "broad":
        return _broad_chain(x, params, rng)
    if sim == "laptop":
        sos = signal.butter(4, [lo, hi], btype="bandpass", fs=RATE, output="sos")
        y = signal.sosfilt(sos, x)
        env = _envelope(y, 0.01)
        thr = 10 ** (thr_db / 20.0)
        y = y * np.where(env > thr, (env / thr) ** (1.0 / ratio - 1.0), 1.0)
        y = np.tanh(1.5 * y / (np.max(np.abs(y)) + 1e-9))
    else:
        sos = np.vstack([signal.cheby1(3, 1.0, lo, btype="highpass", fs=RATE, output="sos"),
                         signal.cheby1(5, 0.5, hi, btype="lowpass", fs=RATE, output="sos")])
        y = signal.sosfilt(sos, x)
        b, a = signal.iirpeak(f0, 2.0, fs=RATE)  # small driver resonance
        y = y + signal.lfilter(b, a, y)
        # block AGC (20 ms blocks, gain smoothed) and a hard limiter
        blk = 320
        nb = len(y) // blk
        rms = np.sqrt(np.mean(y[: nb * blk].reshape(nb, blk) ** 2, axis=1) + 1e-9) if nb else np.ones(1)
        gains = np.clip((rms / np.percentile(rms, 80)) ** (1.0 / ratio - 1.0), 0.2, 4.0)
        g = np.repeat(gains, blk)
        g = np.concatenate([g, np.full(len(y) - len(g), g[-1] if len(g) else 1.0)])
        y = y * signal.lfilter([0.05], [1, -0.95], g)
        peak = np.percentile(np.abs(y), 99.5)
        y = np.clip(y, -peak, peak)
        y = opus_round_trip(y / (np.max(np.abs(y)) + 1e-9) * 0.5, kbps)
    act = np.abs(y) > 1e-4
    rms = math.sqrt(float(np.mean(y[act] ** 2))) if act.any() else 1.0
    return y / rms, params


def _broad_params(rng):
    """The random draws of one `broad` loudspeaker chain (see BROAD_FILTERS)."""
    p = {"sim": "broad",
         "far_rt60": round(float(rng.uniform(0.1, 0.5)), 2) if rng.random() < 0.6 else None,
         "far_snr_db": round(float(rng.uniform(15, 45)), 1) if rng.random() < 0.6 else None,
         "hp": [str(rng.choice(BROAD_FILTERS)), int(rng.integers(1, 7)), round(float(np.exp(rng.uniform(np.log(150), np.log(700)))))],
         "lp": [str(rng.choice(BROAD_FILTERS)), int(rng.integers(2, 9)), round(float(rng.uniform(2500, 7600)))],
         "peaks": [[round(float(np.exp(rng.uniform(np.log(300), np.log(4000))))), round(float(rng.uniform(-6, 12)), 1),
                    round(float(rng.uniform(0.7, 5)), 2)] for _ in range(int(rng.integers(0, 3)))],
         # a call's audio is always levelled somewhere (the sender's AGC, the player's compressor, the
         # speaker's protection limiter): at least one stage, at time constants that act within a word
         "dyn": str(rng.choice(["comp", "agc", "comp+agc", "comp+limiter", "agc+limiter"])),
         "ratio": round(float(rng.uniform(2, 10)), 1), "thr_db": round(float(rng.uniform(-20, -3)), 1),
         "attack_s": round(float(rng.uniform(0.001, 0.02)), 3), "release_s": round(float(rng.uniform(0.02, 0.3)), 3),
         "agc_s": round(float(rng.uniform(0.03, 0.4)), 3),
         "clip": str(rng.choice(["none", "tanh", "hard"])), "drive": round(float(rng.uniform(1, 4)), 2),
         "codec": str(rng.choice(BROAD_CODECS)), "codec_q": round(float(rng.uniform(0, 1)), 2)}
    return p


def _design(kind, order, hz, btype):
    from scipy import signal

    if kind == "butter":
        return signal.butter(order, hz, btype=btype, fs=RATE, output="sos")
    if kind == "cheby2":
        return signal.cheby2(order, 30.0, hz, btype=btype, fs=RATE, output="sos")
    if kind == "ellip":
        return signal.ellip(order, 1.0, 40.0, hz, btype=btype, fs=RATE, output="sos")
    return signal.bessel(order, hz, btype=btype, fs=RATE, output="sos", norm="mag")


def _peaking(f0, gain_db, q):
    """RBJ peaking equaliser biquad (b, a)."""
    A = 10 ** (gain_db / 40.0)
    w = 2 * math.pi * f0 / RATE
    al = math.sin(w) / (2 * q)
    b = np.array([1 + al * A, -2 * math.cos(w), 1 - al * A])
    a = np.array([1 + al / A, -2 * math.cos(w), 1 - al / A])
    return b / a[0], a / a[0]


def _smooth_gain(env_db, attack_s, release_s, rate):
    """One-pole follower of a level in dB (rate values a second) with separate attack (rising) and
    release (falling) times."""
    ka, kr = math.exp(-1.0 / (attack_s * rate)), math.exp(-1.0 / (release_s * rate))
    out = np.empty_like(env_db)
    g = float(env_db[0]) if len(env_db) else 0.0
    for i, v in enumerate(env_db):  # callers decimate first (a value every 2 ms)
        k = ka if v > g else kr
        g = k * g + (1 - k) * v
        out[i] = g
    return out


def _broad_chain(x, p, rng):
    from scipy import signal
    from scipy.signal import oaconvolve

    y = np.asarray(x, dtype=float)
    if p["far_rt60"]:  # the far end's own room
        y = oaconvolve(y, room_ir(rng, p["far_rt60"], float(rng.uniform(0, 12))))[: len(y)]
    if p["far_snr_db"]:
        y = y + coloured_noise(rng, len(y))[0] * math.sqrt(float(np.mean(y ** 2)) + 1e-12) * 10 ** (-p["far_snr_db"] / 20)
    y = y / (np.max(np.abs(y)) + 1e-9) * 0.5
    codec = p["codec"]
    if codec != "none":
        y = codec_round_trip(y, codec, p["codec_q"])
    hp, lp = p["hp"], p["lp"]
    y = signal.sosfilt(_design(hp[0], hp[1], hp[2], "highpass"), y)
    y = signal.sosfilt(_design(lp[0], lp[1], lp[2], "lowpass"), y)
    for f0, gdb, q in p["peaks"]:
        b, a = _peaking(f0, gdb, q)
        y = signal.lfilter(b, a, y)
    y = y / (math.sqrt(float(np.mean(y ** 2))) + 1e-12)
    dyn = p["dyn"]
    if dyn != "none":
        hop = 32  # gain computed every 2 ms, then held
        nb = len(y) // hop
        e = np.sqrt(np.mean(y[: nb * hop].reshape(nb, hop) ** 2, axis=1) + 1e-9) if nb else np.ones(1)
        edb = 20 * np.log10(e)
        gdb = np.zeros_like(edb)
        if "comp" in dyn:
            lvl = _smooth_gain(edb, p["attack_s"], p["release_s"], RATE / hop)
            over = np.maximum(lvl - p["thr_db"], 0)
            gdb += -over * (1 - 1 / p["ratio"])
        if "agc" in dyn:
            slow = _smooth_gain(edb, p["agc_s"], 2 * p["agc_s"], RATE / hop)
            gdb += np.clip((-3.0 - slow) * (1 - 1 / p["ratio"]), -20, 20)
        g = np.repeat(10 ** (gdb / 20), hop)
        g = np.concatenate([g, np.full(len(y) - len(g), g[-1] if len(g) else 1.0)])
        y = y * g
        if "limiter" in dyn:
            lim = np.percentile(np.abs(y), 98)
            gl = np.minimum(1.0, lim / (np.abs(y) + 1e-9))
            gl = signal.lfilter([0.02], [1, -0.98], gl)  # smooth the gain so it is a limiter, not a clipper
            y = y * gl
    clip = p["clip"]
    if clip == "tanh":
        y = np.tanh(p["drive"] * y / (np.max(np.abs(y)) + 1e-9))
    elif clip == "hard":
        c = np.percentile(np.abs(y), 100 - 2.5 * p["drive"])
        y = np.clip(y, -c, c)
    act = np.abs(y) > 1e-4 * np.max(np.abs(y))
    rms = math.sqrt(float(np.mean(y[act] ** 2))) if act.any() else 1.0
    return y / rms, p


def codec_round_trip(x, codec, q):
    """x (float, |x| <= 1) through a codec other than Opus (libsndfile: MP3, GSM 6.10, mu-law, G.721,
    IMA ADPCM), q 0..1 towards the lower bit rate (MP3); the telephone codecs run at 8 kHz
    (resampled there and back)."""
    import soundfile as sf
    from scipy.signal import resample_poly

    n = len(x)
    rate = RATE
    if codec in ("gsm", "ulaw8k", "g721"):
        x = resample_poly(x, 1, 2)
        rate = RATE // 2
    fmt, sub, kw = {"mp3": ("MP3", "MPEG_LAYER_III", {"compression_level": 0.5 + 0.49 * q}),  # 17-25 kbit/s
                    "gsm": ("WAV", "GSM610", {}), "ulaw8k": ("WAV", "ULAW", {}),
                    "g721": ("WAV", "G721_32", {}), "adpcm": ("WAV", "IMA_ADPCM", {})}[codec]
    buf = io.BytesIO()
    try:
        sf.write(buf, np.clip(x, -1, 1), rate, format=fmt, subtype=sub, **kw)
    except TypeError:  # an older soundfile without compression_level
        sf.write(buf, np.clip(x, -1, 1), rate, format=fmt, subtype=sub)
    buf.seek(0)
    y, _ = sf.read(buf, dtype="float64")
    if y.ndim > 1:
        y = y[:, 0]
    if rate != RATE:
        y = resample_poly(y, 2, 1)
    y = y[:n]
    if len(y) < n:
        y = np.concatenate([y, np.zeros(n - len(y))])
    return y


def opus_round_trip(x, kbps):
    """Encode x (float, |x| <= 1) as Ogg Opus and decode it again (libsndfile, no ffmpeg needed)."""
    import soundfile as sf

    buf = io.BytesIO()
    # libsndfile maps compression_level 0..1 to the Opus bitrate (high..low)
    level = float(np.clip(1.0 - (kbps - 6.5) / 245.0, 0.0, 1.0))  # measured: 0.97 -> 13 kbit/s, 0.95 -> 18
    sf.write(buf, x, RATE, format="OGG", subtype="OPUS", compression_level=level)
    buf.seek(0)
    y, _ = sf.read(buf, dtype="float64")
    y = y[: len(x)]
    if len(y) < len(x):
        y = np.concatenate([y, np.zeros(len(x) - len(y))])
    return y


def coloured_noise(rng, n):
    """Unit-rms background: 1/f^a noise (a 0.5-2), some with 50/60 Hz hum, level wandering +-3 dB."""
    a = rng.uniform(0.5, 2.0)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    spec *= 1.0 / np.maximum(f, 20.0) ** (a / 2.0)
    spec[f < 40] *= 0.1
    y = np.fft.irfft(spec, n)
    y /= math.sqrt(float(np.mean(y ** 2))) + 1e-12
    t = np.arange(n) / float(RATE)
    if rng.random() < 0.4:
        y += rng.uniform(0.1, 0.5) * math.sqrt(2) * np.sin(2 * np.pi * rng.choice([50.0, 60.0]) * t)
    y *= 10 ** (3.0 * np.sin(2 * np.pi * t / rng.uniform(7, 30) + rng.uniform(0, 6.3)) / 20.0)
    return y / (math.sqrt(float(np.mean(y ** 2))) + 1e-12), round(a, 2)


# --- one conversation --------------------------------------------------------------------
class Conversation:
    def __init__(self, name, samples, segments, info):
        self.name, self.samples, self.segments, self.info = name, samples, segments, info

    @property
    def remote(self):
        return {s["name"]: s["remote"] for s in self.info["speakers"]}


def _pick_piece(rng, utt):
    """A whole utterance, or (PHRASES_P of the time, when it has several phrases) a run of its phrases:
    (audio, runs relative to the piece)."""
    phrases: list = []
    for a, b in utt.runs:
        if phrases and a - phrases[-1][1] < PHRASE_GAP_S * RATE:
            phrases[-1][1] = b
        else:
            phrases.append([a, b])
    if len(phrases) > 1 and rng.random() < PHRASES_P:
        i = int(rng.integers(0, len(phrases)))
        j = i + 1  # grow the run of phrases while it stays under PIECE_MAX_S
        while j < len(phrases) and phrases[j][1] - phrases[i][0] <= PIECE_MAX_S * RATE and rng.random() < 0.6:
            j += 1
        a, b = phrases[i][0], phrases[j - 1][1]
    else:
        a, b = 0, len(utt.audio)
    runs = [(max(s, a) - a, min(e, b) - a) for s, e in utt.runs if e > a and s < b]
    return utt.audio[a:b], runs


def make_conversation(index, seed, number=0, split="train", n_speakers=SPEAKERS, duration=DURATION_S,
                      remote_p=REMOTE_P, sim="laptop", snr_db=SNR_DB, rt60_s=RT60_S, name=None, force_remote=None,
                      render=True):
    """Conversation `number` of `seed` from the speakers of `split` in index ({key: [paths]}).

    sim: 'laptop', 'other', 'mixed' (each remote conversation draws one of the two) or 'broad'
    (the randomised training family); force_remote: True/False
    overrides the one-in-three draw (tests); render=False: labels and info only, samples None (the
    same labels and info as a rendered one, without the audio work)."""
    lo, hi = check_range(n_speakers, "speakers", 2, 5, int)
    dlo, dhi = check_range(duration, "duration", 5.0, 900.0)
    slo, shi = check_range(snr_db, "SNR", -10.0, 90.0)
    rlo, rhi = check_range(rt60_s, "RT60", 0.05, 2.0)
    if not 0.0 <= float(remote_p) <= 1.0:
        raise TalkpuckError("remote share must be within 0..1, got %r" % (remote_p,))
    if sim not in SIMS + ("mixed", "broad"):
        raise TalkpuckError("loudspeaker simulation must be one of %s, mixed or broad, got %r" % (", ".join(SIMS), sim))
    pool_ = speakers_of(index, split)
    if len(pool_) < lo:
        raise TalkpuckError("need at least %d speakers in split %s, the material has %d" % (lo, split, len(pool_)))
    rng = np.random.default_rng([int(seed), int(number), 15])
    total = int(round(rng.uniform(dlo, dhi) * RATE))
    k = int(rng.integers(lo, min(hi, len(pool_)) + 1))
    names = sorted(str(s) for s in rng.choice(pool_, size=k, replace=False))
    material = {s: load_speaker(index, s) for s in names}
    alpha = math.exp(rng.uniform(math.log(ALPHA_RANGE[0]), math.log(ALPHA_RANGE[1])))
    w = np.maximum(rng.dirichlet(np.full(k, alpha)), MIN_WEIGHT)
    w /= w.sum()
    weight = dict(zip(names, w))
    is_remote = rng.random() < remote_p if force_remote is None else bool(force_remote)
    remote = set()
    conv_sim = None
    if is_remote:
        m = 1 if (k == 2 or rng.random() < 0.6) else 2
        remote = {str(s) for s in rng.choice(names, size=m, replace=False)}
        conv_sim = str(rng.choice(SIMS)) if sim == "mixed" else sim
    # --- plan the turns
    lead = int(rng.uniform(*EDGE_RANGE) * RATE)
    trail = int(rng.uniform(*EDGE_RANGE) * RATE)
    order = [str(s) for s in rng.permutation(names)]
    t, prev, ends = lead, None, {s: 0 for s in names}
    placed = []  # (speaker, start sample, audio, runs)
    turns = 0
    while True:
        if order:
            spk = order.pop(0)
        else:
            cand = [s for s in names if s != prev]
            p = np.array([weight[s] for s in cand])
            spk = str(rng.choice(cand, p=p / p.sum()))
        t = max(t, ends[spk])
        n_utt = 1 + int(rng.poisson(UTTERANCES_BASE + UTTERANCES_PER_WEIGHT * weight[spk]))
        pos, got = t, []
        for _ in range(n_utt):
            utts = material[spk]
            audio, runs = _pick_piece(rng, utts[int(rng.integers(0, len(utts)))])
            if pos + len(audio) > total - trail:
                break
            got.append((spk, pos, audio, runs))
            pos += len(audio) + int(rng.uniform(*INNER_PAUSE_RANGE) * RATE)
        if not got:
            break
        placed.extend(got)
        turns += 1
        end = got[-1][1] + len(got[-1][2])
        ends[spk] = end
        prev = spk
        u = rng.random()
        if u < PAUSE_P:
            t = end + int(rng.uniform(*PAUSE_RANGE) * RATE)
        elif u < PAUSE_P + HANDOVER_P:
            t = end + int(rng.uniform(*HANDOVER_RANGE) * RATE)
        else:
            last = got[-1][2]
            t = end - int(min(rng.uniform(*OVERLAP_RANGE), 0.5 * len(last) / RATE) * RATE)
    # a voice that never got the floor (a short conversation) is not in it
    names = [s for s in names if any(p[0] == s for p in placed)]
    remote &= set(names)
    if len(names) < 2:
        raise TalkpuckError("duration too short for two voices: conversation %d of seed %d has %d" % (number, seed, len(names)))
    k = len(names)
    # --- the room
    from scipy.signal import oaconvolve

    rt60 = float(rng.uniform(rlo, rhi))
    volume = float(rng.uniform(30, 150))
    crit = 0.057 * math.sqrt(volume / rt60)  # critical distance, m
    speaker_dist = float(rng.uniform(0.3, 1.0))  # the laptop beside the puck
    base_db = float(rng.uniform(*LEVEL_RANGE_DBFS))
    laptop_db = float(rng.uniform(-6, 4))
    tracks = {s: np.zeros(total if render else 0) for s in names}
    segments: list = []
    for spk, pos, audio, runs in placed:
        if render:
            tracks[spk][pos:pos + len(audio)] += audio
        segments.extend(((pos + a) / float(RATE), (pos + b) / float(RATE), spk) for a, b in runs)
    mix = np.zeros(total)
    voices = []
    for s in names:
        dist = speaker_dist if s in remote else float(rng.uniform(*DISTANCE_M))
        drr = float(np.clip(20 * math.log10(crit / dist), -12.0, 20.0))
        level = base_db - 20 * math.log10(dist) + (laptop_db if s in remote else float(rng.uniform(-EFFORT_DB, EFFORT_DB)))
        x = tracks[s] if render else None
        params = None
        if s in remote:
            x, params = loudspeaker(x, rng, conv_sim)
        ir = room_ir(rng, rt60, drr)
        if render:
            mix += oaconvolve(x, ir)[:total] * 32768.0 * 10 ** (level / 20.0)
        v = {"name": s, "remote": s in remote, "split": split_of(s), "distance_m": round(dist, 2),
             "drr_db": round(drr, 1), "level_dbfs": round(level, 1), "weight": round(weight[s], 3)}
        if params:
            v["loudspeaker"] = params
        voices.append(v)
    snr = float(rng.uniform(slo, shi))
    if render:
        speech = np.zeros(total, dtype=bool)
        for a, b, _ in segments:
            speech[int(a * RATE):int(b * RATE)] = True
        speech_rms = math.sqrt(float(np.mean(mix[speech] ** 2))) if speech.any() else 1.0
        noise, slope = coloured_noise(rng, total)
        mix += noise * speech_rms * 10 ** (-snr / 20.0)
        peak = float(np.max(np.abs(mix))) if total else 0.0
        if peak > 0.9 * 32767:
            mix *= 0.9 * 32767 / peak
    else:
        slope = round(float(rng.uniform(0.5, 2.0)), 2)  # coloured_noise's first draw
    segments = merge_segments(segments)
    talk = {s: sum(e - b for b, e, k in segments if k == s) for s in names}
    tot = sum(talk.values()) or 1.0
    for v in voices:
        v["talk_s"] = round(talk[v["name"]], 2)
        v["share"] = round(talk[v["name"]] / tot, 4)
    name = name or "sconv%03d" % number
    info = {"name": name, "seed": int(seed), "index": int(number), "split": split,
            "duration_s": total / float(RATE), "speakers": voices, "turns": turns, "utterances": len(placed),
            "rt60_s": round(rt60, 2), "critical_distance_m": round(crit, 2), "snr_db": round(snr, 1),
            "noise_slope": slope, "alpha": round(alpha, 2), "remote_sim": conv_sim,
            "equal_share_errors": [round(100.0 * abs(v["share"] - 1.0 / k), 3) for v in voices]}
    return Conversation(name, to_int16(mix) if render else None, segments, info)


def merge_segments(segments):
    """Same-speaker segments that touch or overlap merged; sorted."""
    out = []
    for s in sorted({k for _, _, k in segments}):
        cur = None
        for a, b, _ in sorted(x for x in segments if x[2] == s):
            if cur and a <= cur[1] + 1e-9:
                cur[1] = max(cur[1], b)
            else:
                if cur:
                    out.append((cur[0], cur[1], s))
                cur = [a, b]
        if cur:
            out.append((cur[0], cur[1], s))
    return sorted(out)


def write_conversation(folder, conv):
    import soundfile as sf

    os.makedirs(folder, exist_ok=True)
    sf.write(os.path.join(folder, conv.name + ".wav"), conv.samples, RATE, subtype="PCM_16")
    with open(os.path.join(folder, conv.name + ".rttm"), "w", encoding="utf-8") as f:
        f.write(format_rttm(conv.name, conv.segments))
    with open(os.path.join(folder, conv.name + ".json"), "w", encoding="utf-8") as f:
        json.dump(conv.info, f, indent=1)


def make_conversations(out, count, seed, index, log=None, per_index=None, **kw):
    """Write `count` conversations (sconv000 ...) of `seed` and manifest.json into out. per_index(i)
    -> extra keyword arguments for conversation i (the frozen set's remote pattern)."""
    if int(count) < 1:
        raise TalkpuckError("count must be at least 1, got %s" % count)
    if os.path.exists(out) and not os.path.isdir(out):
        raise TalkpuckError("output %s exists and is not a folder" % out)
    infos = []
    for i in range(int(count)):
        conv = make_conversation(index, seed, i, **dict(kw, **(per_index(i) if per_index else {})))
        write_conversation(out, conv)
        infos.append(conv.info)
        if log:
            log(describe(conv.info))
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"seed": int(seed), "count": int(count), "conversations": infos}, f, indent=1)
    return infos


def frozen_val_options(i):
    """The frozen set's conversation i: exactly every third one has loudspeaker voices, alternately
    from the training simulation (`laptop`) and the held-out one (`other`, with Opus)."""
    if i % 3 != 1:
        return {"force_remote": False, "sim": "laptop"}
    return {"force_remote": True, "sim": "laptop" if i % 6 == 1 else "other"}


def make_frozen_val(out, index, log=None, count=FROZEN_VAL_COUNT):
    """The frozen validation set: FROZEN_VAL_SEED, validation speakers only, a third of the
    conversations with loudspeaker voices from both simulations. Report every figure on it; never
    tune on it."""
    return make_conversations(out, count, FROZEN_VAL_SEED, index, log=log, split="val", per_index=frozen_val_options)


def describe(info):
    spk = "  ".join("%s %2.0f%%%s" % (v["name"], 100 * v["share"], " remote" if v["remote"] else "")
                    for v in info["speakers"])
    return "%s %5.1f s %d voices RT60 %.2f SNR %4.1f %3d turns  %s" % (
        info["name"], info["duration_s"], len(info["speakers"]), info["rt60_s"], info["snr_db"], info["turns"], spk)


def read_remote(folder, name):
    """{speaker: remote} from NAME.json beside NAME.rttm (None when there is none)."""
    p = os.path.join(folder, name + ".json")
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as f:
        info = json.load(f)
    return {v["name"]: bool(v["remote"]) for v in info.get("speakers", [])}


# --- the small set in the repository (regression test, fresh clones) ------------------------
FIXTURE = os.path.join("data", "speech", "voices-val")
FIXTURE_SEED, FIXTURE_COUNT, FIXTURE_DURATION_S, FIXTURE_SPEAKERS = 77, 3, (45.0, 60.0), (2, 4)


def fixture_options(i):
    """Conversation 0 all in the room, 1 with a `laptop` loudspeaker voice, 2 with an `other` one."""
    return [{"force_remote": False}, {"force_remote": True, "sim": "laptop"},
            {"force_remote": True, "sim": "other"}][i % 3]


def fixture_conversations(folder=FIXTURE):
    """The regression set: FIXTURE_COUNT short conversations generated from the committed fixture
    of validation voices (Opus clips of seven speakers no training uses)."""
    index = index_speakers(folder)
    return [make_conversation(index, FIXTURE_SEED, i, split="val", duration=FIXTURE_DURATION_S,
                              n_speakers=FIXTURE_SPEAKERS, **fixture_options(i)) for i in range(FIXTURE_COUNT)]

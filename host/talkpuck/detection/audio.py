"""audio — read any WAV (soundfile) as 16 kHz mono int16, resampling and mixing down as needed."""
import numpy as np

from talkpuck.errors import TalkpuckError

RATE = 16000


def read_wav(path):
    """Return (int16 numpy array at 16 kHz mono, original rate). Raises TalkpuckError on bad input."""
    import soundfile as sf

    try:
        data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    except Exception as e:  # soundfile raises RuntimeError/LibsndfileError/OSError
        raise TalkpuckError("cannot read audio file %s: %s" % (path, e)) from None
    if data.shape[0] == 0:
        raise TalkpuckError("audio file %s has no samples" % path)
    x = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if rate != RATE:
        x = resample(x, rate, RATE)
    x = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
    return x, rate


def resample(x, src, dst):
    """Band-limited resampling by a rational factor (polyphase if scipy is there, else FFT)."""
    from math import gcd

    g = gcd(int(src), int(dst))
    up, down = dst // g, src // g
    try:
        from scipy.signal import resample_poly

        return resample_poly(x, up, down)
    except ImportError:
        n = int(round(len(x) * dst / src))
        spec = np.fft.rfft(x)
        keep = min(len(spec), n // 2 + 1)
        out = np.zeros(n // 2 + 1, dtype=complex)
        out[:keep] = spec[:keep]
        return np.fft.irfft(out, n) * (n / len(x))

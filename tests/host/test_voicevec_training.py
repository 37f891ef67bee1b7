"""The voice vector's host side (issue 15): the float mirror the projection is trained on agrees with
the firmware's integer front end, the LDA separates constructed speakers, the model writer's output
is what the firmware reads."""
import importlib.util
import os

import numpy as np

from talkpuck.detection import speechconv as sc
from talkpuck.detection import voicevec as vv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _voice(key):
    index = sc.index_speakers(os.path.join(ROOT, sc.FIXTURE))
    return np.concatenate([u.audio for u in sc.load_speaker(index, key)])


def _int16(x):
    return np.clip(np.round(x * 12000.0 / (np.max(np.abs(x)) + 1e-9)), -32767, 32767).astype(np.int16)


def test_firmware_integer_vector_matches_the_float_mirror_on_a_real_voice():
    from array import array

    from puckcore import voicevec_model as M
    from puckcore.voicevec import DIM, VoiceVector

    for key in ("ls730", "so0960"):
        x = _int16(_voice(key))
        vf, codes = vv.voiced_frames(x)
        assert len(vf) > 100
        fw = VoiceVector((len(vf) + 1) // 2, fast=False)
        raw = x.astype("<i2").tobytes()
        for k, i in enumerate(vf[::2]):
            fr = array("h")
            fr.frombytes(raw[i * 640:(i + 1) * 640])
            fw.frame(fr, k)
        u = array("i", [0] * DIM)
        mean_q4 = int(round(np.mean(codes) * 16))
        assert fw.piece(0, (len(vf) + 1) // 2, mean_q4, u)
        # the same in float: the mirror's logs, the integer weights, the model's offset
        logs = vv.fw_bands(vv.spectra(x, vf))[::2] * vv.Q
        c = (logs - logs.mean(axis=1, keepdims=True)).mean(axis=0)
        W = np.array(M.W, dtype=float).reshape(DIM, M.NB)
        z = W @ c + np.array(M.WP) * (mean_q4 / 4.0) - np.array(M.OFF)
        z /= np.linalg.norm(z)
        cos = float(np.dot(z, np.array(u, dtype=float) / 1024.0))
        assert cos > 0.97, (key, cos)


def test_lda_separates_constructed_speakers_and_folds_into_int8(tmp_path):
    rng = np.random.default_rng(1)
    n_spk, per, nb = 12, 30, vv.NB
    centres = rng.normal(0, 1.0, (n_spk, nb))
    X = np.concatenate([c + rng.normal(0, 0.3, (per, nb)) for c in centres])
    X = np.concatenate([X, rng.normal(5, 0.2, (len(X), 1))], axis=1)
    y = np.repeat(np.arange(n_spk), per)
    W, mu = vv.fit_lda(X, y, 8)
    Z = vv.project(X, W, mu)
    assert vv.pair_eer(Z, y) < 0.05
    frame_logs = rng.normal(10, 1.0, (500, nb))
    model = vv.to_integer(W, mu, frame_logs)
    assert max(abs(w) for w in model["W"]) == 127 and len(model["W"]) == 8 * nb and len(model["WP"]) == 8
    model["EDGES"] = vv.fw_edges()
    path = tmp_path / "m.py"
    vv.write_model(str(path), model, {"examples": 3, "speakers": 12, "chunk": 100, "held_out": {}})
    spec = importlib.util.spec_from_file_location("m_written", str(path))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    assert list(m.W) == model["W"] and m.WP == model["WP"] and m.OFF == model["OFF"] and m.NB == nb and m.DIM == 8


def test_band_edges_are_increasing_bins_within_the_fft():
    e = vv.fw_edges()
    assert len(e) == vv.NB + 1 and all(b > a for a, b in zip(e, e[1:])) and e[0] >= 1 and e[-1] <= vv.NFFT // 2


def test_online_voices_found_and_confirm():
    cl = vv.OnlineVoices(0.3, 0.45, 60)
    a = np.array([1.0, 0, 0])
    b = np.array([0, 1.0, 0])
    mid = np.array([0.63, 0, 0.77])  # 0.37 from a: a candidate, confirmed by a second one
    assert cl.assign(a, 100) == 1 and cl.assign(b, 100) == 2
    assert cl.assign(mid, 100) == 1 and cl.assign(mid, 100) == 3


def _channel_examples(rng, n_spk=10, frames=200, nb=vv.NB):
    """Constructed per-frame logs: each speaker a centre, each example of a speaker once in the room and
    once through a 'loudspeaker' that adds one fixed spectral tilt; returns (d, logs) as collect() gives."""
    centres = rng.normal(0, 1.0, (n_spk, nb))
    tilt = np.linspace(-1.5, 1.5, nb)
    logs, ex, spk, ch, code = [], [], [], [], []
    e = 0
    for s in range(n_spk):
        for remote in (0, 1):
            logs.append(10 + centres[s] + remote * tilt + rng.normal(0, 0.5, (frames, nb)))
            ex += [e] * frames
            spk += ["s%d" % s] * frames
            ch += [remote] * frames
            code += [int(rng.normal(2000, 50))] * frames
            e += 1
    d = {"ex": np.array(ex), "spk": np.array(spk), "ch": np.array(ch), "code": np.array(code)}
    return d, np.concatenate(logs)


def test_channel_classes_keep_the_loudspeaker_difference_that_speaker_classes_drop():
    rng = np.random.default_rng(3)
    d, logs = _channel_examples(rng)
    X, y, _ = vv.chunk_features(d, logs)
    Xc, yc, _ = vv.chunk_features(d, logs, channel=True)
    assert set(y) == {"s%d" % s for s in range(10)}
    assert "s0|ls" in set(yc) and "s0" in set(yc) and len(set(yc)) == 20
    gaps = {}
    for name, labels in (("speaker", y), ("channel", yc)):
        W, mu = vv.fit_lda(X, labels, 8)
        Z = vv.project(X, W, mu)
        room = np.array(["|" not in t for t in yc])
        spk = np.array([t.split("|")[0] for t in yc])
        # cosine distance between one speaker's room and loudspeaker chunks, averaged over speakers
        gaps[name] = float(np.mean([1 - np.mean(Z[room & (spk == s)] @ Z[~room & (spk == s)].T)
                                    for s in sorted(set(spk))]))
    assert gaps["speaker"] < 0.05 and gaps["channel"] > 0.2, gaps
    del d["ch"]
    try:
        vv.chunk_features(d, logs, channel=True)
    except ValueError as e:
        assert "channel" in str(e)
    else:
        raise AssertionError("channel classes without the channel must be refused")

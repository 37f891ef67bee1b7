"""Conversations from the single-speaker speech folders (issue 15): the labelling rule, the speaker
split, the loudspeaker simulations, the mix of a conversation, and the CLI. Built from the small
fixture in data/speech/voices-val (validation speakers only), so a fresh clone runs them."""
import hashlib
import json
import os

import numpy as np
import pytest

from talkpuck.cli import main
from talkpuck.detection import metrics
from talkpuck.detection import speechconv as sc
from talkpuck.detection.audio import RATE, read_wav
from talkpuck.detection.evaluate import score_file
from talkpuck.detection.rttm import read_rttm
from talkpuck.errors import TalkpuckError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "data", "speech", "voices-val")
SHORT = (25.0, 35.0)


@pytest.fixture(scope="module")
def index():
    return sc.index_speakers(FIXTURE)


def _shared():
    try:
        return sc.find_speech_data(ROOT)
    except TalkpuckError:
        return None


def test_split_is_fixed_by_the_key_and_the_fixture_is_validation_only(index):
    assert len(index) == 7 and all(sc.split_of(k) == "val" for k in index)
    keys = ["so%04d" % i for i in range(400)]
    val = [k for k in keys if sc.split_of(k) == "val"]
    assert 0.1 < len(val) / len(keys) < 0.3
    assert sc.speakers_of(index, "train") == [] and sc.speakers_of(index, "val") == sorted(index)
    with pytest.raises(TalkpuckError, match="split"):
        sc.speakers_of(index, "test")


def test_speech_runs_on_constructed_bursts():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3 * RATE) * 3.0  # faint floor
    t = np.arange(3 * RATE) / RATE
    burst = 3000 * np.sin(2 * np.pi * 200 * t)
    on = ((t >= 0.5) & (t < 1.0)) | ((t >= 1.1) & (t < 1.4)) | ((t >= 2.0) & (t < 2.5)) | ((t >= 2.8) & (t < 2.84))
    x = x + burst * on
    runs = sc.speech_runs(x)
    # the 0.1 s gap is closed (< 0.25 s), the 0.6 s gap is kept, the 40 ms blip is dropped; 20 ms pads
    assert len(runs) == 2, runs
    (a0, b0), (a1, b1) = [(a / RATE, b / RATE) for a, b in runs]
    assert abs(a0 - 0.48) < 0.011 and abs(b0 - 1.42) < 0.011
    assert abs(a1 - 1.98) < 0.011 and abs(b1 - 2.52) < 0.011
    assert sc.speech_runs(np.zeros(100)) == []


def test_utterances_trimmed_and_normalised(index):
    for key, paths in index.items():
        for p in paths:
            u = sc.load_utterance(p, key)
            assert u.runs[0][0] == 0 and u.runs[-1][1] == len(u.audio)
            act = np.concatenate([u.audio[a:b] for a, b in u.runs])
            assert abs(np.sqrt(np.mean(act ** 2)) - 1.0) < 1e-6


def _band_energy(y, lo, hi):
    f = np.fft.rfftfreq(len(y), 1.0 / RATE)
    p = np.abs(np.fft.rfft(y)) ** 2
    return p[(f >= lo) & (f < hi)].sum() / p.sum()


@pytest.mark.parametrize("sim", sc.SIMS)
def test_loudspeaker_band_limits_and_compresses(sim):
    rng = np.random.default_rng(3)
    n = 4 * RATE
    x = rng.standard_normal(n)
    x *= np.repeat(10 ** (rng.uniform(-30, 0, n // 1600) / 20.0), 1600)  # 30 dB of level changes
    y, params = sc.loudspeaker(x, np.random.default_rng(4), sim)
    assert params["sim"] == sim and len(y) == n
    assert _band_energy(x, 0, 120) > 0.005 and _band_energy(y, 0, 120) < 0.001
    assert _band_energy(x, 7000, 8000) > 0.1 and _band_energy(y, 7000, 8000) < 0.01

    def spread(z):  # dB between loud and quiet 0.1 s blocks
        r = 20 * np.log10(np.sqrt(np.mean(z[: n // 1600 * 1600].reshape(-1, 1600) ** 2, axis=1)) + 1e-9)
        return np.percentile(r, 90) - np.percentile(r, 10)

    assert spread(y) < spread(x) - 5
    with pytest.raises(TalkpuckError, match="simulation"):
        sc.loudspeaker(x, rng, "tin-can")


def test_opus_round_trip_keeps_length_and_speech():
    t = np.arange(RATE) / RATE
    x = 0.3 * np.sin(2 * np.pi * 440 * t)
    y = sc.opus_round_trip(x, 14)
    assert len(y) == len(x) and np.corrcoef(x[2000:-2000], y[2000:-2000])[0, 1] > 0.5


def test_conversation_deterministic_labels_match_audio(index):
    a = sc.make_conversation(index, 5, 1, split="val", duration=SHORT, snr_db=80, rt60_s=0.2, force_remote=False)
    b = sc.make_conversation(index, 5, 1, split="val", duration=SHORT, snr_db=80, rt60_s=0.2, force_remote=False)
    assert np.array_equal(a.samples, b.samples) and a.segments == b.segments and a.info == b.info
    assert sc.make_conversation(index, 6, 1, split="val", duration=SHORT).segments != a.segments
    n = len(a.samples)
    assert SHORT[0] * RATE <= n <= SHORT[1] * RATE + 1
    x = a.samples.astype(float)
    lab = np.zeros(n, dtype=bool)
    near = np.zeros(n, dtype=bool)
    for s, e, _k in a.segments:
        assert 0 <= s < e <= n / RATE
        lab[int(s * RATE):int(e * RATE)] = True
        near[int(s * RATE):int((e + 0.25) * RATE)] = True  # the reverberant tail is not speech
    speech = np.sqrt(np.mean(x[lab] ** 2))
    quiet = np.sqrt(np.mean(x[~near] ** 2))
    # what is left outside the labels is the sources' own floor in pauses inside utterances
    assert 20 * np.log10(speech / quiet) > 25
    # labels are the placed speech runs: per voice the talk time in the info, shares sum to 1
    talk = {v["name"]: v["talk_s"] for v in a.info["speakers"]}
    for k, s in talk.items():
        assert abs(sum(e - b for b, e, kk in a.segments if kk == k) - s) < 0.01
    assert abs(sum(v["share"] for v in a.info["speakers"]) - 1) < 1e-3
    assert not any(a.remote.values())


def test_labels_without_rendering_are_the_same(index):
    a = sc.make_conversation(index, 9, 2, split="val", duration=SHORT, force_remote=True, sim="other")
    b = sc.make_conversation(index, 9, 2, split="val", duration=SHORT, force_remote=True, sim="other", render=False)
    assert b.samples is None and a.segments == b.segments and a.info == b.info


def test_the_mix_of_conversations(index):
    infos, overlaps, handovers, pauses = [], 0, 0, 0
    for i in range(12):
        c = sc.make_conversation(index, 21, i, split="val", duration=(40, 60), sim="mixed", render=False)
        infos.append(c.info)
        segs = sorted(c.segments)
        for (_s0, e0, k0), (s1, _e1, k1) in zip(segs, segs[1:]):
            if k0 != k1:
                overlaps += s1 < e0 - 0.05
                handovers += e0 - 0.05 <= s1 <= e0 + 0.26
                pauses += s1 > e0 + 0.3
        assert 2 <= len(c.info["speakers"]) <= 5
        assert 0.2 <= c.info["rt60_s"] <= 0.8 and 10 <= c.info["snr_db"] <= 30
        remote = [v for v in c.info["speakers"] if v["remote"]]
        assert len(remote) <= 2 and len(remote) < len(c.info["speakers"])
        assert bool(remote) == (c.info["remote_sim"] is not None)
        assert all(v["loudspeaker"]["sim"] == c.info["remote_sim"] for v in remote)
        assert len({v["distance_m"] for v in remote}) <= 1  # one laptop
    assert overlaps and handovers and pauses
    with_remote = sum(1 for i in infos if i["remote_sim"])
    assert 1 <= with_remote <= 8
    assert len({len(i["speakers"]) for i in infos}) >= 2
    shares = [max(v["share"] for v in i["speakers"]) for i in infos]
    assert max(shares) > 0.5 and min(shares) < 0.6  # dominant and balanced both happen


def test_remote_frames_metric():
    ref = [(0.0, 1.0, "a"), (1.0, 2.0, "b"), (1.5, 2.5, "a")]
    hyp = [(0.0, 2.0, "v1"), (2.0, 3.0, "v2")]
    c = metrics.remote_frames(ref, {"a": False, "b": True}, hyp, {"v1": True}, 3.0)
    # single-speaker frames: a 0-1 (v1 remote: wrong), b 1-1.5 (v1 remote: right), a 2-2.5 (v2 room: right)
    assert c == {"frames": 200, "correct": 100, "remote_frames": 50, "remote_correct": 50}
    row = score_file("x", ref, hyp, 3.0, ref_remote={"a": False, "b": True}, hyp_remote=None)
    assert row["remote"]["correct"] == 150  # no flags: every voice in the room


def test_remote_frames_metric_with_a_flag_per_piece():
    ref = [(0.0, 1.0, "a"), (1.0, 2.0, "b"), (1.5, 2.5, "a")]
    truth = {"a": False, "b": True}
    # one voice in two pieces (the room person, then the loudspeaker one), each with its own flag
    hyp = [(0.0, 1.0, "v1"), (1.0, 2.0, "v1"), (2.0, 3.0, "v2")]
    c = metrics.remote_frames(ref, truth, hyp, [False, True, False], 3.0)
    assert c == {"frames": 200, "correct": 200, "remote_frames": 50, "remote_correct": 50}
    # the per-voice flag can only be right for one of the two people of v1
    assert metrics.remote_frames(ref, truth, hyp, {"v1": True}, 3.0)["correct"] == 100
    # score_file keeps the pieces apart for per-piece flags (merging v1's touching pieces would lose them)
    row = score_file("x", ref, hyp, 3.0, ref_remote=truth, hyp_remote=[False, True, False])
    assert row["remote"]["correct"] == 200
    assert score_file("x", ref, hyp, 3.0, ref_remote=truth, hyp_remote=[True, False, False])["remote"]["correct"] == 50


def test_errors_are_clear(index):
    with pytest.raises(TalkpuckError, match="speakers"):
        sc.make_conversation(index, 1, 0, split="val", n_speakers=(2, 6))
    with pytest.raises(TalkpuckError, match="split train"):
        sc.make_conversation(index, 1, 0, split="train")
    with pytest.raises(TalkpuckError, match="simulation"):
        sc.make_conversation(index, 1, 0, split="val", sim="x")
    with pytest.raises(TalkpuckError, match="remote"):
        sc.make_conversation(index, 1, 0, split="val", remote_p=1.5)
    with pytest.raises(TalkpuckError, match="no speakers"):
        sc.index_speakers(os.path.join(ROOT, "data", "speech", "ami"))


def test_cli_writes_wav_rttm_and_remote_flags(tmp_path, capsys):
    out = tmp_path / "c"
    rc = main(["make-conversations", "--speech", FIXTURE, "--split", "val", "--count", "2", "--duration", "20-25",
               "--remote-share", "1", "--sim", "other", "--out", str(out)])
    assert rc == 0
    man = json.loads((out / "manifest.json").read_text())
    assert man["count"] == 2
    for info in man["conversations"]:
        x, rate = read_wav(str(out / (info["name"] + ".wav")))
        assert rate == RATE and len(x) == int(round(info["duration_s"] * RATE))
        ref = read_rttm(str(out / (info["name"] + ".rttm")))[info["name"]]
        assert {k for _, _, k in ref} == {v["name"] for v in info["speakers"]}
        side = json.loads((out / (info["name"] + ".json")).read_text())
        assert side == info and info["remote_sim"] == "other"
        assert any(v["remote"] for v in info["speakers"])
    assert "equal-share baseline" in capsys.readouterr().out
    assert main(["make-conversations", "--speech", FIXTURE, "--split", "train", "--out", str(tmp_path / "d")]) == 2
    assert "split train" in capsys.readouterr().err


# sha1 of conversation 0 of the frozen validation set's RTTM: the set must not drift (a new numpy,
# scipy or generator change that moves it means every recorded figure must be measured again)
FROZEN_VAL_0_SHA1 = "6ccbba1ffd027c9e1ee006ad6cf8b74173fd7790"


@pytest.mark.skipif(_shared() is None, reason="the shared speech folders are not here")
def test_frozen_validation_set_uses_validation_speakers_only():
    index = sc.index_speakers(_shared())
    val = sc.speakers_of(index, "val")
    train = sc.speakers_of(index, "train")
    assert len(val) >= 60 and not set(val) & set(train)
    c = sc.make_conversation(index, sc.FROZEN_VAL_SEED, 0, split="val", name="sconv000", render=False,
                             **sc.frozen_val_options(0))
    assert all(v["split"] == "val" for v in c.info["speakers"])
    assert 120 <= c.info["duration_s"] <= 300
    opts = [sc.frozen_val_options(i) for i in range(sc.FROZEN_VAL_COUNT)]
    assert sum(o["force_remote"] for o in opts) == sc.FROZEN_VAL_COUNT // 3
    assert {o["sim"] for o in opts if o["force_remote"]} == set(sc.SIMS)
    from talkpuck.detection.rttm import format_rttm

    sha = hashlib.sha1(format_rttm(c.name, c.segments).encode()).hexdigest()
    if FROZEN_VAL_0_SHA1 is not None:
        assert sha == FROZEN_VAL_0_SHA1

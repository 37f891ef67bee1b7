"""Generated multi-speaker conversations (`talkpuck make-conversations`): deterministic, labels that
match the audio, distinct people, varied talk shares, held-out splits, and clear errors."""
import json
import os

import numpy as np
import pytest

from talkpuck.cli import main
from talkpuck.detection import conversations as conv
from talkpuck.detection import metrics
from talkpuck.detection.audio import RATE, read_wav
from talkpuck.detection.evaluate import evaluate_dir, find_pairs, load_reference
from talkpuck.detection.rttm import read_rttm
from talkpuck.errors import TalkpuckError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AMI = os.path.join(ROOT, "data", "speech", "ami")
SHORT = (12.0, 20.0)  # short conversations keep the tests quick


@pytest.fixture(scope="module")
def stretches():
    return conv.load_stretches(AMI)


def test_stretches_are_single_speaker_regions_keyed_by_person(stretches):
    # the same name in two clips is the same person: one key, stretches from both clips
    assert {s.clip for s in stretches["MEE068"]} == {"ami_trn00", "ami_trn01"}
    assert {s.clip for s in stretches["FEE087"]} == {"ami_trn07", "ami_trn08"}
    for spk, sts in stretches.items():
        assert sum(s.seconds for s in sts) >= conv.MIN_SPEAKER_S
        for s in sts:
            assert s.seconds >= conv.MIN_STRETCH_S - 1e-9 and s.speaker == spk
            ref = load_reference(os.path.join(AMI, s.clip + ".rttm"), s.clip)
            # inside the stretch exactly one speaker is labelled: this one
            for t in np.arange(s.start_s, s.end_s, 0.05):
                assert {k for a, b, k in ref if a <= t < b} == {spk}, (s, t)


def test_solo_regions():
    ref = [(0.0, 2.0, "a"), (1.5, 3.0, "b"), (3.0, 4.0, "a"), (5.0, 6.0, "a")]
    assert conv.solo_regions(ref) == {"a": [(0.0, 1.5), (3.0, 4.0), (5.0, 6.0)], "b": [(2.0, 3.0)]}


def test_deterministic_and_independent_of_count(stretches, tmp_path):
    a = conv.make_conversation(stretches, 7, 3, duration=SHORT)
    b = conv.make_conversation(stretches, 7, 3, duration=SHORT)
    assert np.array_equal(a.samples, b.samples) and a.segments == b.segments and a.info == b.info
    c = conv.make_conversation(stretches, 8, 3, duration=SHORT)
    assert c.segments != a.segments
    # conversation i of a seed is the same whatever the count
    conv.make_conversations(str(tmp_path / "one"), 1, 7, stretches=stretches, duration=SHORT)
    conv.make_conversations(str(tmp_path / "two"), 2, 7, stretches=stretches, duration=SHORT)
    for ext in (".wav", ".rttm"):
        one, two = (tmp_path / d / ("conv000" + ext) for d in ("one", "two"))
        assert one.read_bytes() == two.read_bytes()


def test_rttm_matches_the_audio(stretches, tmp_path):
    out = str(tmp_path / "c")
    infos = conv.make_conversations(out, 3, 11, stretches=stretches, duration=SHORT, noise_snr=None)
    clips = {}
    for info in infos:
        name = info["name"]
        x, rate = read_wav(os.path.join(out, name + ".wav"))
        assert rate == RATE and len(x) == int(round(info["duration_s"] * RATE))
        ref = read_rttm(os.path.join(out, name + ".rttm"))[name]
        assert max(e for _, e, _ in ref) <= len(x) / RATE and min(s for s, _, _ in ref) >= 0
        # per speaker the RTTM durations add up to the speech spliced in for them
        for spk in info["speakers"]:
            rttm_s = sum(e - s for s, e, k in ref if k == spk["name"])
            piece_s = sum(p["dur_s"] for p in info["pieces"] if p["speaker"] == spk["name"])
            assert abs(rttm_s - piece_s) < 0.002 * len(ref) and abs(rttm_s - spk["talk_s"]) < 0.01 + 0.002 * len(ref)
        # with no added noise the audio is exactly silent outside the labels (RTTM times are rounded
        # to 1 ms), and speech inside
        lab = np.zeros(len(x), dtype=int)
        near = np.zeros(len(x), dtype=bool)
        for s, e, _ in ref:
            lab[int(round(s * RATE)):int(round(e * RATE))] += 1
            near[max(0, int(round((s - 0.001) * RATE))):int(round((e + 0.001) * RATE))] = True
        assert not np.any(x[~near])
        for s, e, _ in ref:
            seg = x[int(round(s * RATE)):int(round(e * RATE))].astype(float)
            assert np.sqrt(np.mean(seg ** 2)) > 30, (name, s, e)
        # every piece is the source speaker's own speech: a scaled copy of the source clip where
        # only that speaker talks in the conversation, from a region of the source where only they talk
        for p in info["pieces"]:
            if p["clip"] not in clips:
                clips[p["clip"]] = read_wav(os.path.join(AMI, p["clip"] + ".wav"))[0].astype(float)
            a, n, b = (int(round(p[k] * RATE)) for k in ("at_s", "dur_s", "src_s"))
            solo = lab[a + conv.FADE:a + n - conv.FADE] == 1
            if solo.sum() > 800:
                y = x[a + conv.FADE:a + n - conv.FADE][solo]
                z = clips[p["clip"]][b + conv.FADE:b + n - conv.FADE][solo]
                assert np.corrcoef(y, z)[0, 1] > 0.999, p
            src_ref = load_reference(os.path.join(AMI, p["clip"] + ".rttm"), p["clip"])
            for t in (p["src_s"] + 0.01, p["src_s"] + p["dur_s"] / 2, p["src_s"] + p["dur_s"] - 0.01):
                assert {k for s, e, k in src_ref if s <= t < e} == {p["speaker"]}, p


def test_speakers_are_distinct_people_who_all_talk(stretches):
    sizes = set()
    for i in range(16):
        c = conv.make_conversation(stretches, 5, i, duration=SHORT)
        names = [s["name"] for s in c.info["speakers"]]
        assert len(names) == len(set(names)) and 2 <= len(names) <= 4
        assert {k for _, _, k in c.segments} == set(names)
        sizes.add(len(names))
        for spk in names:  # nobody overlaps their own turn
            own = sorted((s, e) for s, e, k in c.segments if k == spk)
            assert all(e0 <= s1 for (_, e0), (s1, _) in zip(own, own[1:]))
    assert len(sizes) >= 2 and sizes <= {2, 3, 4}
    c = conv.make_conversation(stretches, 5, 0, n_speakers=3, duration=SHORT)
    assert len(c.info["speakers"]) == 3


def test_talk_shares_and_turn_changes_vary(stretches):
    top, styles, gaps = [], set(), []
    for i in range(16):
        c = conv.make_conversation(stretches, 2, i, duration=(40, 60))
        top.append(max(conv.talk_shares(c.segments).values()))
        styles.add(c.info["style"])
        segs = sorted(c.segments)
        gaps += [s1 - e0 for (_, e0, _), (s1, _, _) in zip(segs, segs[1:])]
    assert styles == {"balanced", "dominated"}
    assert min(top) < 0.45 and max(top) > 0.7, top
    gaps = np.array(gaps)
    assert np.mean(gaps <= 1e-6) > 0.6  # most changes abut or overlap
    assert np.mean(gaps < -0.05) > 0.15 and np.mean(gaps > 0.1) > 0.1


def test_equal_share_baseline(stretches, tmp_path):
    ref = [(0, 6, "a"), (6, 8, "b"), (7.5, 10, "c")]
    errs = conv.equal_share_errors(ref)
    # shares 6/10.5, 2/10.5, 2.5/10.5 against 1/3 each
    assert [round(e, 3) for e in errs] == [round(100 * abs(x / 10.5 - 1 / 3.0), 3) for x in (6, 2, 2.5)]
    # the same as talk_share_errors for n equally long voices that match nothing
    fake = [(100 + 2 * i, 101 + 2 * i, "v%d" % i) for i in range(3)]
    assert np.allclose(errs, metrics.talk_share_errors(ref, fake))
    infos = conv.make_conversations(str(tmp_path), 2, 3, stretches=stretches, duration=SHORT)
    pooled = conv.equal_share_baseline(str(tmp_path))
    flat = [e for i in infos for e in i["equal_share_errors"]]
    assert pooled["speakers"] == len(flat) and abs(pooled["talk_share_error"] - np.mean(flat)) < 0.01


def test_held_out_sources_and_speakers():
    st = conv.load_stretches(AMI, sources=["ami_trn07", "ami_trn08"])
    assert set(st) <= {"FEE087", "FEE088", "MEE089", "MEO086"} and len(st) >= 2
    assert all(s.clip in ("ami_trn07", "ami_trn08") for v in st.values() for s in v)
    c = conv.make_conversation(st, 1, 0, duration=SHORT)
    assert {k for _, _, k in c.segments} <= set(st)
    # trn08 alone: its people are all heard in trn07 too, so none is unseen
    assert conv.load_stretches(AMI, sources=["ami_trn08"], unseen_only=True) == {}
    with pytest.raises(TalkpuckError, match="speakers"):
        conv.make_conversation({}, 1, 0)
    st = conv.load_stretches(AMI, exclude_sources=["ami_trn00", "ami_trn01", "ami_trn03"], exclude_speakers=["FEE083"])
    assert "MEE068" not in st and "MÉO069" not in st and "FEE083" not in st
    groups = conv.speaker_groups(AMI)
    spk = conv.clip_speakers(AMI)
    assert sorted(c for g in groups for c in g) == sorted(spk)
    for i, g in enumerate(groups):
        for h in groups[i + 1:]:
            assert not {k for c in g for k in spk[c]} & {k for c in h for k in spk[c]}
    assert ["ami_trn07", "ami_trn08"] in groups


def test_cli_writes_a_folder_talkpuck_eval_scores(tmp_path, capsys):
    out = str(tmp_path / "c")
    assert main(["make-conversations", "--out", out, "--count", "2", "--seed", "4", "--duration", "12-14",
                 "--speakers", "2-3", "--noise-snr", "20", "--reverb-drr", "6", "--data", AMI]) == 0
    text = capsys.readouterr().out
    assert "equal-share baseline" in text and "conv001" in text
    assert [b for b, _, _ in find_pairs(out)] == ["conv000", "conv001"]
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["seed"] == 4 and len(manifest["conversations"]) == 2
    assert all(c["noise_snr_db"] == 20 and c["reverb_drr_db"] == 6 for c in manifest["conversations"])
    res = evaluate_dir(out)
    assert res["pooled"]["files"] == 2 and "talk_share_error" in res["files"][0]


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "--count must be at least 1"),
    (["--count", "many"], "--count: expected a whole number"),
    (["--seed", "-1"], "--seed must be at least 0"),
    (["--speakers", "5"], "speakers: need 2 <= low <= high <= 4"),
    (["--speakers", "1-3"], "speakers: need 2 <= low <= high <= 4"),
    (["--speakers", "3-2"], "--speakers: LOW 3 is above HIGH 2"),
    (["--speakers", "two"], "--speakers: expected N or LOW-HIGH"),
    (["--duration", "3-5"], "duration: need 10.0 <= low"),
    (["--duration", "40-"], "--duration: expected N or LOW-HIGH"),
    (["--noise-snr", "loud"], "--noise-snr: expected a number"),
    (["--noise-snr", "200"], "noise SNR: 200.0 dB is outside"),
    (["--reverb-drr", "nan"], "--reverb-drr: expected a finite number"),
    (["--sources", "ami_trn99"], "unknown source clip ami_trn99"),
    (["--exclude-speakers", "NOBODY"], "unknown speaker NOBODY"),
    (["--sources", "ami_trn08", "--unseen-speakers"], "speakers: need at least 2 people"),
])
def test_bad_arguments_are_clear_errors(tmp_path, capsys, args, message):
    out = str(tmp_path / "c")
    assert main(["make-conversations", "--out", out, "--data", AMI] + args) == 2
    err = capsys.readouterr().err
    assert "talkpuck: error:" in err and message in err, err
    assert not os.path.exists(out)  # nothing written


def test_bad_output_and_missing_out(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["make-conversations", "--out", str(f), "--data", AMI, "--count", "1"]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["make-conversations", "--data", AMI]) == 2
    assert "--out" in capsys.readouterr().err
    with pytest.raises(TalkpuckError, match="count must be at least 1"):
        conv.make_conversations(str(tmp_path / "x"), 0, 1)

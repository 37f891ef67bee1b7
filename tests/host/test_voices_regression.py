"""Regression on the small set of generated conversations in the repository (issue 15): three short
conversations built by speechconv.fixture_conversations from the committed validation voices
(data/speech/voices-val), one all in the room, one with a voice through the training loudspeaker
simulation, one through the held-out one (with Opus). A fresh clone runs it without ../shared/.

Figures recorded with the firmware detector (scored as `talkpuck eval` does, the remote flag from
`TurnDetector.voice_remote` at the end). Raise them when the detector improves; never lower them
without saying why in docs/detection.md. With every voice in the room the remote figure would be
0.556; the learned cue gets the `laptop` conversation's loudspeaker voice right, while the `other`
one's loudspeaker voice (conversation 2) is not flagged: with the pitch voices it was merged into a
room voice; with the learned voice vector (issue 15) it is a voice of its own, but the remote cue
does not call it remote, so the loudspeaker time flagged went from 0.790 to 0.783 (the threshold
below was lowered by that much, for that reason: docs/detection.md 8.7).
"""
import pytest

from talkpuck.detection import speechconv as sc
from talkpuck.detection.audio import RATE
from talkpuck.detection.evaluate import pool, score_file, talkpuck_system

RECORDED_F1 = 0.9465
RECORDED_DER = 0.126  # one voice: 0.436; pitch voices (issue 4): 0.276
RECORDED_SHARE = 4.26  # points; one voice 25.3, equal split with the true number of voices 15.8, pitch voices 15.05
RECORDED_REMOTE = 0.891  # all in the room: 0.556; pitch voices 0.881


@pytest.fixture(scope="module")
def scored():
    rows, infos = [], []
    for c in sc.fixture_conversations():
        hyp, cpu, remote = talkpuck_system(c.samples)
        rows.append(score_file(c.name, c.segments, hyp, len(c.samples) / float(RATE), cpu, c.remote, remote))
        infos.append(c.info)
    return pool(rows), infos


def test_the_set_has_room_and_loudspeaker_voices(scored):
    _, infos = scored
    assert [i["remote_sim"] for i in infos] == [None, "laptop", "other"]
    assert all(v["split"] == "val" for i in infos for v in i["speakers"])


def test_generated_conversations_not_worse(scored):
    p, _ = scored
    assert p["f1"] >= RECORDED_F1 - 0.003, p["f1"]
    assert p["der"] <= RECORDED_DER + 0.005, p["der"]
    assert p["talk_share_error"] <= RECORDED_SHARE + 0.3, p["talk_share_error"]
    assert p["remote_accuracy"] >= RECORDED_REMOTE - 0.005, p["remote_accuracy"]
    assert p["remote_recall"] >= 0.783 - 0.005, p["remote_recall"]  # loudspeaker voice time flagged remote


def test_voice_val_bench_scores_a_folder(tmp_path, capsys):
    # bench/voice_val.py on one short generated conversation with a loudspeaker voice (no recording)
    import importlib.util
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sc.make_conversations(str(tmp_path), 1, 5, sc.index_speakers(os.path.join(root, sc.FIXTURE)), split="val",
                          duration=(20, 25), force_remote=True)
    spec = importlib.util.spec_from_file_location("voice_val", os.path.join(root, "bench", "voice_val.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main([str(tmp_path), "--no-record"])
    out = capsys.readouterr().out
    assert "| talkpuck (voices, remote flag) |" in out and "| laptop | 1 |" in out

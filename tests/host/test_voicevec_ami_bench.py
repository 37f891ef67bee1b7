"""bench/voicevec_ami.py's replay: a turn's pieces become the detector's segments (short turns and
pieces without stored frames keep the voice before them), and the float prototype makes the firmware
clustering's decisions with its default options, so its variants are measured against the same base."""
import importlib.util
import os

import numpy as np

from conftest import ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("voicevec_ami", os.path.join(ROOT, "bench", "voicevec_ami.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _unit_q10(v):
    v = np.asarray(v, float)
    return [int(x) for x in np.round(v / np.linalg.norm(v) * 1024)]


def test_replay_gives_short_turns_and_empty_pieces_the_voice_before_them():
    vb = _bench()

    class ByPitch:  # a stand-in clustering: the voice is the piece's pitch field
        def reset(self):
            self.calls = 0

        def assign(self, it):
            self.calls += 1
            return it[6]

    rec = {"dur": 10.0, "turns": [
        [("short", 0, 500, None, None, 0, 0)],  # no voice yet: voice 1
        [("piece", 1000, 2000, [0] * 12, None, 80, 2), ("nopiece", 2000, 2500, None, None, 0, 0),
         ("piece", 2500, 3000, [0] * 12, None, 80, 3)],
        [("short", 4000, 4500, None, None, 0, 0)],  # the last voice of the turn before: 3
    ]}
    clus = ByPitch()
    segs = vb.replay(rec, clus)
    assert clus.calls == 2
    assert [v for _, _, v in segs] == [1, 2, 2, 3, 3]
    assert vb.merged(segs) == [(0.0, 0.5, 1), (1.0, 2.5, 2), (2.5, 3.0, 3), (4.0, 4.5, 3)]


def test_prototype_with_defaults_decides_like_the_firmware():
    vb = _bench()
    rng = np.random.default_rng(8)
    centres = rng.normal(size=(4, 12))
    items = []
    for _ in range(120):
        c = centres[rng.integers(4)]
        u = _unit_q10(c + rng.normal(scale=0.35, size=12))
        items.append(("piece", 0, 1, u, None, int(rng.integers(20, 200)), 0))
    fw = vb.Firmware(307, 461, 60)
    proto = vb.Proto(thr=307 / 1024.0, sure=461 / 307.0, min_new=60)
    fw.reset()
    proto.reset()
    got_fw = [fw.assign(it) for it in items]
    got_proto = [proto.assign(it) for it in items]
    assert len(set(got_fw)) == 4  # the four constructed speakers found
    assert got_proto == got_fw
    # and the comparison can fail: a lower new-voice distance decides otherwise on the same pieces
    other = vb.Proto(thr=0.15, sure=1.5, min_new=60)
    other.reset()
    assert sum(a != b for a, b in zip(got_fw, [other.assign(it) for it in items])) > 50


def test_short_pieces_keep_the_voice_before_them_in_the_short_last_variant():
    vb = _bench()
    a = ("piece", 0, 1, _unit_q10([1] + [0] * 11), None, 100, 0)
    b = ("piece", 0, 1, _unit_q10([0, 1] + [0] * 10), None, 100, 0)  # orthogonal: a new voice at once
    b_short = ("piece", 0, 1, b[3], None, 20, 0)
    plain = vb.Firmware(307, 461, 60)
    plain.reset()
    assert [plain.assign(it) for it in (a, b, a, b_short)] == [1, 2, 1, 2]  # the nearest voice
    short = vb.ShortLast(307, 461, 60, 30)
    short.reset()
    assert [short.assign(it) for it in (a, b, a, b_short)] == [1, 2, 1, 1]  # the voice before it

"""remote_split — can the remote cue help split a voice cluster? (issue 15, prototype, not in the firmware)

Usage: .venv/bin/python bench/remote_split.py DIR [DIR ...] [--cache-dir D] [--append]

Each conversation (training speakers only: never the frozen set) is detected once with the shipped
firmware; every turn's pieces are recorded as the firmware makes them (bench/voicevec_ami.capture's
items) plus each piece's low band minus level (Q4 dB, the remote cue's first feature over the
piece's voiced frames) and its level/low bytes. The clustering is then replayed with the float
prototype of VectorVoices (bench/voicevec_ami.Proto, the same decisions as the firmware with its
defaults) where the distance between a piece and a voice gains wl x |low band difference| (per dB,
the voice's low band the frame-weighted mean of its pieces'), and each replayed voice gets the
shipped remote decision over its pieces' frames (remote.RemoteCue). Scored as `talkpuck eval`:
DER c0.25, talk-share error, remote right.
"""
import argparse
import json
import os
import pickle
import sys
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "host"))
sys.path.insert(0, os.path.join(HERE, "..", "firmware"))

import numpy as np  # noqa: E402

WLS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)


def capture(x):
    from puckcore.detector import TurnDetector
    from puckcore.levels import log2_q8
    from puckcore.remote import LOW_OFFSET_DB
    from puckcore.ticks import ticks_diff
    from puckcore.voicevec import DIM

    from talkpuck.detection.audio import RATE
    from talkpuck.detection.runner import T0, run_detector

    class Cap(TurnDetector):
        def _end_turn(self):
            tr, cd = self.turns, self.changes
            rec = []
            if self._voiced_at_speech < self.p.voice_min_frames:
                rec.append(("short", ticks_diff(tr.start_ms, T0), ticks_diff(tr.end_ms, T0), None, None, 0, 0,
                            None, b"", b""))
            else:
                pieces = cd.split(self._voiced_at_speech, log2_q8(cd.median_lag(self._voiced_at_speech)))
                vec, u, start = self.vec, array("i", [0] * DIM), tr.start_ms
                for k in range(pieces):
                    fa, fb = cd.bounds[k], cd.bounds[k + 1]
                    a, b = (fa + 1) >> 1, (fb + 1) >> 1
                    end = cd.time_of(fb) if k + 1 < pieces else tr.end_ms
                    ok = vec.piece(a, b, cd.mean_q4[k], u)
                    lo = bytes(self.remote.low[fa:fb])
                    lv = bytes(self.remote.lvl[fa:fb])
                    low = (sum(lo) * 16 // len(lo) - LOW_OFFSET_DB * 16) if lo else None
                    rec.append(("piece" if ok else "nopiece", ticks_diff(start, T0), ticks_diff(end, T0),
                                list(u) if ok else None, None, cd.count[k], cd.mean_q4[k], low, lv, lo))
                    start = end
            self.log.append(rec)
            super()._end_turn()

    det = Cap()
    det.log = []
    hyp, _ = run_detector(x, detector=det)
    return {"hyp": hyp, "turns": det.log, "dur": len(x) / float(RATE)}


class LowSplit:
    """voicevec_ami.Proto (the firmware's clustering in float) + wl x |low band difference, dB."""

    def __init__(self, wl, thr=0.30, sure=1.5, min_new=60, maxv=6, cap=2000):
        self.wl, self.thr, self.sure, self.min_new, self.maxv, self.cap = wl, thr, sure, min_new, maxv, cap

    def reset(self):
        self.C, self.L, self.W, self.cand = [], [], [], None

    def _d(self, r, lo, c, lc):
        return 1 - r @ c / (np.linalg.norm(r) * np.linalg.norm(c) + 1e-12) + (
            self.wl * abs(lo - lc) / 16.0 if lo is not None and lc is not None else 0.0)

    def assign(self, it):
        r, cnt, lo = np.array(it[3], float), it[5], it[7]
        if not self.C:
            return self._new(r, lo, cnt)
        ds = [self._d(r, lo, c, lc) for c, lc in zip(self.C, self.L)]
        j = int(np.argmin(ds))
        d1 = ds[j]
        if d1 > self.thr and cnt >= self.min_new and len(self.C) < self.maxv:
            if (self.cand is not None and self._d(r, lo, *self.cand) < self.thr) or d1 > self.sure * self.thr:
                return self._new(r, lo, cnt)
            self.cand = (r, lo)
            return j + 1
        w = min(self.W[j] + cnt, self.cap)
        self.C[j] = self.C[j] + (r - self.C[j]) * cnt / w
        if lo is not None:
            self.L[j] = lo if self.L[j] is None else self.L[j] + (lo - self.L[j]) * cnt / w
        self.W[j] += cnt
        return j + 1

    def _new(self, r, lo, cnt):
        self.C.append(r.copy())
        self.L.append(lo)
        self.W.append(cnt)
        self.cand = None
        return len(self.C)


def replay(rec, clus):
    """(segments, {voice: remote}) with clus choosing each piece's voice and the shipped remote model
    deciding each voice over its pieces' frames."""
    from puckcore.remote import RemoteCue

    from voicevec_ami import merged
    from voicevec_ami import replay as replay_voices

    cue = RemoteCue(6, 1000)

    def take(it, pv):
        n = len(it[8])
        if n:
            cue.lvl[0:n] = it[8]
            cue.low[0:n] = it[9]
            cue.take(pv, 0, n)

    segs = merged(replay_voices(rec, clus, take))
    return segs, {v: cue.remote(v) for v in range(1, 7)}


def main(argv=None):
    from talkpuck.detection.audio import RATE, read_wav
    from talkpuck.detection.evaluate import load_reference, pool, score_file

    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--cache-dir", default="/tmp")
    ap.add_argument("--append", action="store_true")
    a = ap.parse_args(argv)
    data = []
    for folder in a.folders:
        path = os.path.join(a.cache_dir, "split_" + os.path.basename(os.path.normpath(folder)) + ".pkl")
        if os.path.exists(path):
            with open(path, "rb") as f:
                recs = pickle.load(f)
        else:
            with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
                infos = json.load(f)["conversations"]
            recs = []
            for info in infos:
                x, _ = read_wav(os.path.join(folder, info["name"] + ".wav"))
                recs.append((info, capture(x)))
                print(info["name"], flush=True)
            with open(path, "wb") as f:
                pickle.dump(recs, f)
        data.append((folder, recs))
    lines = [("| distance + wl x low band difference (per dB) | DER c0.25 | talk-share err | remote right |"
              " remote right, conversations with loudspeaker voices |"), "|---|---|---|---|---|"]
    for wl in WLS:
        rows, rem = [], []
        for folder, recs in data:
            for info, rec in recs:
                name = info["name"]
                ref = load_reference(os.path.join(folder, name + ".rttm"), name)
                truth = {v["name"]: v["remote"] for v in info["speakers"]}
                segs, remote = replay(rec, LowSplit(wl))
                r = score_file(name, ref, segs, rec["dur"], 0.0, truth, remote)
                rows.append(r)
                if info["remote_sim"]:
                    rem.append(r)
        p, q = pool(rows), pool(rem)
        lines.append("| %s | %.3f | %.1f | %.3f | %.3f |" % (wl, p["der"], p["talk_share_error"], p["remote_accuracy"],
                                                            q["remote_accuracy"]))
        print(lines[-1], flush=True)
    if a.append:
        from results import append

        append("Remote cue as a clustering cue, prototype on training-speaker conversations (issue 15)", lines)
    _ = RATE


if __name__ == "__main__":
    main()

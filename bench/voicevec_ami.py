"""voicevec_ami — why the learned voice vector loses on AMI, and what the clustering can change (issue 15).

Usage: .venv/bin/python bench/voicevec_ami.py --folds FILE [--conv DIR] [--cache PKL] [--no-record]

Each AMI clip is detected once with the VAD model of the fold that left it out (`--folds`, the file
`bench/voice_bench.py --folds` keeps), and each conversation in `--conv DIR` (training-speaker
conversations, `talkpuck make-conversations --speech --split train`; never the frozen set) with the
shipped model. Every turn's pieces are recorded as the firmware makes them (times, the Q10 unit
vector, the pooled projection before scaling, voiced-frame count, mean pitch). The clustering is
then replayed on those pieces: the firmware's own `VectorVoices` (integers; its replay reproduces
the detector's segments exactly, checked below) for threshold grids, and a float prototype for the
variants the firmware does not have (a threshold that adapts to the session's distances, vectors
centred on the session's running mean, pitch distance added to the cosine distance, a relative
confirmation of a new voice). Each family is scored pooled and nested leave-one-clip-out (the
held-out clip never picks its own setting; objective share/16 + DER/0.36 as voice_bench). Also: how
far apart pieces of the same and of different speakers lie, and the pieces clustered offline into
the true number of speakers (a bound, labels from outside the puck). Prints the tables and appends
them to bench/RESULTS.md.
"""
import argparse
import json
import os
import pickle
import sys
from array import array

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import append

import numpy as np

from talkpuck.detection.audio import RATE, read_wav
from talkpuck.detection.evaluate import load_reference, pool, score_file


def capture(x, params=None):
    """Detect x; returns {"hyp", "turns": [[piece items]], "dur"}. A piece item is (kind, start_ms,
    end_ms, unit vector, pooled projection, voiced frames, mean pitch Q12); kind "short" (a turn too
    short for a voice: the last voice), "nopiece" (no stored frame: the turn's voice so far) or "piece"."""
    from puckcore.detector import TurnDetector
    from puckcore.levels import log2_q8
    from puckcore.ticks import ticks_diff
    from puckcore.voicevec import DIM

    from talkpuck.detection.runner import T0, run_detector

    class Cap(TurnDetector):
        def _end_turn(self):
            tr, cd = self.turns, self.changes
            rec = []
            if self._voiced_at_speech < self.p.voice_min_frames:
                rec.append(("short", ticks_diff(tr.start_ms, T0), ticks_diff(tr.end_ms, T0), None, None, 0, 0))
            else:
                pieces = cd.split(self._voiced_at_speech, log2_q8(cd.median_lag(self._voiced_at_speech)))
                vec, u, start = self.vec, array("i", [0] * DIM), tr.start_ms
                m = vec.m
                for k in range(pieces):
                    a, b = (cd.bounds[k] + 1) >> 1, (cd.bounds[k + 1] + 1) >> 1
                    end = cd.time_of(cd.bounds[k + 1]) if k + 1 < pieces else tr.end_ms
                    ok = vec.piece(a, b, cd.mean_q4[k], u)
                    raw = None
                    if ok:
                        acc = array("i", [0] * DIM)
                        vec._pool(vec.store, a, b, DIM, acc)
                        raw = [((acc[j] << m.SHIFT) // (b - a)) + m.WP[j] * (cd.mean_q4[k] >> 2) - m.OFF[j]
                               for j in range(DIM)]
                    rec.append(("piece" if ok else "nopiece", ticks_diff(start, T0), ticks_diff(end, T0),
                                list(u) if ok else None, raw, cd.count[k], cd.mean_q4[k]))
                    start = end
            self.log.append(rec)
            super()._end_turn()

    det = Cap(params=params) if params else Cap()
    det.log = []
    hyp, _ = run_detector(x, detector=det)
    return {"hyp": hyp, "turns": det.log, "dur": len(x) / float(RATE)}


def replay(rec, clus, on_piece=None):
    """The detector's segments with `clus.assign(item)` choosing each piece's voice; `on_piece(item,
    voice)` (optional) sees every piece with the voice it got."""
    clus.reset()
    last, segs = 0, []
    for turn in rec["turns"]:
        v = 0
        for it in turn:
            if it[0] == "short":
                pv = last or 1
            elif it[0] == "nopiece":
                pv = v or last or 1
            else:
                pv = clus.assign(it)
            if on_piece is not None:
                on_piece(it, pv)
            v = pv
            segs.append((it[1] / 1000.0, it[2] / 1000.0, pv))
        last = v
    d = rec["dur"]
    return [(max(0.0, s), min(d, e), v) for s, e, v in segs if min(d, e) > max(0.0, s)]


def capture_ami(clips_dir, folds_path):
    """{clip: capture() of it with its fold's detector (the folds' JSON), plus its reference}."""
    from talkpuck.detection import train
    from talkpuck.detection.lofo import fold_params

    with open(folds_path) as f:
        folds = json.load(f)
    clips = train.load_material(clips_dir, False)
    ami = {}
    for n in sorted(clips):
        d = folds[n]
        ami[n] = capture(clips[n][0][4], fold_params(d["W"], d["B"], d))
        ami[n]["ref"] = clips[n][0][5]
        print("captured", n, flush=True)
    return ami


class Firmware:
    """puckcore.vectorvoices.VectorVoices (the firmware's integers) with given thresholds."""

    def __init__(self, new_q10, sure_q10, min_new):
        from puckcore.detect_params import DetectParams as P
        from puckcore.vectorvoices import VectorVoices

        self.vv = VectorVoices(P.max_voices, 12, new_q10, sure_q10, min_new, P.voice_weight_cap)

    def reset(self):
        self.vv.reset()

    def assign(self, it):
        return self.vv.assign(array("i", it[3]), it[5])


class ShortLast(Firmware):
    """The firmware's clustering, but a piece of fewer than `short` voiced frames keeps the voice of the
    piece before it instead of going to the nearest voice (its vector pools too few frames to trust)."""

    def __init__(self, new_q10, sure_q10, min_new, short):
        super().__init__(new_q10, sure_q10, min_new)
        self.short = short

    def reset(self):
        super().reset()
        self.last = 0

    def assign(self, it):
        if it[5] < self.short and self.last:
            return self.last
        self.last = super().assign(it)
        return self.last


class Proto:
    """Float prototype of VectorVoices (same decisions with the defaults) plus the variants:
    adapt: new-voice distance = k x a spread that follows each accepted piece's distance (1/8 per
    piece, within smin-smax), like the pitch clusters' adaptive spread (detection.md §7);
    beta: vectors minus beta x the session's running mean of pooled projections (centres kept unscaled);
    wp: distance = cosine distance + wp x |pitch difference| in octaves;
    rel: a candidate is also confirmed by a piece nearer to it than to every voice."""

    def __init__(self, thr=0.30, sure=1.5, min_new=60, adapt=False, k=2.0, s0=0.15, smin=0.05, smax=0.3,
                 beta=0.0, wp=0.0, rel=False, maxv=6, cap=2000):
        self.o = dict(thr=thr, sure=sure, min_new=min_new, adapt=adapt, k=k, s0=s0, smin=smin, smax=smax,
                      beta=beta, wp=wp, rel=rel, maxv=maxv, cap=cap)

    def reset(self):
        self.C, self.P, self.W, self.cand = [], [], [], None
        self.msum, self.mw, self.spread = np.zeros(12), 0.0, self.o["s0"]

    def _unit(self, r):
        if self.o["beta"] and self.mw > 0:
            r = r - self.o["beta"] * self.msum / self.mw
        n = np.linalg.norm(r)
        return r / n if n > 0 else r

    def _d(self, a, pa, b, pb):
        return 1 - self._unit(a) @ self._unit(b) + self.o["wp"] * abs(pa - pb) / 4096.0

    def assign(self, it):
        o = self.o
        r = np.array(it[4] if o["beta"] else it[3], float)
        pitch, cnt = it[6], it[5]
        self.msum += r * cnt
        self.mw += cnt
        if not self.C:
            return self._new(r, pitch, cnt)
        ds = [self._d(r, pitch, c, p) for c, p in zip(self.C, self.P)]
        j = int(np.argmin(ds))
        d1 = ds[j]
        lim = o["k"] * self.spread if o["adapt"] else o["thr"]
        if d1 > lim and cnt >= o["min_new"] and len(self.C) < o["maxv"]:
            dc = self._d(r, pitch, *self.cand) if self.cand is not None else 9.0
            if dc < lim or (o["rel"] and dc < d1) or d1 > o["sure"] * lim:
                return self._new(r, pitch, cnt)
            self.cand = (r, pitch)
            return j + 1
        w = min(self.W[j] + cnt, o["cap"])
        self.C[j] = self.C[j] + (r - self.C[j]) * cnt / w
        self.P[j] = self.P[j] + (pitch - self.P[j]) * cnt / w
        self.W[j] += cnt
        if o["adapt"] and d1 <= lim:
            self.spread = min(max(self.spread + (d1 - self.spread) / 8, o["smin"]), o["smax"])
        return j + 1

    def _new(self, r, pitch, cnt):
        self.C.append(r.copy())
        self.P.append(pitch)
        self.W.append(cnt)
        self.cand = None
        return len(self.C)


def merged(segs):
    """Segments with back-to-back pieces of one voice joined (the detector reports them as one)."""
    out = []
    for s, e, v in segs:
        if out and out[-1][2] == v and abs(out[-1][1] - s) < 1e-6:
            out[-1] = (out[-1][0], e, v)
        else:
            out.append((s, e, v))
    return [(round(s, 3), round(e, 3), v) for s, e, v in out]


def objective(p):
    return p["talk_share_error"] / 16.0 + p["der"] / 0.36


def rows_of(data, make):
    return [score_file(n, r["ref"], replay(r, make()), r["dur"]) for n, r in sorted(data.items())]


def family(ami, conv, points, make, label, out):
    """Pooled figures per point (AMI and the conversations) and the nested AMI figure."""
    per = []
    for pt in points:
        ra = rows_of(ami, lambda pt=pt: make(pt))
        per.append(ra)
        pa = pool(ra)
        cs = "| - | -"
        if conv:
            pc = pool(rows_of(conv, lambda pt=pt: make(pt)))
            cs = "| %.3f | %.1f" % (pc["der"], pc["talk_share_error"])
        out.append("| %s | %s | %.3f | %.1f %s |" % (label, json.dumps(pt, sort_keys=True).replace("|", "/"),
                                                     pa["der"], pa["talk_share_error"], cs))
        print(out[-1], flush=True)
    chosen = []
    for test in sorted(ami):
        best = min(range(len(points)), key=lambda i: objective(pool([r for r in per[i] if r["file"] != test])))
        chosen += [r for r in per[best] if r["file"] == test]
    p = pool(chosen)
    return "| %s | %d points | **%.3f** | **%.1f** |" % (label, len(points), p["der"], p["talk_share_error"])


def majority(ref, s, e):
    tot = {}
    for rs, re_, spk in ref:
        o = min(e, re_) - max(s, rs)
        if o > 0:
            tot[spk] = tot.get(spk, 0.0) + o
    if not tot:
        return None, 0.0
    k = max(tot, key=tot.get)
    return k, tot[k] / (e - s)


def separation(data, lo=30, hi=1 << 30):
    """Mean cosine distance of pieces (lo..hi-1 voiced frames, >= 80 % one speaker) of the same
    and of different speakers in one recording, the pitch difference in semitones, and the share of
    (same, different) pairs ordered right (AUC)."""
    same, diff, psame, pdiff = [], [], [], []
    for r in data.values():
        ps = []
        for t in r["turns"]:
            for it in t:
                if it[0] == "piece" and lo <= it[5] < hi:
                    spk, pur = majority(r["ref"], it[1] / 1000.0, it[2] / 1000.0)
                    if pur >= 0.8:
                        ps.append((it, spk))
        for i in range(len(ps)):
            for j in range(i + 1, len(ps)):
                (a, sa), (b, sb) = ps[i], ps[j]
                d = 1.0 - float(np.dot(a[3], b[3])) / (1024.0 * 1024.0)
                pd = abs(a[6] - b[6]) / 4096.0 * 12.0
                (same if sa == sb else diff).append(d)
                (psame if sa == sb else pdiff).append(pd)

    def auc(s, d):
        if not s or not d:
            return float("nan")
        s, d = np.array(s), np.array(d)
        return float(((d[:, None] > s[None, :]).sum() + 0.5 * (d[:, None] == s[None, :]).sum()) / (len(s) * len(d)))

    return len(same), len(diff), np.mean(same), np.mean(diff), auc(same, diff), np.mean(psame), np.mean(pdiff), auc(psame, pdiff)


def offline_true_count(data):
    """Pieces clustered offline (average linkage, cosine) into the number of speakers with >= 2 s of talk."""
    from scipy.cluster.hierarchy import fcluster, linkage

    class Fixed:
        def __init__(self, labels):
            self.labels = labels

        def reset(self):
            self.i = 0

        def assign(self, it):
            self.i += 1
            return self.labels[self.i - 1]

    rows = []
    for n, r in sorted(data.items()):
        ps = [it for t in r["turns"] for it in t if it[0] == "piece"]
        talk = {}
        for s, e, spk in r["ref"]:
            talk[spk] = talk.get(spk, 0.0) + e - s
        k = sum(1 for t in talk.values() if t >= 2.0)
        if len(ps) <= k:
            labels = list(range(1, len(ps) + 1))
        else:
            X = np.array([it[3] for it in ps], float)
            labels = [int(v) for v in fcluster(linkage(X, "average", metric="cosine"), k, "maxclust")]
        rows.append(score_file(n, r["ref"], replay(r, Fixed(labels)), r["dur"]))
    return pool(rows)


def load(args):
    if args.cache and os.path.exists(args.cache):
        with open(args.cache, "rb") as f:
            return pickle.load(f)
    ami = capture_ami(args.dir, args.folds)
    conv = {}
    if args.conv:
        for nm in sorted(f[:-4] for f in os.listdir(args.conv) if f.endswith(".wav")):
            x, _ = read_wav(os.path.join(args.conv, nm + ".wav"))
            conv[nm] = capture(x)
            conv[nm]["ref"] = load_reference(os.path.join(args.conv, nm + ".rttm"), nm)
            print("captured", nm, flush=True)
    if args.cache:
        with open(args.cache, "wb") as f:
            pickle.dump((ami, conv), f)
    return ami, conv


def main(argv=None):
    from puckcore.detect_params import DetectParams as P

    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=os.path.join("data", "speech", "ami"))
    ap.add_argument("--folds", required=True, help="fold VAD models (bench/voice_bench.py --folds)")
    ap.add_argument("--conv", help="training-speaker conversations (never the frozen set)")
    ap.add_argument("--cache", help="keep the captured pieces here (read if present)")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    ami, conv = load(args)

    # the replay is the detector: the shipped clustering gives the detector's own segments
    for data in (ami, conv):
        for n, r in data.items():
            got = replay(r, Firmware(P.voice_vec_new_q10, P.voice_vec_sure_q10, P.voice_vec_min_new))
            assert merged(got) == merged(r["hyp"]), n
    print("replay of the shipped clustering == the detector's segments on %d recordings" % (len(ami) + len(conv)))

    out = ["| family | setting | AMI DER | AMI share | conv DER | conv share |", "|---|---|---|---|---|---|"]
    nested = ["| family | grid | AMI nested DER | AMI nested share |", "|---|---|---|---|"]
    fw = [dict(new_q10=n, sure_pct=150, min_new=m) for m in (30, 60) for n in (154, 205, 256, 307, 410)]

    def make_fw(pt):
        return Firmware(pt["new_q10"], pt["new_q10"] * pt["sure_pct"] // 100, pt["min_new"])

    nested.append(family(ami, conv, fw, make_fw, "firmware, voice_bench VECTOR_GRID", out))
    fw2 = [dict(new_q10=n, sure_pct=s, min_new=30) for s in (125, 150) for n in (205, 256, 307, 358, 410, 512)]
    nested.append(family(ami, conv, fw2, make_fw, "firmware, + 0.35 and 0.50, confirm-free at 1.25 or 1.5 x", out))
    fw3 = [dict(new_q10=n, sure_pct=s, min_new=30) for s in (125, 150)
           for n in (154, 205, 256, 307, 333, 358, 384, 410, 461, 512)]
    nested.append(family(ami, conv, fw3, make_fw, "firmware, a finer grid of the same", out))
    def make_short(pt):
        return ShortLast(pt["new_q10"], pt["new_q10"] * pt["sure_pct"] // 100, pt["min_new"], pt["short"])

    sl = [dict(new_q10=n, sure_pct=150, min_new=m, short=sh) for sh in (0, 30) for m in (30, 60)
          for n in (154, 205, 256, 307, 410)]
    nested.append(family(ami, conv, sl, make_short, "short pieces keep the last voice (0 or 30), VECTOR_GRID", out))
    sl2 = [dict(new_q10=p["new_q10"], sure_pct=p["sure_pct"], min_new=30, short=30) for p in fw3]
    nested.append(family(ami, conv, sl2, make_short, "short pieces (< 30) keep the last voice, the finer grid", out))
    grids = [
        ("adaptive threshold (k x spread)", [dict(adapt=True, k=k, s0=s0, min_new=m)
                                             for k in (1.5, 2.0, 2.5, 3.0) for s0 in (0.1, 0.15) for m in (30, 60)]),
        ("session-mean centred vectors", [dict(beta=b, thr=t, min_new=m)
                                          for b in (0.5, 0.8, 1.0) for t in (0.2, 0.3, 0.4, 0.5) for m in (30, 60)]),
        ("cosine + pitch distance", [dict(wp=w, thr=t, min_new=m)
                                     for w in (0.25, 0.5, 1.0) for t in (0.3, 0.4, 0.5) for m in (30, 60)]),
        ("relative confirmation", [dict(rel=True, sure=s, thr=t, min_new=m)
                                   for s in (1.25, 1.5) for t in (0.25, 0.3, 0.35, 0.4) for m in (30, 60)]),
    ]
    for label, pts in grids:
        nested.append(family(ami, conv, pts, lambda pt: Proto(**pt), label, out))

    sep = [("| material | piece length (voiced frames) | pairs same / diff | cosine dist. same | diff | AUC "
           "| pitch diff. same (st) | diff | AUC |"),
           "|---|---|---|---|---|---|---|---|---|"]
    for label, data in (("AMI clips, fold VAD", ami), ("training-speaker conversations", conv)):
        for lo, hi in ((30, 1 << 30), (30, 60), (60, 120), (120, 1 << 30)):
            if data:
                s = separation(data, lo, hi)
                sep.append(("| %s | %s | %d / %d | %.3f | %.3f | %.2f | %.2f | %.2f | %.2f |" % (
                    (label, "%d-%s" % (lo, hi - 1 if hi < (1 << 30) else "")) + s)).replace("nan", "-"))
    b = offline_true_count(ami)
    bound = ("Offline bound (AMI, labels from outside): the pieces clustered by vector into the number of speakers "
             "with >= 2 s of talk: DER %.3f, share %.1f" % (b["der"], b["talk_share_error"]))
    text = (["Nested leave-one-clip-out on AMI (fold VAD; the held-out clip never picks its setting):", ""] + nested
            + ["", "How far apart the pieces of one recording lie (>= 80 % one speaker):", ""] + sep
            + ["", bound, "", "Every setting (AMI pooled; training-speaker conversations pooled):", ""] + out)
    print("\n".join(text))
    if not args.no_record:
        append("The voice vector's clustering on AMI: variants replayed on the firmware's pieces", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

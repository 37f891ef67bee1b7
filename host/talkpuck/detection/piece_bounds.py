"""piece_bounds — what the puck's voice pieces could give at best, for bench/voice_bench.py.

The firmware cuts each turn into pieces (changepoint.py) and labels them online by mean pitch
(voices.py). Two bounds separate "the pieces are wrong" from "the labels are wrong":
- oracle labels: every piece takes the reference speaker it overlaps most (perfect clustering of
  the puck's own pieces);
- offline pitch clustering: the whole file's pieces clustered by mean pitch into the true number of
  speakers (weighted 1-D k-means), i.e. the pitch feature with hindsight and a known head count,
  which the puck never has;
- hindsight head count: the same clustering with the number of voices of each clip chosen so that
  the pooled talk-share error is lowest while pooled DER stays within a bound (`best_counts`):
  whether pitch could meet the targets if only the puck knew how many voices to make.
All run the unchanged firmware detector; only the voice clustering is swapped for a recorder.
"""
import numpy as np

from talkpuck.detection.runner import run_detector


class PieceRecorder:
    """Stands in for voices.VoiceClusters: every piece gets its own id, its pitch is kept."""

    conf = 100

    def __init__(self):
        self.pieces = []  # (mean pitch code Q4, voiced frames) per piece id - 1

    def reset(self):
        pass

    def assign(self, mean_q4, count):
        self.pieces.append((mean_q4, count))
        return len(self.pieces)


def detect_pieces(samples, params):
    """Run the firmware detector; returns ([(start s, end s, piece id)], [(mean_q4, count)]).
    Turns too short to split keep the id of the piece before them, as on the puck."""
    from puckcore.detector import TurnDetector

    det = TurnDetector(params=params)
    det.vec = None  # type: ignore[assignment]  # pieces labelled by mean pitch (the recorder keeps it), not by the voice vector
    recorder = PieceRecorder()
    det.voices = recorder  # type: ignore[assignment]  # stands in for the clustering: assign() is all the detector calls
    hyp, _ = run_detector(samples, det)
    return hyp, recorder.pieces


def _overlap(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))


def oracle_labels(hyp, ref):
    """Each piece id relabelled with the reference speaker it overlaps most ("none" if none)."""
    score: dict[tuple, float] = {}
    for s, e, pid in hyp:
        for rs, re_, spk in ref:
            o = _overlap(s, e, rs, re_)
            if o > 0:
                key = (pid, spk)
                score[key] = score.get(key, 0.0) + o
    best: dict = {}
    for (pid, spk), o in score.items():
        if o > best.get(pid, (None, 0.0))[1]:
            best[pid] = (spk, o)
    return [(s, e, best[pid][0] if pid in best else "none") for s, e, pid in hyp]


def kmeans_1d(values, weights, k, iters=50):
    """Weighted 1-D k-means, deterministic: the best of inits at weighted quantiles and at even
    steps between min and max. Returns the cluster index of each value."""
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if k <= 1 or len(x) <= 1:
        return np.zeros(len(x), dtype=int)
    k = min(k, len(np.unique(x)))
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    inits = [x[order][np.searchsorted(cum, (np.arange(k) + 0.5) / k)],
             np.linspace(x.min(), x.max(), k)]
    best: tuple | None = None
    for c in inits:
        c = np.array(c, dtype=float)
        for _ in range(iters):
            a = np.argmin(np.abs(x[:, None] - c[None, :]), axis=1)
            new = np.array([np.average(x[a == j], weights=w[a == j]) if np.any(a == j) else c[j] for j in range(k)])
            if np.allclose(new, c):
                break
            c = new
        a = np.argmin(np.abs(x[:, None] - c[None, :]), axis=1)
        cost = float(np.sum(w * (x - c[a]) ** 2))
        if best is None or cost < best[0]:
            best = (cost, a)
    assert best is not None        # two starts, each sets it
    return best[1]


def clustered_labels(hyp, pieces, k):
    """Piece ids relabelled 1..k by weighted 1-D k-means of their mean pitch."""
    if not pieces:
        return list(hyp)
    a = kmeans_1d([m for m, _ in pieces], [c for _, c in pieces], k)
    return [(s, e, int(a[pid - 1]) + 1) for s, e, pid in hyp]


def best_counts(rows_by_k, der_max):
    """rows_by_k[name][k-1]: a score_file row of each clip for k = 1.. voices. Returns the rows of the
    choice of k per clip with the lowest pooled talk-share error among those with pooled DER <=
    der_max (None if no choice qualifies). Exhaustive: fine for the ten dev clips (4**10 choices)."""
    import itertools

    names = [n for n in sorted(rows_by_k) if "der" in rows_by_k[n][0]]

    def parts(r):
        d = r["der_parts"]
        return (d["missed detection"] + d["false alarm"] + d["confusion"], d["total"],
                sum(r["share_errors"]), len(r["share_errors"]))

    table = [[parts(r) for r in rows_by_k[n]] for n in names]
    best = None
    for ks in itertools.product(*[range(len(t)) for t in table]):
        err = tot = share = cnt = 0.0
        for t, k in zip(table, ks):
            e, to, sh, c = t[k]
            err += e
            tot += to
            share += sh
            cnt += c
        if tot and err / tot <= der_max and (best is None or share / cnt < best[0]):
            best = (share / cnt, ks)
    if best is None:
        return None
    return [rows_by_k[n][k] for n, k in zip(names, best[1])]

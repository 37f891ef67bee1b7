"""metrics — the detector's scores, exactly as issue 3 defines them (see docs/detection.md §5).

All pooled figures are sums over frames / files / speakers, not means of per-file figures.
"""
import numpy as np

FRAME_S = 0.010
TOL_S = 0.5


def merge_same_voice(segments):
    """Merge overlapping or touching segments of the same voice (a hypothesis never counts one
    voice twice at once)."""
    out = []
    for v in sorted({k for _, _, k in segments}, key=str):
        cur = None
        for s, e, _ in sorted(x for x in segments if x[2] == v):
            if cur is not None and s <= cur[1]:
                cur[1] = max(cur[1], e)
            else:
                if cur is not None:
                    out.append(tuple(cur))
                cur = [s, e, v]
        if cur is not None:
            out.append(tuple(cur))
    return sorted(out, key=lambda x: (x[0], x[1], str(x[2])))


def frame_labels(segments, duration):
    """Boolean array of 10 ms frames whose centre lies in any segment (speakers merged)."""
    n = int(round(duration / FRAME_S))
    centres = (np.arange(n) + 0.5) * FRAME_S
    lab = np.zeros(n, dtype=bool)
    for s, e, _ in segments:
        lab |= (centres >= s) & (centres < e)
    return lab


def frame_counts(ref, hyp, duration):
    r = frame_labels(ref, duration)
    h = frame_labels(hyp, duration)
    return {
        "tp": int(np.sum(r & h)),
        "fp": int(np.sum(~r & h)),
        "fn": int(np.sum(r & ~h)),
        "tn": int(np.sum(~r & ~h)),
    }


def frame_scores(c):
    tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    acc = (tp + tn) / max(1, tp + fp + fn + tn)
    return {"precision": p, "recall": r, "f1": f1, "accuracy": acc}


def speakers(segments):
    return sorted({spk for _, _, spk in segments})


def reference_changes(ref):
    """Times where a segment of a new speaker begins, after merging consecutive same-speaker segments."""
    segs = sorted(ref)
    changes = []
    prev = None
    for s, _e, spk in segs:
        if prev is not None and spk != prev:
            changes.append(s)
        prev = spk
    return changes


def hypothesis_boundaries(hyp):
    """Boundaries of the hypothesis as intervals: each gap between segments (start=end of one,
    end=start of the next) and each change of voice label between touching/overlapping segments."""
    segs = sorted(hyp)
    out = []
    for (_s0, e0, v0), (s1, _e1, v1) in zip(segs, segs[1:]):
        if s1 > e0:
            out.append((e0, s1))
        elif v1 != v0:
            out.append((s1, s1))
    return out


def match_boundaries(changes, bounds, tol=TOL_S):
    """One-to-one matches of reference changes to hypothesis boundaries within tol (max matching)."""
    if not changes or not bounds:
        return 0
    from scipy.optimize import linear_sum_assignment

    cost = np.zeros((len(changes), len(bounds)))
    for i, c in enumerate(changes):
        for j, (a, b) in enumerate(bounds):
            d = 0.0 if a <= c <= b else min(abs(c - a), abs(c - b))
            cost[i, j] = 0.0 if d <= tol else 1.0
    rows, cols = linear_sum_assignment(cost)
    return int(sum(1 for i, j in zip(rows, cols) if cost[i, j] == 0.0))


def _annotation(segs, uri):
    from pyannote.core import Annotation, Segment

    a = Annotation(uri=uri)
    for k, (s, e, spk) in enumerate(segs):
        if e > s:
            a[Segment(s, e), k] = str(spk)
    return a


def der_components(ref, hyp, duration, uri, collar):
    """pyannote.metrics DiarizationErrorRate components for one file (skip_overlap=False)."""
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    uem = Timeline([Segment(0, duration)])
    comp = metric(_annotation(ref, uri), _annotation(hyp, uri), uem=uem, detailed=True)
    return {k: float(comp[k]) for k in ("total", "missed detection", "false alarm", "confusion")}


def talk_share_errors(ref, hyp):
    """Per reference speaker: |reference share - mapped voice's hypothesis share| in points."""
    from scipy.optimize import linear_sum_assignment

    rs, hs = speakers(ref), speakers(hyp)
    rdur = {s: sum(e - b for b, e, k in ref if k == s) for s in rs}
    hdur = {s: sum(e - b for b, e, k in hyp if k == s) for s in hs}
    rtot = sum(rdur.values()) or 1.0
    htot = sum(hdur.values()) or 1.0
    mapped = {}
    if hs:
        ov = np.zeros((len(rs), len(hs)))
        for i, r in enumerate(rs):
            for j, h in enumerate(hs):
                ov[i, j] = _overlap([x for x in ref if x[2] == r], [x for x in hyp if x[2] == h])
        rows, cols = linear_sum_assignment(-ov)
        for i, j in zip(rows, cols):
            mapped[rs[i]] = hs[j]
    errs = []
    for r in rs:
        h = mapped.get(r)
        hshare = hdur[h] / htot if h is not None else 0.0
        errs.append(100.0 * abs(rdur[r] / rtot - hshare))
    return errs


def _overlap(a, b):
    tot = 0.0
    for s0, e0, _ in a:
        for s1, e1, _ in b:
            tot += max(0.0, min(e0, e1) - max(s0, s1))
    return tot


def remote_truth_frames(ref, ref_remote, duration):
    """Per 10 ms frame: (centre s, exactly one reference speaker talks, that talk is remote)."""
    n = int(round(duration / FRAME_S))
    centres = (np.arange(n) + 0.5) * FRAME_S
    count = np.zeros(n, dtype=int)
    truth = np.zeros(n, dtype=bool)
    for s, e, k in ref:
        m = (centres >= s) & (centres < e)
        count += m
        truth |= m & bool(ref_remote.get(k, False))
    return centres, count == 1, truth


def remote_frames(ref, ref_remote, hyp, hyp_remote, duration):
    """The `remote` flag (issue 15), per 10 ms frame where exactly one reference speaker talks and
    the hypothesis has a voice: is the voice's flag (absent = in the room) that speaker's?
    hyp_remote: {voice: flag} (one flag per voice), or a list of flags aligned with hyp (one per
    segment: a frame takes the flag of the first segment covering it).
    Returns counts {frames, correct, remote_frames, remote_correct}; pooled by summing."""
    centres, one, truth = remote_truth_frames(ref, ref_remote, duration)
    n = len(centres)
    has = np.zeros(n, dtype=bool)
    flag = np.zeros(n, dtype=bool)
    per_seg = isinstance(hyp_remote, (list, tuple))
    for i, (s, e, v) in enumerate(hyp):
        m = (centres >= s) & (centres < e) & ~has
        has |= m
        f = hyp_remote[i] if per_seg else (hyp_remote or {}).get(v, False)
        flag |= m & bool(f)
    use = one & has
    ok = use & (flag == truth)
    return {"frames": int(use.sum()), "correct": int(ok.sum()), "remote_frames": int((use & truth).sum()),
            "remote_correct": int((ok & truth).sum())}

"""remote_turns — a remote flag per turn instead of per voice? (issue 15, replay prototype)

Usage: .venv/bin/python bench/remote_turns.py DIR [DIR ...] [--cache-dir D] [--choose] [--rule NAME]
                                               [--append]

Today an `evt/turn`'s `remote` is its voice's flag, pooled over all that voice's talk
(remote.RemoteCue), and `talkpuck eval` scores each detected voice's final flag. Where the clustering
put a loudspeaker person and a room person into one voice, that one flag is partly wrong whatever it
says (docs/detection.md 8.2). This replays a flag per turn piece (each EV_TURN_END): the shipped
remote model applied to that piece's own voiced frames (the same RemoteCue features, as if the piece
were a voice of its own), falling back to or blended with its voice's pooled flag as the puck would
know it when the piece is reported (its own frames and every earlier piece of that voice pooled).

The detector runs once per conversation (cached in D/<folder name>.pkl): per EV_TURN_END its span,
voice, turn number and the level/low bytes of every piece `RemoteCue.take` gave it. Then, scored as
`talkpuck eval` scores the flag but with each 10 ms frame taking the flag of the piece covering it
(`metrics.remote_frames` with a list of per-segment flags):

- per voice, final: each voice's flag at the end (today's scorer, `voices[].remote`);
- per voice, online: the voice's flag when each piece is reported (what `evt/turn` carries today);
- own: the piece's own cue (a piece without voiced frames of its own: the voice's online flag);
- fallback N/M: own cue when the piece has >= N voiced frames and |score| >= M (score units: the
  model's, x256 logits), else the voice's online flag;
- blend K: score = (n s_own + K s_voice) / (n + K) (s_voice left out before the voice has its
  REMOTE_MIN_FRAMES; a piece with neither: in the room).

--choose picks the rule with the best mean over the folders (use it on training-speaker
conversations only); --rule NAME reports that rule beside the per-voice flags and the own cue
alone (the frozen set: report, never choose). Per folder and per loudspeaker simulation, with the best any per-piece flag
can do (each piece as the majority of its reference time) and a bootstrap interval of the gain.
"""
import argparse
import os
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "host"))
sys.path.insert(0, os.path.join(HERE, "..", "firmware"))

NS = (25, 50, 100, 150, 200, 300)
MARGINS = (0, 128, 256, 512, 1024)
KS = (25, 50, 100, 200, 400, 800, 1600)


def capture(x):
    """The shipped detector over x; returns its events with their remote-cue bytes and final flags."""
    from puckcore.detector import EV_TURN_END, TurnDetector
    from puckcore.ticks import ticks_diff

    from talkpuck.detection.audio import RATE
    from talkpuck.detection.runner import T0, run_detector

    det = TurnDetector()
    rc = det.remote
    pending = []  # takes since the last EV_TURN_END: (voice, lvl bytes, low bytes)
    evs = []
    turn = [0]
    take0, put0, end0 = rc.take, det.events.put, det._end_turn

    def take(voice, a, b):
        pending.append((voice, bytes(rc.lvl[a:b]), bytes(rc.low[a:b])))
        take0(voice, a, b)

    def put(ev):
        if ev[0] == EV_TURN_END:
            v = ev[3]
            k = 0
            while k < len(pending) and pending[k][0] == v:
                k += 1
            evs.append({"s": ticks_diff(ev[1], T0) / 1000.0, "e": ticks_diff(ev[2], T0) / 1000.0, "voice": v,
                        "turn": turn[0], "takes": [(p[1], p[2]) for p in pending[:k]]})
            del pending[:k]
        put0(ev)

    def end_turn():
        end0()
        turn[0] += 1

    rc.take, det.events.put, det._end_turn = take, put, end_turn
    remote = {}
    hyp, _ = run_detector(x, det, remote_out=remote)
    d = len(x) / float(RATE)
    for e in evs:
        e["s"], e["e"] = max(0.0, e["s"]), min(d, e["e"])
    return {"events": [e for e in evs if e["e"] > e["s"]], "final": remote, "hyp": hyp, "dur": d}


def run(folder, cache):
    from remote_replay import cached_runs
    return cached_runs(folder, cache, capture)


class Model:
    def __init__(self, W, B, min_frames):
        self.W, self.B, self.min = W, B, min_frames

    def score(self, f):
        return self.B + sum(w * x for w, x in zip(self.W, f))


def piece_scores(r, model):
    """Per event: (own score or None, own voiced frames, voice score or None, voice flag), the voice's
    as the puck knows it when the piece is reported (its takes and every earlier one pooled; the
    next piece of the same turn, another voice, changes nothing of this voice). Replays RemoteCue."""
    from puckcore.remote import NS, RemoteCue

    pooled = RemoteCue(8, 1, fast=False)
    own = RemoteCue(1, 1, fast=False)
    out = []
    for e in r["events"]:
        v = e["voice"]
        own.reset()
        n = 0
        for lv, lo in e["takes"]:
            lv, lo = bytearray(lv), bytearray(lo)
            own._acc(lv, lo, 0, len(lv), own.hist, 0, own.sums, 0)
            pooled._acc(lv, lo, 0, len(lv), pooled.hist, (v - 1) * 96, pooled.sums, NS * (v - 1))
            n += len(lv)
        f = own.features(1)
        nv = pooled.sums[NS * (v - 1) + 1]
        fv = pooled.features(v)
        sv = model.score(fv) if (fv is not None and nv >= model.min) else None
        out.append((model.score(f) if f is not None else None, n, sv, sv is not None and sv >= 0))
    final = {}
    for v in range(1, 9):
        f = pooled.features(v)
        final[v] = f is not None and pooled.sums[NS * (v - 1) + 1] >= model.min and model.score(f) >= 0
    return out, final


def rules():
    out = [("per voice, final (today's scorer)", "final"), ("per voice, online (as each piece is reported)", "online"),
           ("own cue only", ("own",))]
    for n in NS:
        for m in MARGINS:
            out.append(("fallback N=%d M=%d" % (n, m), ("fb", n, m)))
    for k in KS:
        out.append(("blend K=%d" % k, ("blend", k)))
    return out


def flags(scores, final, voices, rule):
    res = []
    for (so, n, sv, fv), v in zip(scores, voices):
        if rule == "final":
            res.append(final[v])
        elif rule == "online":
            res.append(fv)
        elif rule[0] == "own":
            res.append(so >= 0 if so is not None else fv)
        elif rule[0] == "fb":
            res.append(so >= 0 if (so is not None and n >= rule[1] and abs(so) >= rule[2]) else fv)
        else:
            k = rule[1]
            if so is None and sv is None:
                res.append(False)
            elif sv is None:
                res.append(so >= 0)
            elif so is None:
                res.append(sv >= 0)
            else:
                res.append(n * so + k * sv >= 0)
    return res


def score(folder, runs, rule, model, by_sim=None, per_conv=None):
    """Pooled remote-right counts over the folder's conversations (and per simulation into by_sim)."""
    from talkpuck.detection import metrics
    from talkpuck.detection.evaluate import load_reference

    tot = {"frames": 0, "correct": 0, "remote_frames": 0, "remote_correct": 0}
    for r in runs:
        info = r["info"]
        ref = load_reference(os.path.join(folder, info["name"] + ".rttm"), info["name"])
        truth = {v["name"]: v["remote"] for v in info["speakers"]}
        if "_scores" not in r:
            r["_scores"] = piece_scores(r, model)
        sc, final = r["_scores"]
        evs = r["events"]
        hyp = [(e["s"], e["e"], e["voice"]) for e in evs]
        if rule == "oracle":
            fl = oracle(ref, truth, hyp, r["dur"])
        else:
            fl = flags(sc, final, [e["voice"] for e in evs], rule)
        c = metrics.remote_frames(ref, truth, hyp, fl, r["dur"])
        for k in tot:
            tot[k] += c[k]
        if per_conv is not None:
            per_conv.append(c)
        if by_sim is not None:
            d = by_sim.setdefault(info["remote_sim"] or "none", {k: 0 for k in tot})
            for k in tot:
                d[k] += c[k]
    return tot


def oracle(ref, truth, hyp, dur):
    """Each piece flagged as the majority of its single-voice reference time (the best any per-piece
    flag can do: a piece that itself spans a room and a loudspeaker person stays partly wrong)."""
    from talkpuck.detection.metrics import remote_truth_frames

    c, one, rem = remote_truth_frames(ref, truth, dur)
    out = []
    for s, e, _ in hyp:
        m = (c >= s) & (c < e) & one
        out.append(int((m & rem).sum()) > int((m & ~rem).sum()))
    return out


def bootstrap(base, new, reps=2000, seed=1):
    """90 % interval of the pooled accuracy gain new - base, resampling conversations."""
    import numpy as np

    rng = np.random.default_rng(seed)
    f = np.array([c["frames"] for c in base], dtype=float)
    cb = np.array([c["correct"] for c in base], dtype=float)
    cn = np.array([c["correct"] for c in new], dtype=float)
    d = []
    for _ in range(reps):
        i = rng.integers(0, len(f), len(f))
        d.append((cn[i].sum() - cb[i].sum()) / max(1.0, f[i].sum()))
    return float(np.percentile(d, 5)), float(np.percentile(d, 95))


def acc(c):
    return c["correct"] / c["frames"] if c["frames"] else 0.0


def main(argv=None):
    from results import append

    from puckcore import voice_model as m

    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--cache-dir")
    ap.add_argument("--choose", action="store_true", help="grid of rules, best mean over the folders (training only)")
    ap.add_argument("--rule", action="append", default=[], help="a rule name to report, e.g. 'fallback N=100 M=256'")
    ap.add_argument("--append", action="store_true")
    a = ap.parse_args(argv)
    model = Model(m.REMOTE_W, m.REMOTE_B, m.REMOTE_MIN_FRAMES)
    runs = {}
    for folder in a.folders:
        cache = (os.path.join(a.cache_dir, "turns-" + os.path.basename(os.path.normpath(folder)) + ".pkl")
                 if a.cache_dir else None)
        runs[folder] = run(folder, cache)
    # check: the replayed final per-voice flags are the detector's own
    for folder in a.folders:
        for r in runs[folder]:
            _, final = piece_scores(r, model)
            for v, f in r["final"].items():
                assert final[v] == f, (r["info"]["name"], v, f)
    names = [os.path.basename(os.path.normpath(f)) for f in a.folders]
    allr = rules()
    chosen = [x for x in allr if x[0] in a.rule]
    todo = allr if a.choose else allr[:3] + chosen
    todo = todo + [("best per-piece flag (each piece as the majority of its time)", "oracle")]
    results = []
    convs = {}
    for name, rule in todo:
        by_sim = {}
        pc = convs[name] = []
        vals = [acc(score(f, runs[f], rule, model, by_sim, pc)) for f in a.folders]
        pooled = {k: sum(d[k] for d in by_sim.values()) for k in ("frames", "correct", "remote_frames", "remote_correct")}
        results.append((name, vals, sum(vals) / len(vals), acc(pooled), by_sim))
    sims = sorted({s for _, _, _, _, b in results for s in b})
    head = "| rule | " + " | ".join(names) + " | mean over folders | pooled | " + " | ".join(sims) + " |"
    lines = [head, "|---" * (len(names) + 3 + len(sims)) + "|"]
    cand = results[3:-1]
    show = results if not a.choose else results[:3] + sorted(cand, key=lambda x: -x[2])[:12] + results[-1:]
    for name, vals, mean, pooled, by_sim in show:
        lines.append("| %s | %s | %.3f | %.3f | %s |" % (name, " | ".join("%.3f" % v for v in vals), mean, pooled,
                                                       " | ".join("%.3f" % acc(by_sim[s]) if s in by_sim else "-"
                                                                  for s in sims)))
    text = "\n".join(lines)
    print(text)
    best = max(cand, key=lambda x: x[2]) if a.choose else (cand[0] if cand else None)
    if best is not None:
        lo, hi = bootstrap(convs[results[0][0]], convs[best[0]])
        line = ("%s: mean over folders %.3f (per voice, final %.3f); pooled gain over per voice, final %+.3f,"
                " 90 %% interval over conversations (bootstrap) %+.3f .. %+.3f"
                % (("best by mean over folders" if a.choose else "reported"), best[2], results[0][2],
                   best[3] - results[0][3], lo, hi))
        print(line)
        text += "\n\n" + line
    if a.append:
        append("Remote flag per turn piece vs per voice, replayed (issue 15, bench/remote_turns.py)",
               ["Remote right (share of single-voice reference time whose covering piece carries the right flag),"
                " the detector's own voices and pieces; %s." % ("rules chosen here: training speakers" if a.choose
                                                                else "reported, nothing chosen"), "", text],
               command=".venv/bin/python bench/remote_turns.py "
               + shlex.join(argv if argv is not None else sys.argv[1:]))


if __name__ == "__main__":
    main()

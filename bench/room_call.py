"""room_call — how close the host's "the call had N % of the talk" comes to the truth (issue 15).

Usage: .venv/bin/python bench/room_call.py [DIR | --fixture] [--no-record]
DIR: the frozen validation conversations (`talkpuck make-conversations --speech --frozen-val --out
DIR`, default .cache/voices-val); --fixture: the three short conversations the repository builds
from data/speech/voices-val (a fresh clone can run it). Each conversation goes through the firmware
detector on CPython (talkpuck.detection.runner, as `talkpuck eval`); each voice takes the puck's last
`remote` decision (what the host's figures use: analytics.metrics.places) and the call's share of
the talk is the host's own `room_and_call`. The truth is the reference: the loudspeaker speakers'
talk time over all speakers' (overlap counted for each, as talk time per person is). Error in
percentage points; the "no flag" row is a host that cannot tell (every call share 0). Nothing was
tuned on these conversations.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from results import append  # noqa: E402


def true_share(segments, remote):
    """segments: [(start_s, end_s, speaker)]; remote: {speaker: bool} -> the call's share of talk."""
    total = sum(e - s for s, e, _ in segments)
    call = sum(e - s for s, e, who in segments if remote.get(who))
    return call / total if total else 0.0


def host_share(segs, flags):
    """The host's figure from the detector's turns and each voice's last remote decision."""
    from talkpuck.analytics.metrics import room_and_call
    turns = [{"voice": v, "start_ms": int(s * 1000), "end_ms": int(e * 1000), "remote": bool(flags.get(v))}
             for s, e, v in segs]
    rc = room_and_call(turns)
    return rc["call_share"] if rc else 0.0


def conversations(argv):
    """(name, samples, segments, {speaker: remote}, sim) for each conversation."""
    from talkpuck.detection import speechconv as sc
    if "--fixture" in argv:
        for c in sc.fixture_conversations():
            yield (c.name, c.samples, [(s[0], s[1], s[2]) for s in c.segments], c.remote,
                   c.info.get("remote_sim"))
        return
    from talkpuck.detection.audio import read_wav
    from talkpuck.detection.evaluate import load_reference
    args = [a for a in argv if not a.startswith("--")]
    folder = args[0] if args else os.path.join(ROOT, ".cache", "voices-val")
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        infos = json.load(f)["conversations"]
    for info in infos:
        name = info["name"]
        x, _ = read_wav(os.path.join(folder, name + ".wav"))
        ref = load_reference(os.path.join(folder, name + ".rttm"), name)
        yield (name, x, [(s[0], s[1], s[2]) for s in ref], {v["name"]: v["remote"] for v in info["speakers"]},
               info.get("remote_sim"))


def main(argv):
    from talkpuck.detection.evaluate import talkpuck_system
    rows = []
    for name, x, ref, remote, sim in conversations(argv):
        segs, _cpu, flags = talkpuck_system(x)
        t = true_share(ref, remote)
        h = host_share(segs, flags)
        kind = sim if any(remote.values()) else "room"
        rows.append((name, kind, t, h))
        print("%s %-6s true %5.1f %%  host %5.1f %%  error %+5.1f pp" % (name, kind, 100 * t, 100 * h, 100 * (h - t)))

    def mae(sel, est):
        errs = [abs(est(r) - r[2]) for r in rows if sel(r)]
        return (100 * sum(errs) / len(errs), len(errs)) if errs else (None, 0)

    groups = [("all conversations", lambda r: True), ("all in the room", lambda r: r[1] == "room"),
              ("with `laptop` loudspeaker voices", lambda r: r[1] == "laptop"),
              ("with `other` loudspeaker voices (held-out simulation, Opus)", lambda r: r[1] == "other")]
    out = ["| conversations | n | talkpuck: mean abs. error of the call's share (pp) | no flag (call share 0) |",
           "|---|---|---|---|"]
    for label, sel in groups:
        ours, n = mae(sel, lambda r: r[3])
        if not n:
            continue
        base, _ = mae(sel, lambda r: 0.0)
        out.append("| %s | %d | %.1f | %.1f |" % (label, n, ours, base))
    print("\n".join(out))
    if "--no-record" not in argv:
        what = "the repository's three fixture conversations" if "--fixture" in argv else "the frozen validation set"
        append("The room and the call: the host's call share against the truth, on %s" % what, out)


if __name__ == "__main__":
    main(sys.argv[1:])

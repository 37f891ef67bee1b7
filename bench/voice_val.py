"""voice_val — the detector on the frozen speaker-disjoint validation conversations (issue 15).

Usage: .venv/bin/python bench/voice_val.py [DIR] [--no-record] [--vad-model FILE]
DIR holds the frozen set (`talkpuck make-conversations --speech --frozen-val --out DIR`); it is
written there first when it has no manifest.json (default DIR: .cache/voices-val). Rows: talkpuck
(voices and the remote flag), the same segments as one voice, and the equal-share prior with the
true number of voices; remote-flag accuracy pooled and per loudspeaker simulation. --vad-model FILE:
the detector with another VAD model (a file written by `talkpuck train-vad --out FILE`) instead of
firmware/puckcore/vad_model.py. Scored exactly as
`talkpuck eval` (talkpuck.detection.evaluate). Never tune anything on this set.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from results import append  # noqa: E402


def main(argv):
    from talkpuck.detection import speechconv as sc
    from talkpuck.detection.audio import RATE, read_wav
    from talkpuck.detection.evaluate import load_reference, pool, score_file, talkpuck_system

    model = None
    if "--vad-model" in argv:
        k = argv.index("--vad-model")
        model = argv[k + 1]
        argv = argv[:k] + argv[k + 2:]
        talkpuck_system = model_system(model)
    args = [a for a in argv if not a.startswith("--")]
    folder = args[0] if args else os.path.join(ROOT, ".cache", "voices-val")
    man = os.path.join(folder, "manifest.json")
    if not os.path.exists(man):
        sc.make_frozen_val(folder, sc.index_speakers(sc.find_speech_data(ROOT)), log=print)
    with open(man, encoding="utf-8") as f:
        infos = json.load(f)["conversations"]
    rows, one, by_sim = [], [], {}
    for info in infos:
        name = info["name"]
        x, _ = read_wav(os.path.join(folder, name + ".wav"))
        ref = load_reference(os.path.join(folder, name + ".rttm"), name)
        truth = {v["name"]: v["remote"] for v in info["speakers"]}
        hyp, cpu, remote = talkpuck_system(x)
        d = len(x) / float(RATE)
        r = score_file(name, ref, hyp, d, cpu, truth, remote)
        rows.append(r)
        one.append(score_file(name, ref, [(s, e, 1) for s, e, _ in hyp], d, cpu, truth, None))
        by_sim.setdefault(info["remote_sim"] or "none", []).append(r)
        print("%s DER %.3f share %.1f remote %.3f %s" % (name, r["der"], r["talk_share_error"],
                                                        r["remote"]["correct"] / max(1, r["remote"]["frames"]),
                                                        {v: remote[v] for v in sorted(remote)}))
    eq = [e for i in infos for e in i["equal_share_errors"]]
    p, q = pool(rows), pool(one)
    lines = ["| system | frame P | frame R | frame F1 | DER c0.25 | talk-share err | remote right (voice time) | RTF |",
             "|---|---|---|---|---|---|---|---|"]
    for label, r in (("talkpuck (voices, remote flag)", p), ("the same speech as one voice, all in the room", q)):
        lines.append("| %s | %.3f | %.3f | %.3f | %.3f | %.1f | %.3f | %.4f |" % (
            label, r["precision"], r["recall"], r["f1"], r["der"], r["talk_share_error"], r["remote_accuracy"],
            r["rtf"]))
    lines.append("| equal share to the true number of voices, no audio | - | - | - | - | %.1f | - | - |"
                 % (sum(eq) / len(eq)))
    lines.append("")
    lines.append("| conversations by loudspeaker | n | remote right (voice time) | loudspeaker voices flagged | DER |")
    lines.append("|---|---|---|---|---|")
    for sim in sorted(by_sim):
        r = pool(by_sim[sim])
        lines.append("| %s | %d | %.3f | %s | %.3f |" % (sim, len(by_sim[sim]), r["remote_accuracy"],
                                                       "-" if r["remote_recall"] is None else "%.3f" % r["remote_recall"],
                                                       r["der"]))
    text = "\n".join(lines)
    print(text)
    if "--no-record" not in argv:
        append("Frozen speaker-disjoint validation conversations (%d, seed %d, %.0f min)%s"
               % (len(infos), sc.FROZEN_VAL_SEED, sum(i["duration_s"] for i in infos) / 60.0,
                  ", VAD model %s" % model if model else ""),
               [text])


def model_system(path):
    """The detector with the VAD model in `path` (a vad_model.py written by train-vad)."""
    import importlib.util

    from puckcore.detector import TurnDetector

    from talkpuck.detection.lofo import fold_params
    from talkpuck.detection.runner import run_detector

    spec = importlib.util.spec_from_file_location("vad_model_alt", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    params = fold_params(m.W, m.B, dict(thr=m.Z_THR, hang=m.HANGOVER_FRAMES, gap=m.TURN_GAP_MS, min=m.TURN_MIN_MS,
                                        pre=m.PREROLL_MS))

    def system(samples):
        remote = {}
        segs, cpu = run_detector(samples, TurnDetector(params=params), remote_out=remote)
        return segs, cpu, remote

    return system


if __name__ == "__main__":
    main(sys.argv[1:])

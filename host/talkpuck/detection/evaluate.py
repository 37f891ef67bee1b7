"""evaluate — score a detector over a folder of NAME.wav + NAME.rttm, per file and pooled."""
import os

from talkpuck.detection import metrics
from talkpuck.detection.audio import RATE, read_wav
from talkpuck.detection.rttm import read_rttm
from talkpuck.detection.runner import run_detector
from talkpuck.errors import TalkpuckError


def talkpuck_system(samples):
    remote: dict[int, bool] = {}
    segs, cpu = run_detector(samples, remote_out=remote)
    return segs, cpu, remote


def find_pairs(folder):
    if not os.path.isdir(folder):
        raise TalkpuckError("eval: %s is not a folder" % folder)
    pairs = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".wav"):
            base = name[:-4]
            rttm = os.path.join(folder, base + ".rttm")
            if os.path.exists(rttm):
                pairs.append((base, os.path.join(folder, name), rttm))
    if not pairs:
        raise TalkpuckError("eval: no NAME.wav with a NAME.rttm reference in %s" % folder)
    return pairs


def load_reference(rttm_path, base):
    refs = read_rttm(rttm_path)
    if base in refs:
        return refs[base]
    return [seg for segs in refs.values() for seg in segs]


def score_file(name, ref, hyp, duration, cpu_s=0.0, ref_remote=None, hyp_remote=None):
    """All raw counts for one file (pooled by summing). ref_remote: {speaker: remote} when the
    reference says which voices come through a loudspeaker (generated conversations' NAME.json);
    hyp_remote: {voice: remote} from the detector (a voice it does not flag is in the room), or a
    list of flags, one per segment of hyp (a flag per turn piece: each frame is scored with the flag
    of the piece covering it)."""
    raw = hyp
    hyp = metrics.merge_same_voice(hyp)
    row = {"file": name, "duration_s": duration, "cpu_s": cpu_s, "speakers": len(metrics.speakers(ref))}
    if ref_remote is not None:
        per_piece = isinstance(hyp_remote, (list, tuple))
        row["remote"] = metrics.remote_frames(ref, ref_remote, raw if per_piece else hyp, hyp_remote, duration)
    row.update(metrics.frame_counts(ref, hyp, duration))
    row.update(metrics.frame_scores(row))
    if row["speakers"] >= 2:
        changes = metrics.reference_changes(ref)
        bounds = metrics.hypothesis_boundaries(hyp)
        matched = metrics.match_boundaries(changes, bounds)
        row.update({"changes": len(changes), "boundaries": len(bounds), "matched": matched})
        row["turn_recall"] = matched / len(changes) if changes else 0.0
        row["boundary_precision"] = matched / len(bounds) if bounds else 0.0
        for collar, key in ((0.25, "der"), (0.0, "der_c0")):
            comp = metrics.der_components(ref, hyp, duration, name, collar)
            row[key + "_parts"] = comp
            row[key] = (comp["missed detection"] + comp["false alarm"] + comp["confusion"]) / max(1e-9, comp["total"])
        errs = metrics.talk_share_errors(ref, hyp)
        row["share_errors"] = errs
        row["talk_share_error"] = sum(errs) / len(errs)
    row["rtf"] = cpu_s / duration if duration else 0.0
    return row


def pool(rows):
    c = {k: sum(r[k] for r in rows) for k in ("tp", "fp", "fn", "tn")}
    out = dict(c)
    out.update(metrics.frame_scores(c))
    multi = [r for r in rows if r["speakers"] >= 2]
    ch = sum(r["changes"] for r in multi)
    bd = sum(r["boundaries"] for r in multi)
    m = sum(r["matched"] for r in multi)
    out.update({"changes": ch, "boundaries": bd, "matched": m})
    out["turn_recall"] = m / ch if ch else 0.0
    out["boundary_precision"] = m / bd if bd else 0.0
    for key in ("der", "der_c0"):
        tot = sum(r[key + "_parts"]["total"] for r in multi)
        err = sum(
            r[key + "_parts"]["missed detection"] + r[key + "_parts"]["false alarm"] + r[key + "_parts"]["confusion"]
            for r in multi
        )
        out[key] = err / tot if tot else 0.0
    errs = [e for r in multi for e in r["share_errors"]]
    out["talk_share_error"] = sum(errs) / len(errs) if errs else 0.0
    dur = sum(r["duration_s"] for r in rows)
    out["duration_s"] = dur
    out["cpu_s"] = sum(r["cpu_s"] for r in rows)
    out["rtf"] = out["cpu_s"] / dur if dur else 0.0
    out["files"] = len(rows)
    rem = [r["remote"] for r in rows if "remote" in r]
    if rem:
        c = {k: sum(r[k] for r in rem) for k in rem[0]}
        out["remote"] = c
        out["remote_accuracy"] = c["correct"] / c["frames"] if c["frames"] else 0.0
        out["remote_recall"] = c["remote_correct"] / c["remote_frames"] if c["remote_frames"] else None
    return out


def evaluate_dir(folder, system=talkpuck_system):
    """system(samples int16 16 kHz) -> (segments [(s, e, voice)], cpu seconds[, {voice: remote}]).
    NAME.json beside NAME.rttm (generated conversations) adds the remote-flag figures."""
    from talkpuck.detection.speechconv import read_remote

    rows = []
    for base, wav, rttm in find_pairs(folder):
        samples, _ = read_wav(wav)
        duration = len(samples) / float(RATE)
        ref = load_reference(rttm, base)
        out = system(samples)
        hyp, cpu = out[0], out[1]
        hyp_remote = out[2] if len(out) > 2 else None
        rows.append(score_file(base, ref, hyp, duration, cpu, read_remote(folder, base), hyp_remote))
    return {"files": rows, "pooled": pool(rows)}


def format_table(result):
    head = "%-12s %5s %5s %5s %5s %5s %5s %5s %6s %6s %6s %7s" % (
        "file", "spk", "P", "R", "F1", "acc", "turnR", "bndP", "DER", "DER0", "share", "RTF")
    lines = [head]

    def line(name, r, spk):
        multi = "turn_recall" in r
        lines.append(
            "%-12s %5s %5.3f %5.3f %5.3f %5.3f %5s %5s %6s %6s %6s %7.4f"
            % (
                name, spk, r["precision"], r["recall"], r["f1"], r["accuracy"],
                "%.2f" % r["turn_recall"] if multi else "-",
                "%.2f" % r["boundary_precision"] if multi else "-",
                "%.3f" % r["der"] if multi else "-",
                "%.3f" % r["der_c0"] if multi else "-",
                "%.1f" % r["talk_share_error"] if multi else "-",
                r["rtf"],
            )
        )

    for r in result["files"]:
        line(r["file"], r, r["speakers"])
    line("POOLED", result["pooled"], "")
    p = result["pooled"]
    if "remote_accuracy" in p:
        rr = p["remote_recall"]
        lines.append("remote flag right for %.1f %% of single-voice speech time (%d frames); loudspeaker voices "
                     "flagged remote: %s" % (100 * p["remote_accuracy"], p["remote"]["frames"],
                                             "-" if rr is None else "%.1f %%" % (100 * rr)))
    return "\n".join(lines)

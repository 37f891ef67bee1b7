"""conversations — labelled multi-speaker conversations built from the real speech of the AMI clips.

Evaluation material for voice attribution (`talkpuck eval`): single-speaker stretches (reference
regions where exactly one speaker talks, trimmed, at least MIN_STRETCH_S) are cut from the clips and
keyed by the true speaker name (the same name in two clips is the same person), then spliced into
conversations of 2-4 different people, 40-90 s each:

- turns: mostly short (1-3 s), some medium (3-8 s); in a "dominated" conversation one speaker also
  holds 8-20 s monologues, so talk shares range from balanced to one speaker taking most of the time;
- speaker changes: mostly with no pause (abutting, or a 0.1-0.3 s overlap where both talk, labelled
  for both), some with a short pause;
- levels: every (speaker, clip) is normalised to the same active-speech level, then one speaker is
  often 6-12 dB quieter (farther from the mic), the others within +-2 dB, the whole file at -32 to
  -20 dBFS active level;
- background noise at a given SNR (train.augmentations' noise: high-passed integrated noise plus
  50 Hz hum; default a quiet room at 45 dB so pauses are not digital silence) and optionally
  reverberation (train.augmentations' room, its direct-to-reverberant ratio set per speaker: a
  quieter, farther speaker is also more reverberant).

Everything is deterministic from (seed, index): conversation i of seed s is the same whatever the
count. Honest held-out evaluation: `load_stretches(sources=[clips])` uses only those clips' speech,
`unseen_only=True` also drops every speaker heard in any other clip, and `speaker_groups()` lists
the groups of clips that share no speaker (a speaker-independent split).
"""
import json
import math
import os

import numpy as np

from talkpuck.detection.audio import RATE, read_wav
from talkpuck.detection.evaluate import find_pairs, load_reference
from talkpuck.detection.rttm import format_rttm
from talkpuck.detection.train import to_int16, augmentations
from talkpuck.errors import TalkpuckError

DEFAULT_DATA = os.path.join("data", "speech", "ami")
MIN_STRETCH_S = 0.8  # shortest single-speaker stretch kept (after trimming)
TRIM_S = 0.05  # trimmed off each end of a stretch (label edges are imprecise)
MIN_SPEAKER_S = 1.5  # a speaker needs this much single-speaker speech in total to be used
FRAME = 160  # 10 ms level frames
LOUD_DB = 20.0  # a frame within this many dB of its (speaker, clip)'s 90th percentile is "loud"
FADE = int(0.008 * RATE)  # raised-cosine fade at every splice
MIN_PIECE = int(0.4 * RATE)  # shortest piece of source audio in a turn
SPEAKERS = (2, 4)
DURATION_S = (40.0, 90.0)
NOISE_SNR_DB = 45.0
# turn lengths (s): short lognormal (median 1.8 s), some medium, monologues for the dominant speaker
SHORT_MEDIAN_S, SHORT_SIGMA, SHORT_RANGE = 1.8, 0.5, (0.8, 4.0)
MEDIUM_P, MEDIUM_RANGE = 0.12, (3.0, 8.0)
LONG_RANGE = (8.0, 20.0)
LONG_P_DOMINANT, LONG_P_OTHER = 0.4, 0.03
DOMINATED_P = 0.5  # share of conversations with one dominant speaker
DOMINANT_NEXT_P = 0.7  # after another speaker's turn, the dominant one takes the floor again
# speaker changes: abutting / overlapping (both talk) / a short pause
ABUT_P, OVERLAP_P = 0.45, 0.30
OVERLAP_RANGE, PAUSE_RANGE, EDGE_RANGE = (0.1, 0.3), (0.2, 1.2), (0.3, 2.0)
QUIET_P, QUIET_RANGE_DB, SPREAD_DB = 0.6, (6.0, 12.0), 2.0
LEVEL_RANGE_DBFS = (-32.0, -20.0)
FIRST_ROUND_RESERVE_S = 2.0  # kept free per speaker still to talk for the first time
IR_S = 0.4  # train.augmentations' room impulse response length


class Stretch:
    """One single-speaker stretch of a clip: audio normalised to unit active-speech rms."""

    def __init__(self, speaker, clip, start_s, end_s, audio, loud):
        self.speaker, self.clip, self.start_s, self.end_s = speaker, clip, start_s, end_s
        self.audio = audio  # float64, unit rms over the loud frames of (speaker, clip)
        self.loud = loud  # bool per 10 ms frame

    @property
    def seconds(self):
        return len(self.audio) / float(RATE)

    def __repr__(self):
        return "Stretch(%s, %s %.2f-%.2f)" % (self.speaker, self.clip, self.start_s, self.end_s)


class Conversation:
    """A generated conversation: int16 samples, reference segments [(start_s, end_s, speaker)], info."""

    def __init__(self, name, samples, segments, info):
        self.name, self.samples, self.segments, self.info = name, samples, segments, info


# --- material -------------------------------------------------------------------------------
def solo_regions(ref):
    """{speaker: [(start_s, end_s)]} where exactly that one speaker is labelled (merged)."""
    bounds = sorted({t for s, e, _ in ref for t in (s, e)})
    out: dict[str, list] = {}
    for a, b in zip(bounds, bounds[1:]):
        mid = 0.5 * (a + b)
        active = {k for s, e, k in ref if s <= mid < e}
        if len(active) == 1:
            spk = active.pop()
            regs = out.setdefault(spk, [])
            if regs and abs(regs[-1][1] - a) < 1e-9:
                regs[-1] = (regs[-1][0], b)
            else:
                regs.append((a, b))
    return out


def clip_speakers(folder=DEFAULT_DATA):
    """{clip name: sorted speaker names} of the NAME.wav + NAME.rttm pairs in folder."""
    return {base: sorted({k for _, _, k in load_reference(rttm, base)}) for base, _, rttm in find_pairs(folder)}


def speaker_groups(folder=DEFAULT_DATA):
    """Groups of clip names such that no speaker is heard in two groups (connected components of
    'shares a speaker'): build test material from one group, train on the others."""
    spk = clip_speakers(folder)
    groups: list[list[str]] = []
    for clip in sorted(spk):
        touching = [g for g in groups if any(set(spk[c]) & set(spk[clip]) for c in g)]
        merged = sorted([clip] + [c for g in touching for c in g])
        groups = [g for g in groups if g not in touching] + [merged]
    return sorted(groups)


def _check_names(kind, names, known):
    bad = sorted(set(names) - set(known))
    if bad:
        raise TalkpuckError("unknown %s %s (known: %s)" % (kind, ", ".join(bad), ", ".join(sorted(known))))


def load_stretches(folder=DEFAULT_DATA, sources=None, exclude_sources=None, speakers=None, exclude_speakers=None,
                   unseen_only=False, min_s=MIN_STRETCH_S, trim_s=TRIM_S, min_speaker_s=MIN_SPEAKER_S):
    """{speaker: [Stretch]} from the clips in folder.

    sources: only these clips (names without .wav); exclude_sources: not these; speakers /
    exclude_speakers: only / not these people; unseen_only: drop every speaker who is also heard
    in a clip outside the used ones (held-out speakers). Speakers with less than min_speaker_s of
    single-speaker speech in total are left out.
    """
    min_s = max(float(min_s), 2.0 * MIN_PIECE / RATE)  # room for a whole piece anywhere in a stretch
    spk_of = clip_speakers(folder)
    clips = sorted(spk_of)
    everyone = sorted({k for v in spk_of.values() for k in v})
    for kind, names, known in (("source clip", sources, clips), ("source clip", exclude_sources, clips),
                               ("speaker", speakers, everyone), ("speaker", exclude_speakers, everyone)):
        if names is not None:
            _check_names(kind, names, known)
    used = [c for c in clips if (sources is None or c in sources) and c not in (exclude_sources or ())]
    if not used:
        raise TalkpuckError("no source clips left to build conversations from")
    heard_elsewhere = {k for c in clips if c not in used for k in spk_of[c]}
    pairs = {base: (wav, rttm) for base, wav, rttm in find_pairs(folder)}
    out: dict = {}
    for clip in used:
        wav, rttm = pairs[clip]
        x, _ = read_wav(wav)
        x = x.astype(np.float64)
        for spk, regs in sorted(solo_regions(load_reference(rttm, clip)).items()):
            if speakers is not None and spk not in speakers:
                continue
            if spk in (exclude_speakers or ()) or (unseen_only and spk in heard_elsewhere):
                continue
            cuts = []
            for s, e in regs:
                a, b = int(round((s + trim_s) * RATE)), min(len(x), int(round((e - trim_s) * RATE)))
                if b - a >= int(round(min_s * RATE)):
                    cuts.append((a, b))
            if not cuts:
                continue
            # the (speaker, clip)'s active level: rms over the frames within LOUD_DB of its 90th pct
            db = [_frame_db(x[a:b]) for a, b in cuts]
            alldb = np.concatenate(db)
            thr = np.percentile(alldb, 90) - LOUD_DB
            active = np.concatenate([x[a:a + len(d) * FRAME][np.repeat(d >= thr, FRAME)]
                                     for (a, b), d in zip(cuts, db)])
            rms = math.sqrt(float(np.mean(active ** 2))) if len(active) else 1.0
            for (a, b), d in zip(cuts, db):
                if not np.any(d >= thr):
                    continue
                out.setdefault(spk, []).append(Stretch(spk, clip, a / float(RATE), b / float(RATE),
                                                       x[a:b] / max(rms, 1e-9), d >= thr))
    return {k: v for k, v in sorted(out.items()) if sum(s.seconds for s in v) >= min_speaker_s}


def _frame_db(x):
    n = len(x) // FRAME
    f = x[: n * FRAME].reshape(n, FRAME)
    return 10.0 * np.log10(np.mean(f ** 2, axis=1) + 1.0)


# --- one conversation -----------------------------------------------------------------------
def check_range(value, name, lo_ok, hi_ok, cast=float):
    """An int/float or a (lo, hi) pair -> (lo, hi) checked against [lo_ok, hi_ok]."""
    try:
        lo, hi = (value, value) if np.isscalar(value) else tuple(value)
        lo, hi = cast(lo), cast(hi)
    except (TypeError, ValueError):
        raise TalkpuckError("%s: expected a number or a (low, high) pair, got %r" % (name, value)) from None
    if not (lo_ok <= lo <= hi <= hi_ok):
        raise TalkpuckError("%s: need %s <= low <= high <= %s, got %s-%s" % (name, lo_ok, hi_ok, lo, hi))
    return lo, hi


def _optional_db(value, name, lo_ok, hi_ok):
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TalkpuckError("%s: expected a number of dB, got %r" % (name, value)) from None
    if not (lo_ok <= v <= hi_ok):
        raise TalkpuckError("%s: %s dB is outside %s..%s" % (name, value, lo_ok, hi_ok))
    return v


def _turn_length(rng, long_p):
    u = rng.random()
    if u < long_p:
        return rng.uniform(*LONG_RANGE)
    if u < long_p + MEDIUM_P:
        return rng.uniform(*MEDIUM_RANGE)
    return float(np.clip(rng.lognormal(math.log(SHORT_MEDIAN_S), SHORT_SIGMA), *SHORT_RANGE))


def _turn_audio(rng, stretches, n):
    """About n samples of one speaker's speech spliced from random pieces of their stretches (each
    starting and ending on a loud frame, faded). Returns (float array, [(clip, source start sample,
    offset in the turn, samples)])."""
    weights = np.array([s.seconds for s in stretches])
    weights /= weights.sum()
    parts, prov, have = [], [], 0
    while n - have >= MIN_PIECE:
        st = stretches[rng.choice(len(stretches), p=weights)]
        loud = np.flatnonzero(st.loud)
        if len(loud) == 0:
            continue
        a = int(rng.choice(loud)) * FRAME
        a = min(a, max(0, len(st.audio) - MIN_PIECE))
        b = min(len(st.audio), a + (n - have))
        if b < len(st.audio):  # end on a loud frame so no turn ends in a labelled pause
            last = loud[loud * FRAME + FRAME <= b]
            if len(last) and (last[-1] + 1) * FRAME - a >= MIN_PIECE:
                b = (last[-1] + 1) * FRAME
        if b - a < MIN_PIECE // 2:
            continue
        piece = st.audio[a:b].copy()
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(FADE) + 0.5) / FADE)
        k = min(FADE, len(piece) // 2)
        piece[:k] *= ramp[:k]
        piece[len(piece) - k:] *= ramp[:k][::-1]
        parts.append(piece)
        prov.append((st.clip, int(round(st.start_s * RATE)) + a, have, b - a))
        have += b - a
    return (np.concatenate(parts) if parts else np.zeros(0)), prov


def _plan(rng, names, stretches, total):
    """Turns [(speaker, start sample, float audio, provenance)] filling `total` samples; the style."""
    dominant = None
    if rng.random() < DOMINATED_P:  # the dominant speaker: the more speech they have, the likelier
        material = np.array([sum(st.seconds for st in stretches[k]) for k in names])
        dominant = str(rng.choice(names, p=material / material.sum()))
    trail = int(min(rng.uniform(*EDGE_RANGE), 0.1 * total / RATE) * RATE)
    t = int(min(rng.uniform(*EDGE_RANGE), 0.1 * total / RATE) * RATE)
    order = [str(k) for k in rng.permutation(names)]  # everyone talks once first
    turns: list = []
    prev = None
    ends: dict[str, int] = {}
    while True:
        if order:
            spk = order.pop(0)
        elif dominant and prev != dominant and rng.random() < DOMINANT_NEXT_P:
            spk = dominant
        else:
            spk = str(rng.choice([k for k in names if k != prev and (k != dominant or len(names) == 2)]))
        t = max(t, ends.get(spk, 0))  # never overlapping one's own previous turn
        n = int(_turn_length(rng, LONG_P_DOMINANT if spk == dominant else LONG_P_OTHER) * RATE)
        n = min(n, total - trail - t - int(len(order) * FIRST_ROUND_RESERVE_S * RATE))
        n = max(n, min(int(MIN_STRETCH_S * RATE), total - trail - t))
        if n < int(MIN_STRETCH_S * RATE):
            break
        audio, prov = _turn_audio(rng, stretches[spk], n)
        turns.append((spk, t, audio, prov))
        ends[spk] = t + len(audio)
        prev = spk
        u = rng.random()
        if u < ABUT_P:
            gap = 0
        elif u < ABUT_P + OVERLAP_P:
            gap = -int(rng.uniform(*OVERLAP_RANGE) * RATE)
        else:
            gap = int(rng.uniform(*PAUSE_RANGE) * RATE)
        t += len(audio) + gap
    return turns, ("dominated" if dominant else "balanced"), dominant


def room_tail(seed):
    """The reverberant tail (unit energy) of train.augmentations' reverberant room for this seed, the
    direct path left out: the room is probed with an impulse, so its response is the impulse response
    (up to the copy's faint added noise, about 40 dB down)."""
    n = int(IR_S * RATE)
    probe = np.zeros(10 * n, dtype=np.int16)
    probe[0] = 32767
    gen = augmentations(probe, seed)
    for name, y in gen:  # noqa: B007  (y is the copy found, used after the loop)
        if name == "reverb":
            break
    gen.close()
    tail = y[1:n].astype(np.float64)
    return tail / math.sqrt(float(np.sum(tail ** 2)))


def room_noise(seed, n):
    """n samples of train.augmentations' background noise (high-passed integrated noise + 50 Hz hum),
    unit rms: the 'noisy' copy of a constant signal minus that constant."""
    base = 8000
    gen = augmentations(np.full(n, base, dtype=np.int16), seed)
    for name, y in gen:  # noqa: B007  (y is the copy found, used after the loop)
        if name == "noisy":
            break
    gen.close()
    noise = y.astype(np.float64) - base
    return noise / (math.sqrt(float(np.mean(noise ** 2))) + 1e-9)


def check_options(stretches, n_speakers=SPEAKERS, duration=DURATION_S, noise_snr=NOISE_SNR_DB, reverb_drr=None):
    """Validated ((speakers low, high capped at the speakers available), (duration low, high),
    noise SNR, reverb DRR); TalkpuckError naming the bad option."""
    lo, hi = check_range(n_speakers, "speakers", 2, 4, int)
    dur = check_range(duration, "duration", 10.0, 600.0, float)
    noise_snr = _optional_db(noise_snr, "noise SNR", -10.0, 90.0)
    reverb_drr = _optional_db(reverb_drr, "reverb DRR", -20.0, 40.0)
    avail = sorted(stretches)
    if len(avail) < lo:
        raise TalkpuckError("speakers: need at least %d people with enough single-speaker speech, the material "
                            "has %d (%s)" % (lo, len(avail), ", ".join(avail) or "none"))
    return (lo, min(hi, len(avail))), dur, noise_snr, reverb_drr


def make_conversation(stretches, seed, index=0, n_speakers=SPEAKERS, duration=DURATION_S,
                      noise_snr=NOISE_SNR_DB, reverb_drr=None, name=None):
    """Conversation number `index` of `seed` from stretches ({speaker: [Stretch]}, load_stretches).

    n_speakers: int or (low, high) within 2..4 (high is capped at the speakers available);
    duration: seconds or (low, high); noise_snr: dB of active speech over the added noise, None for
    none; reverb_drr: direct-to-reverberant ratio (dB) of the loudest speakers, None for a dry room.
    """
    (lo, hi), (dlo, dhi), noise_snr, reverb_drr = check_options(stretches, n_speakers, duration, noise_snr, reverb_drr)
    avail = sorted(stretches)
    rng = np.random.default_rng([int(seed), int(index)])
    total = int(round(rng.uniform(dlo, dhi) * RATE))
    k = int(rng.integers(lo, hi + 1))
    names = sorted(str(s) for s in rng.choice(avail, size=k, replace=False))
    turns, style, dominant = _plan(rng, names, stretches, total)
    # levels: one speaker often quieter (farther away), the others close together
    offset = {s: float(rng.uniform(-SPREAD_DB, SPREAD_DB)) for s in names}
    if rng.random() < QUIET_P:
        offset[str(rng.choice(names))] = -float(rng.uniform(*QUIET_RANGE_DB))
    top = max(offset.values())
    offset = {s: v - top for s, v in offset.items()}  # dB relative to the loudest speaker
    level = float(rng.uniform(*LEVEL_RANGE_DBFS))
    g_ref = 32768.0 * 10 ** (level / 20.0)
    tracks = {s: np.zeros(total) for s in names}
    segments: list = []
    pieces: list = []
    for spk, t, audio, prov in turns:
        tracks[spk][t:t + len(audio)] += audio
        segments.append((t / float(RATE), (t + len(audio)) / float(RATE), spk))
        pieces.extend({"speaker": spk, "clip": c, "src_s": round(a / float(RATE), 5),
                       "at_s": round((t + o) / float(RATE), 5), "dur_s": round(n / float(RATE), 5)}
                      for c, a, o, n in prov)
    ir_seed, noise_seed = (int(v) for v in rng.integers(0, 2 ** 31 - 1, size=2))
    mix = np.zeros(total)
    for s in names:
        mix += tracks[s] * (g_ref * 10 ** (offset[s] / 20.0))
    if reverb_drr is not None:
        from scipy.signal import fftconvolve

        # one reverberant field at the loudest speakers' level: a speaker `offset` dB quieter
        # (farther away) has a DRR that much lower
        tail = room_tail(ir_seed)
        dry = sum(tracks[s] for s in names)
        mix += fftconvolve(dry, tail)[:total] * g_ref * 10 ** (-reverb_drr / 20.0)
    speech = _mask(segments, total)
    speech_rms = math.sqrt(float(np.mean(mix[speech] ** 2))) if speech.any() else 1.0
    if noise_snr is not None:
        mix += room_noise(noise_seed, total) * speech_rms * 10 ** (-noise_snr / 20.0)
    peak = float(np.max(np.abs(mix))) if total else 0.0
    if peak > 0.9 * 32767:
        mix *= 0.9 * 32767 / peak
    name = name or "conv%03d" % index
    segments.sort()
    shares = talk_shares(segments)
    info = {
        "name": name, "seed": int(seed), "index": int(index), "duration_s": total / float(RATE),
        "style": style, "dominant": dominant, "noise_snr_db": noise_snr, "reverb_drr_db": reverb_drr,
        "active_level_dbfs": round(level, 1), "turns": len(turns),
        "speakers": [{"name": s, "level_db": round(offset[s], 1), "share": round(shares.get(s, 0.0), 4),
                      "talk_s": round(sum(e - b for b, e, k in segments if k == s), 2),
                      "material_s": round(sum(st.seconds for st in stretches[s]), 2),
                      "source_clips": sorted({st.clip for st in stretches[s]})} for s in names],
        "equal_share_errors": [round(e, 3) for e in equal_share_errors(segments)],
        "pieces": pieces,
    }
    return Conversation(name, to_int16(mix), segments, info)


def _mask(segments, n):
    m = np.zeros(n, dtype=bool)
    for s, e, _ in segments:
        m[int(round(s * RATE)):int(round(e * RATE))] = True
    return m


def write_conversation(folder, conv):
    """NAME.wav (16 kHz mono int16) and NAME.rttm into folder."""
    import soundfile as sf

    os.makedirs(folder, exist_ok=True)
    sf.write(os.path.join(folder, conv.name + ".wav"), conv.samples, RATE, subtype="PCM_16")
    with open(os.path.join(folder, conv.name + ".rttm"), "w", encoding="utf-8") as f:
        f.write(format_rttm(conv.name, conv.segments))


def make_conversations(out, count, seed, stretches=None, data=DEFAULT_DATA, log=None, **kw):
    """Write `count` conversations (conv000 ...) of `seed` into out, plus manifest.json (every
    conversation's info). kw: make_conversation's options. Returns the infos."""
    if int(count) < 1:
        raise TalkpuckError("count must be at least 1, got %s" % count)
    if os.path.exists(out) and not os.path.isdir(out):
        raise TalkpuckError("output %s exists and is not a folder" % out)
    if stretches is None:
        stretches = load_stretches(data)
    infos = []
    for i in range(int(count)):
        conv = make_conversation(stretches, seed, i, **kw)
        write_conversation(out, conv)
        infos.append(conv.info)
        if log:
            log(describe(conv.info))
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"seed": int(seed), "count": int(count), "conversations": infos}, f, indent=1, ensure_ascii=False)
    return infos


def describe(info):
    spk = "  ".join("%s %2.0f%%%s" % (s["name"], 100 * s["share"],
                                     " (%+.0f dB)" % s["level_db"] if s["level_db"] < -3 else "")
                    for s in info["speakers"])
    return "%s %5.1f s %d speakers %-9s %3d turns  %s" % (
        info["name"], info["duration_s"], len(info["speakers"]), info["style"], info["turns"], spk)


# --- talk shares and the no-audio baseline --------------------------------------------------
def talk_shares(segments):
    """{speaker: fraction of all speaker time} (overlap counts for each speaker; as metrics.talk_share_errors)."""
    dur: dict[str, float] = {}
    for s, e, k in segments:
        dur[k] = dur.get(k, 0.0) + (e - s)
    tot = sum(dur.values()) or 1.0
    return {k: v / tot for k, v in sorted(dur.items())}


def equal_share_errors(segments):
    """Per reference speaker: |true share - 1/n| in points, n = the number of reference speakers:
    the talk-share error of a system that knows how many people talk and nothing else."""
    shares = talk_shares(segments)
    return [100.0 * abs(v - 1.0 / len(shares)) for v in shares.values()]


def equal_share_baseline(folder):
    """Pooled like `talkpuck eval` (mean over every speaker of every file with 2+ speakers)."""
    errs, files = [], 0
    for base, _, rttm in find_pairs(folder):
        ref = load_reference(rttm, base)
        if len({k for _, _, k in ref}) >= 2:
            errs.extend(equal_share_errors(ref))
            files += 1
    return {"talk_share_error": sum(errs) / len(errs) if errs else 0.0, "speakers": len(errs), "files": files}


def other_pairs(folder, names):
    """NAME.wav + NAME.rttm pairs in folder whose name is not in names (left from another run)."""
    return [base for base, _, _ in find_pairs(folder) if base not in names]

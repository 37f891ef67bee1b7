"""conversations — `talkpuck make-conversations`: labelled multi-speaker conversations for `talkpuck eval`."""
import argparse
import math
from typing import Any
from collections.abc import Callable

from talkpuck.detection import conversations as conv
from talkpuck.detection import speechconv
from talkpuck.errors import TalkpuckError


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = subparsers.add_parser(
        "make-conversations",
        help="generate labelled 2-4 speaker conversations (NAME.wav + NAME.rttm) from the real speech of the clips")
    p.add_argument("--out", help="folder to write conv000.wav/.rttm ... and manifest.json into")
    p.add_argument("--count", default="20", help="how many conversations (default 20)")
    p.add_argument("--seed", default="1", help="random seed; conversation i of a seed never changes (default 1)")
    p.add_argument("--speakers", default="2-4", help="people per conversation: N or LOW-HIGH within 2-4 (default 2-4)")
    p.add_argument("--duration", default="40-90", help="seconds per conversation: S or LOW-HIGH (default 40-90)")
    p.add_argument("--noise-snr", default=str(conv.NOISE_SNR_DB),
                   help="background noise, dB below the active speech, or 'none' (default %s: a quiet room)"
                   % conv.NOISE_SNR_DB)
    p.add_argument("--reverb-drr", default="none",
                   help="reverberation: direct-to-reverberant ratio in dB of the loudest speakers (6 mild, 0 strong; "
                        "a speaker N dB quieter gets N dB less), or 'none' (default)")
    p.add_argument("--data", default=conv.DEFAULT_DATA, help="folder of the source NAME.wav + NAME.rttm clips")
    p.add_argument("--sources", help="comma-separated clip names: build only from these clips' speech (held-out clips)")
    p.add_argument("--exclude-sources", help="comma-separated clip names not to use")
    p.add_argument("--exclude-speakers", help="comma-separated speaker names not to use")
    p.add_argument("--unseen-speakers", action="store_true",
                   help="also drop every speaker heard in a clip outside the used ones (held-out speakers)")
    p.add_argument("--min-speaker-s", default=str(conv.MIN_SPEAKER_S),
                   help="seconds of single-speaker speech a speaker needs to be used (default %s)" % conv.MIN_SPEAKER_S)
    p.add_argument("--list", action="store_true",
                   help="only list the usable speakers and the speaker-disjoint groups of clips, write nothing")
    g = p.add_argument_group("from the single-speaker speech folders (issue 15: 2-5 voices, 2-5 minutes, rooms, "
                             "noise, laptop-loudspeaker voices)")
    g.add_argument("--speech", nargs="?", const="", default=None, metavar="DIR",
                   help="build from librispeech-251 + speechocean762-train under DIR (default: $%s or "
                        "shared/data/speech above the working directory), or a <speaker>/<file> folder"
                        % speechconv.SPEECH_ENV)
    g.add_argument("--split", default="train", choices=("train", "val", "all"),
                   help="whose voices: the training speakers (default) or the held-out validation speakers")
    g.add_argument("--frozen-val", action="store_true",
                   help="write the frozen validation set (seed %d, %d conversations, validation speakers, both "
                        "loudspeaker simulations): report figures on it, never tune on it"
                        % (speechconv.FROZEN_VAL_SEED, speechconv.FROZEN_VAL_COUNT))
    g.add_argument("--sim", default="laptop", choices=speechconv.SIMS + ("mixed", "broad"),
                   help="loudspeaker simulation for remote voices (default laptop; 'other' is held out for checks; "
                        "'broad' is the randomised family train-voices learns from)")
    g.add_argument("--remote-share", default=str(round(speechconv.REMOTE_P, 3)),
                   help="share of conversations with 1-2 voices through a laptop loudspeaker (default 1/3)")
    p.set_defaults(func=run)


def run_speech(args: argparse.Namespace) -> int | None:
    root = args.speech or speechconv.find_speech_data()
    index = speechconv.index_speakers(root)
    if args.list:
        for k in sorted(index):
            print("%-10s %-5s %2d files" % (k, speechconv.split_of(k), len(index[k])))
        return 0
    if not args.out:
        raise TalkpuckError("--out: the folder to write the conversations into is required")
    if args.frozen_val:
        infos = speechconv.make_frozen_val(args.out, index, log=print)
    else:
        remote_p = parse_number(args.remote_share, "remote-share")
        if not 0.0 <= remote_p <= 1.0:
            raise TalkpuckError("--remote-share must be within 0..1, got %s" % args.remote_share)
        speakers = args.speakers if args.speakers != "2-4" else "2-5"
        duration = args.duration if args.duration != "40-90" else "120-300"
        infos = speechconv.make_conversations(
            args.out, parse_int(args.count, "count", 1), parse_int(args.seed, "seed", 0), index, log=print,
            split=args.split, n_speakers=parse_range(speakers, "speakers", int),
            duration=parse_range(duration, "duration", float), remote_p=remote_p, sim=args.sim)
    errs = [e for info in infos for e in info["equal_share_errors"]]
    print("wrote %d conversations to %s; equal-share baseline (no audio, 1/n each): talk-share error %.1f points "
          "over %d speakers" % (len(infos), args.out, sum(errs) / len(errs), len(errs)))
    return 0


def parse_int(text: object, name: str, low: int) -> int:
    try:
        v = int(str(text).strip())
    except ValueError:
        raise TalkpuckError("--%s: expected a whole number, got %r" % (name, text)) from None
    if v < low:
        raise TalkpuckError("--%s must be at least %d, got %d" % (name, low, v))
    return v


def parse_number(text: object, name: str) -> float:
    try:
        v = float(str(text).strip())
    except ValueError:
        raise TalkpuckError("--%s: expected a number, got %r" % (name, text)) from None
    if math.isnan(v) or math.isinf(v):
        raise TalkpuckError("--%s: expected a finite number, got %r" % (name, text))
    return v


def parse_range(text: object, name: str, cast: Callable[[str], float]) -> tuple[float, float]:
    """'N' or 'LOW-HIGH' -> (low, high); the bounds are checked by the generator."""
    parts = str(text).strip().split("-")
    if len(parts) not in (1, 2) or not all(p.strip() for p in parts):
        raise TalkpuckError("--%s: expected N or LOW-HIGH, got %r" % (name, text))
    try:
        vals = [cast(p) for p in parts]
    except ValueError:
        raise TalkpuckError("--%s: expected N or LOW-HIGH, got %r" % (name, text)) from None
    lo, hi = vals[0], vals[-1]
    if lo > hi:
        raise TalkpuckError("--%s: LOW %s is above HIGH %s" % (name, lo, hi))
    return lo, hi


def parse_db(text: object, name: str) -> float | None:
    if str(text).strip().lower() in ("none", "off", ""):
        return None
    return parse_number(text, name)


def parse_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [x.strip() for x in text.split(",") if x.strip()]


def run(args: argparse.Namespace) -> int | None:
    if args.speech is not None:
        return run_speech(args)
    min_speaker_s = parse_number(args.min_speaker_s, "min-speaker-s")
    stretches = conv.load_stretches(
        args.data, sources=parse_list(args.sources), exclude_sources=parse_list(args.exclude_sources),
        exclude_speakers=parse_list(args.exclude_speakers), unseen_only=args.unseen_speakers,
        min_speaker_s=min_speaker_s)
    if args.list:
        for spk, sts in stretches.items():
            print("%-8s %5.1f s in %2d stretches from %s" % (
                spk, sum(s.seconds for s in sts), len(sts), ", ".join(sorted({s.clip for s in sts}))))
        groups = conv.speaker_groups(args.data)
        print("clip groups sharing no speaker: %s" % "  ".join("[%s]" % ", ".join(g) for g in groups))
        return 0
    if not args.out:
        raise TalkpuckError("--out: the folder to write the conversations into is required")
    count = parse_int(args.count, "count", 1)
    seed = parse_int(args.seed, "seed", 0)
    kw: dict[str, Any] = dict(
        n_speakers=parse_range(args.speakers, "speakers", int),
        duration=parse_range(args.duration, "duration", float),
        noise_snr=parse_db(args.noise_snr, "noise-snr"),
        reverb_drr=parse_db(args.reverb_drr, "reverb-drr"),
    )
    (lo, hi), _, _, _ = conv.check_options(stretches, **kw)  # every option checked before writing anything
    if hi < kw["n_speakers"][1]:
        print("note: only %d usable speakers in this material: %d-%d per conversation" % (hi, lo, hi))
    infos = conv.make_conversations(args.out, count, seed, stretches=stretches, log=print, **kw)
    errs = [e for info in infos for e in info["equal_share_errors"]]
    print("wrote %d conversations to %s (manifest.json describes them); equal-share baseline (no audio, 1/n each): "
          "talk-share error %.1f points over %d speakers" % (count, args.out, sum(errs) / len(errs), len(errs)))
    ours = {info["name"] for info in infos}
    others = conv.other_pairs(args.out, ours)
    if others:
        print("note: %s also holds %d other NAME.wav + NAME.rttm pairs (%s) that `talkpuck eval` will score too"
              % (args.out, len(others), ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")))
    return 0

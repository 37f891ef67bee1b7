"""voices — `talkpuck train-voices`: learn the remote-voice decision and write voice_model.py."""
import argparse

from talkpuck.detection import speechconv, voicetrain, voicevec
from talkpuck.errors import TalkpuckError


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = subparsers.add_parser(
        "train-voices",
        help="learn the puck's remote-voice decision (laptop loudspeaker or the room) and its voice vector "
             "(voicevec_model.py) from the speech folders")
    p.add_argument("--speech", help="the speech folder (default: $%s or shared/data/speech above here)"
                   % speechconv.SPEECH_ENV)
    p.add_argument("--count", default="200", help="training examples (training speakers only; default 200)")
    p.add_argument("--val-count", default="60", help="held-out examples per loudspeaker simulation (default 60)")
    p.add_argument("--seed", default="1")
    p.add_argument("--sims", default=",".join(voicetrain.TRAIN_SIMS),
                   help="loudspeaker simulations of the remote training examples, comma-separated: laptop, broad "
                        "(default %s; `other` is held out and refused)" % ",".join(voicetrain.TRAIN_SIMS))
    p.add_argument("--features", default=",".join(voicetrain.FEATURES[k] for k in voicetrain.DEFAULT_FEATURES),
                   help="remote features the decision may use, comma-separated, of %s (default the first three); "
                        "the others get weight 0" % ",".join(voicetrain.FEATURES))
    p.add_argument("--impure", default="0", help="share of training examples that are impure clusters (a piece of "
                   "a person of the other class added; default 0)")
    p.add_argument("--cache", help="cache the examples' features as CACHE.<split>.<key>.npz")
    p.add_argument("--out", default=voicetrain.MODEL_PATH, help="model file to write (default %s)"
                   % voicetrain.MODEL_PATH)
    p.add_argument("--vector-speakers", default="all",
                   help="training speakers for the learned voice vector (issue 15): all (default), a number "
                        "(the first N: quick checks), or 0 to leave it")
    p.add_argument("--channel-classes", action=argparse.BooleanOptionalAction, default=False,
                   help="the voice vector's classes are (speaker, channel): a speaker through the loudspeaker is "
                        "another class than the same speaker in the room, so the vector keeps the channel "
                        "difference (measured, not shipped: docs/detection.md 8.7); default: classes are "
                        "speakers, the channel is ignored (the shipped model)")
    p.add_argument("--vector-out", default=voicevec.MODEL_PATH, help="voice vector model to write (default %s)"
                   % voicevec.MODEL_PATH)
    p.set_defaults(func=run)


def _int(text: str, name: str, low: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise TalkpuckError("--%s: expected a whole number, got %r" % (name, text)) from None
    if v < low:
        raise TalkpuckError("--%s must be at least %d, got %d" % (name, low, v))
    return v


def _features(text: str) -> list[int]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in names if t not in voicetrain.FEATURES]
    if bad or not names:
        raise TalkpuckError("--features: expected some of %s, got %r" % (", ".join(voicetrain.FEATURES), text))
    return [voicetrain.FEATURES.index(t) for t in names]


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise TalkpuckError("--impure: expected a share 0..0.9, got %r" % text) from None
    if not 0.0 <= v <= 0.9:
        raise TalkpuckError("--impure: expected a share 0..0.9, got %r" % text)
    return v


def run(args: argparse.Namespace) -> int | None:
    vs = args.vector_speakers
    limit = None if vs == "all" else _int(vs, "vector-speakers", 0)
    if limit is not None and 0 < limit < 3:
        raise TalkpuckError("--vector-speakers must be 0, at least 3, or all; got %d" % limit)
    index = speechconv.index_speakers(args.speech or speechconv.find_speech_data())
    voicetrain.train(index, _int(args.count, "count", 4), _int(args.val_count, "val-count", 0),
                     _int(args.seed, "seed", 0), args.cache, args.out,
                     sims=tuple(t.strip() for t in args.sims.split(",") if t.strip()),
                     features=_features(args.features), impure=_share(args.impure))
    print("wrote %s" % args.out)
    if limit is None or limit > 0:
        voicevec.train_model(index, limit, cache=args.cache, out=args.vector_out, channel=args.channel_classes)
        print("wrote %s" % args.vector_out)
    return 0

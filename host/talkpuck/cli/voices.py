"""voices — `talkpuck train-voices`: learn the remote-voice decision and write voice_model.py."""
from talkpuck.detection import speechconv, voicetrain
from talkpuck.errors import TalkpuckError


def add_parser(subparsers):
    p = subparsers.add_parser(
        "train-voices",
        help="learn the puck's remote-voice decision (laptop loudspeaker or the room) from the speech folders")
    p.add_argument("--speech", help="the speech folder (default: $%s or shared/data/speech above here)"
                   % speechconv.SPEECH_ENV)
    p.add_argument("--count", default="200", help="training examples (training speakers only; default 200)")
    p.add_argument("--val-count", default="60", help="held-out examples per loudspeaker simulation (default 60)")
    p.add_argument("--seed", default="1")
    p.add_argument("--cache", help="cache the examples' features as CACHE.<split>.<key>.npz")
    p.add_argument("--out", default=voicetrain.MODEL_PATH, help="model file to write (default %s)"
                   % voicetrain.MODEL_PATH)
    p.set_defaults(func=run)


def _int(text, name, low):
    try:
        v = int(text)
    except ValueError:
        raise TalkpuckError("--%s: expected a whole number, got %r" % (name, text)) from None
    if v < low:
        raise TalkpuckError("--%s must be at least %d, got %d" % (name, low, v))
    return v


def run(args):
    index = speechconv.index_speakers(args.speech or speechconv.find_speech_data())
    voicetrain.train(index, _int(args.count, "count", 4), _int(args.val_count, "val-count", 0),
                     _int(args.seed, "seed", 0), args.cache, args.out)
    print("wrote %s" % args.out)
    return 0

"""records — the Controller's state as documents: the retained `state` (protocol §3.2) and the saved record.

    state_fields(ctrl, now_ms)          the fields of `state` (the app publishes it when asked)
    record(ctrl, now_ms)                what the app saves (settings, session, mic pause, waiting hands)
    restore(ctrl, record, now_ms)       resume from a saved record; returns what was dropped

The waiting hands keep the numbers they were raised with (the previous boot's seqs): the host still
lists them under that boot, acknowledges them by number, and matches this boot's `evt/hand` about
such a number to the waiting hand of an earlier boot (talkpuck.store.hands).

The Controller calls these; they read (and, restoring, set) its session, settings, hands and mic
pause. Nothing here does I/O: saving and publishing are the app's (puck.py).
"""
from puckcore.errors import ConfigError
from puckcore.session import IDLE, NAMES, Session
from puckcore.settings import Settings
from puckcore.ticks import ticks_diff

RECORD_VERSION = 1
ROOM = 1  # Controller.voice_where: the voice is in the room ...
CALL = 2  # ... or comes from a laptop loudspeaker (the call); 0: not known (protocol §4.1 `remote`)


def mic_name(paused):
    return "paused" if paused else "on"


def voices(ctrl):
    """The session's voices so far, for evt/vad and evt/session (protocol §4.2, revision 5):
    [{"voice", "talk_ms", "remote"}] for each voice that talked, `remote` left out when unknown.
    Built once a minute or at a session's end, never per frame."""
    out = []
    ms = ctrl.view.voice_ms
    where = ctrl.voice_where
    for v in range(1, len(ms)):
        if ms[v] > 0:
            item = {"voice": v, "talk_ms": ms[v]}
            if where[v]:
                item["remote"] = where[v] == CALL
            out.append(item)
    return out


def state_fields(ctrl, now_ms):
    s = ctrl.session
    out = {
        "phase": NAMES[s.phase],
        "session": s.session if s.phase != IDLE else None,
        "limit_s": s.limit_s if s.session is not None else 0,
        "remaining_s": s.remaining_s(now_ms),
        "talking": ctrl.talking,
        "voice": ctrl.voice,
        "hands": ctrl.hands.count,
        "hand_ack": ctrl.hands.last_ack,
        "mic": mic_name(ctrl.mic_paused),
    }
    if ctrl.talking and 1 <= ctrl.voice < len(ctrl.voice_where) and ctrl.voice_where[ctrl.voice]:
        out["remote"] = ctrl.voice_where[ctrl.voice] == CALL  # the voice talking now, when known (revision 5)
    if ctrl.follow_on:  # the follow-up window's seconds left (protocol revision 2)
        left = ticks_diff(ctrl.follow_until, now_ms)
        out["follow_s"] = (left + 999) // 1000 if left > 0 else 0
    return out


HAND_MAX = 0x3FFFFFFF  # a hand number is an event seq: a positive small int (within +-2**30)


def record(ctrl, now_ms):
    h = ctrl.hands
    return {"v": RECORD_VERSION, "settings": ctrl.settings.to_dict(), "session": ctrl.session.record(now_ms),
            "mic": mic_name(ctrl.mic_paused), "hands": [h.at(i) for i in range(h.count)]}


def restore(ctrl, rec, now_ms):
    """Resume settings, the session (or break) and the mic pause from a saved record. A malformed
    part is dropped (the rest is kept); returns a list of what was dropped."""
    dropped = []
    if not isinstance(rec, dict):
        return ["record"]
    st = rec.get("settings")
    if st is not None:
        try:
            fresh = Settings.from_dict(st)
            ctrl.settings.update(fresh.to_dict())
            ctrl.ring.configure(ctrl.settings)
            ctrl._resize_hands()
        except ConfigError as e:
            dropped.append(str(e))
    sd = rec.get("session")
    if sd is not None:
        try:
            ctrl.session.restore(sd, now_ms)
        except (KeyError, ValueError, TypeError) as e:
            dropped.append("session: %r" % (e,))
            ctrl.session = Session(ctrl.settings)
    if rec.get("mic") == "paused":
        ctrl.mic_paused = True
    hands = rec.get("hands")
    if hands is not None:
        if type(hands) is not list or [x for x in hands if type(x) is not int or not 0 < x <= HAND_MAX]:
            dropped.append("hands: %r" % (hands,))
        else:
            for hand in hands:  # past a lower max_hands the rest stay with the host's queue
                ctrl.hands.add(hand)
    return dropped

"""Every event and `state` the puck's Controller produces, through a whole session with hands, mic,
turns, extension, overrun, end, break and a reboot, passes the protocol's JSON schemas."""
import json

from puckcore import codec
from puckcore.controller import Controller
from puckcore.gestures import DOUBLE, LONG, PRESS, START
from puckcore.outbox import Outbox
from puckcore.settings import Settings
from puckcore.ticks import ticks_add
from talkpuck.protocol.schemas import validate

BOOT = "7f3a9c2e"
payloads = []  # every event checked, in order


def _drain(ob):
    out = []
    while True:
        item = ob.peek()
        if item is None:
            return out
        seq, kind, payload = item
        ob.ack(seq)
        out.append((kind, json.loads(payload)))


def _check(c, ob, t, seen):
    for kind, payload in _drain(ob):
        validate("evt_" + kind, payload)
        seen.append((kind, payload.get("phase") or payload.get("action") or payload.get("mic")))
        payloads.append((kind, payload))
    validate("state", json.loads(codec.encode_doc(BOOT, t, c.state_fields(t))))


def test_a_whole_session_matches_the_schemas():
    ob = Outbox(BOOT)
    c = Controller("puck-a1", BOOT, Settings(), ob)
    t = (1 << 30) - 5000
    seen = []
    _check(c, ob, t, seen)
    c.on_gesture(START, t)
    _check(c, ob, t, seen)
    for g in (PRESS, PRESS, DOUBLE, LONG, LONG):
        c.on_gesture(g, t)
    c.on_turn(t, ticks_add(t, 3000), 1, 90, -28, ticks_add(t, 3000))
    c.on_turn(ticks_add(t, 3000), ticks_add(t, 5000), 2, 90, -28, ticks_add(t, 5000), 1, True)  # the call (revision 5)
    c.on_turn(ticks_add(t, 6000), ticks_add(t, 7000), 3, 90, -28, ticks_add(t, 7000), 0, False)
    c.on_summary(t, ticks_add(t, 60000), 3000, 1, -28, -62, ticks_add(t, 60000))
    c.set_talking(True, 2, t)
    assert c.state_fields(t)["remote"] is True
    _check(c, ob, t, seen)
    vad = [p for k, p in payloads if k == "vad"][-1]
    assert [v.get("remote") for v in vad["voices"]] == [None, True, False]
    assert c.on_command("hand_ack", {"hand": c.hands.next()}, t) is None
    assert c.on_command("hands_clear", {}, t) is None
    _check(c, ob, t, seen)
    for _ in range(2700 + 200):
        t = ticks_add(t, 1000)
        c.tick(t)
        _check(c, ob, t, seen)
    assert c.on_command("session_extend", {"add_s": 120}, t) is None
    assert c.on_command("session_stop", {}, t) is None
    for _ in range(60):
        t = ticks_add(t, 1000)
        c.tick(t)
    _check(c, ob, t, seen)
    rec = json.loads(json.dumps(c.record(t)))
    ob2 = Outbox("0badf00d")
    c2 = Controller("puck-a1", "0badf00d", Settings(), ob2)
    c2.restore(rec, 500)
    _check(c2, ob2, 500, seen)
    ended = [p for k, p in payloads if k == "session" and p["phase"] == "ended"]
    assert [v["voice"] for v in ended[0]["voices"]] == [1, 2, 3]  # the session's summary, schema-checked
    phases = [v for k, v in seen if k == "session"]
    # extend by 120 s at 200 s over: still over
    assert phases == ["running", "warning", "wrapup", "timeup", "overrun", "overrun", "ended", "break", "break"]
    assert [v for k, v in seen if k == "hand"] == ["raise", "raise", "withdraw", "ack", "clear"]
    assert [v for k, v in seen if k == "mic"] == ["paused", "on"]

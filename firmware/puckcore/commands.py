"""commands — what the puck does for each host command: a table of verb -> handler.

`Controller.on_command(verb, args, now_ms)` looks the verb up in HANDLERS and calls
`handler(ctrl, args, now_ms)`, which returns None when done or an error string for `resp`.

The codec (`codec.decode_command`, from the table in puckcore.protocol) has already checked every
field's type and range, so a handler checks only what depends on the puck's state ("session
already running", "unknown hand 7"). A new command: a row in protocol.COMMANDS, a handler here,
a line in HANDLERS, and its test in tests/firmware/test_commands.py.
"""
from puckcore.errors import ConfigError
from puckcore.session import in_session
from puckcore.settings import KEYS
from puckcore.ticks import ticks_add


def session_start(c, args, now_ms):
    s = c.session
    sid = args.get("session")
    if in_session(s.phase):
        if sid is not None and sid == s.session:
            return None  # a repeated delivery of the command that started it
        return "session already running"
    warn_s = args.get("warn_s")
    if warn_s is None:
        warn_s = c.settings.warn_s
    if not sid:
        sid = "%s:%s:%d" % (c.device_id, c.boot, c.outbox.next_seq)
    c._new_session()
    s.start(sid, args["limit_s"], warn_s, now_ms, "cmd")
    c._drain(now_ms)
    return None


def session_extend(c, args, now_ms):
    s = c.session
    add_s = args["add_s"]
    if not in_session(s.phase):
        return "no session running"
    # the longest session bounds the total too (keeps every ms value far inside +-2**30)
    if s.limit_s + add_s > s.limit_max_s or s.remaining_ms(now_ms) + add_s * 1000 > s.limit_max_s * 1000:
        return "add_s: the session would pass %d s" % s.limit_max_s
    s.extend(add_s, now_ms, "cmd")
    c._drain(now_ms)
    return None


def session_stop(c, args, now_ms):
    if not c.session.stop(now_ms, "cmd"):
        return "no session running"
    c._drain(now_ms)
    return None


def hand_ack(c, args, now_ms):
    hand = args["hand"]
    if not c.hands.ack(hand, now_ms):
        return "unknown hand %d" % hand
    c._hand_event("ack", hand, now_ms)
    return None


def hand_lower(c, args, now_ms):
    hand = args["hand"]
    if not c.hands.lower(hand):
        return "unknown hand %d" % hand
    c._hand_event("lower", hand, now_ms)
    return None


def hands_clear(c, args, now_ms):
    c.hands.clear()
    c._hand_event("clear", 0, now_ms)
    return None


def identify(c, args, now_ms):
    sec = args.get("seconds")
    if sec is None:
        sec = c.identify_default_s
    c.identify_until = ticks_add(now_ms, sec * 1000)
    c.identify_on = True
    return None


def ring_test(c, args, now_ms):
    c.test_from = now_ms
    c.test_on = True
    return None


def follow_up(c, args, now_ms):
    """The follow-up window after a call: the ring shows it in place of the break fill; 0 ends it."""
    sec = args["seconds"]
    c.follow_on = sec > 0
    c.follow_total_ms = sec * 1000
    c.follow_until = ticks_add(now_ms, sec * 1000)
    c._dirty(now_ms)
    return None


def config(c, args, now_ms):
    values = {}
    for key in args:
        if key in KEYS:  # the envelope and fields this firmware does not know are left out
            values[key] = args[key]
    try:
        changed = c.settings.update(values)  # all or nothing (a direct caller's values are checked here)
    except ConfigError as e:
        return str(e)
    if changed:
        c.ring.configure(c.settings)
        if "max_hands" in changed:
            c._resize_hands()
        c._persist(now_ms)
    return None


# updates over the air: the updater (puckport/fwupdate.py) is `c.fw`, attached by app_main; a
# download may go on during a session, but an offer and the switch (a reset) wait for its end
def _no_fw(c):
    if c.fw is None:
        return "updates: not available on this puck"
    return None


def fw_offer(c, args, now_ms):
    if in_session(c.session.phase):
        return "session running: offer the update after it ends"
    return _no_fw(c) or c.fw.offer(args["fw"], args["size"], args["mlen"], args["mac"])


def fw_chunk(c, args, now_ms):
    return _no_fw(c) or c.fw.chunk(args["off"], args["data"])


def fw_apply(c, args, now_ms):
    if in_session(c.session.phase):
        return "session running: apply the update after it ends"
    return _no_fw(c) or c.fw.apply(args["fw"], now_ms)


# every verb of protocol.COMMANDS but `time`, which the app keeps itself (Puck.host_sync)
HANDLERS = {
    "session_start": session_start,
    "session_extend": session_extend,
    "session_stop": session_stop,
    "hand_ack": hand_ack,
    "hand_lower": hand_lower,
    "hands_clear": hands_clear,
    "identify": identify,
    "ring_test": ring_test,
    "follow_up": follow_up,
    "config": config,
    "fw_offer": fw_offer,
    "fw_chunk": fw_chunk,
    "fw_apply": fw_apply,
}

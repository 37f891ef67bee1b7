"""sessions — `talkpuck sessions` lists stored sessions; `talkpuck session ID` shows one."""
import argparse
import json
import time

from talkpuck.cli import runtime


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("sessions", help="list stored sessions")
    runtime.store_args(p)
    p.add_argument("--room", help="only this room")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_list)
    q = sub.add_parser("session", help="one session: turns and talk time per voice, hand raises")
    runtime.store_args(q)
    q.add_argument("id", help="session id (see `talkpuck sessions`)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=run_show)


def _t(ms: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000.0)) if ms else "-"


def _mmss(s: float | None) -> str:
    if s is None:
        return "-"
    s = int(round(s))
    return "%d:%02d" % (s // 60, s % 60)


def run_list(args: argparse.Namespace) -> int | None:
    store = runtime.open_store(args)
    rows = store.sessions(args.room)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    if not rows:
        print("no sessions stored yet")
        return 0
    print("%-28s %-16s %-12s %-9s %-19s %7s %s" % ("session", "room", "device", "phase", "started", "limit", "purpose"))
    for s in rows:
        flag = "  (short break: %s)" % _mmss(s["break_before_s"]) if s["short_break"] else ""
        print("%-28s %-16s %-12s %-9s %-19s %7s %s%s" % (s["id"], (s["room"] or "-")[:16], s["device"] or "-", s["phase"],
                                                        _t(s["started_ms"]), _mmss(s["limit_s"]), s["purpose"] or "", flag))
    return 0


def run_show(args: argparse.Namespace) -> int | None:
    from talkpuck.analytics import session_summary
    from talkpuck.errors import TalkpuckError
    s = session_summary(runtime.open_store(args), args.id)
    if s is None:
        raise TalkpuckError("no session %r stored (see `talkpuck sessions`)" % args.id)
    if args.json:
        print(json.dumps(s, indent=1))
        return 0
    print("session %s  room %s  device %s  (%s)" % (s["id"], s["room"], s["device"], s["source"]))
    if s["purpose"]:
        print("purpose: %s" % s["purpose"])
    print("phase %s  started %s  ended %s  limit %s  duration %s" % (
        s["phase"], _t(s["started_ms"]), _t(s["ended_ms"]), _mmss(s["limit_s"]), _mmss(s["duration_s"])))
    if s["break_before_s"] is not None:
        print("break before: %s%s" % (_mmss(s["break_before_s"]), "  (shorter than the minimum)" if s["short_break"] else ""))
    print("turns %d  talk time %s" % (s["turns"], _mmss(s["talk_s"])))
    where = {True: "  the call", False: "  the room", None: ""}
    for voice, v in s["voices"].items():
        print("  voice %-3s %4d turns  %7s  %3.0f%%%s" % (voice, v["turns"], _mmss(v["talk_s"]), 100 * v["share"],
                                                       where[v.get("remote")]))
    rc = s.get("room_call")
    if rc:  # the puck told the room from the call (evt/turn.remote)
        print("the room %s (%.0f%%)  the call %s (%.0f%%)%s" % (
            _mmss(rc["room_s"]), 100 * rc["room_share"], _mmss(rc["call_s"]), 100 * rc["call_share"],
            "  not known %s (%.0f%%)" % (_mmss(rc["unknown_s"]), 100 * rc["unknown_share"]) if rc["unknown_s"] else ""))
    print("hand raises %d (acknowledged %d, remote %d), mean wait %s" % (
        s["hand_raises"], s["hands_acked"], s["remote_hands"], _mmss(s["hand_wait_mean_s"])))
    return 0

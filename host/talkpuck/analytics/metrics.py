"""metrics — a session's conversation figures from its turn rows (docs/metrics.md defines each one).

Pure arithmetic: rows in, numbers out; times are wall-clock Unix milliseconds, durations in ms
unless a name says `_s`. One microphone gives one activity stream, so two voices never overlap in
the rows and overlap is not measured.

The pieces of one detected turn (the firmware splits a turn at a voice change and reports each piece
as its own turn, back to back) are told apart from a real change of speaker: by the turn's
`turn_key` when the row carries one (the field that ties the pieces of a turn together), else by
the pieces touching exactly (no gap at all: the segmenter never ends a turn without silence).
"""
import math
from collections.abc import Iterable, Sequence
from typing import Any
from dataclasses import dataclass

from talkpuck.errors import ConfigError

Row = dict[str, Any]          # a store row: a turn (voice, start_ms, end_ms, ...), a hand, a session
Rows = Sequence[Row]


@dataclass(frozen=True)
class Thresholds:
    """The figures' settings, each with its unit in the name (host setting `review_thresholds`)."""
    monologue_s: float = 60.0          # one voice talking this long without another in between
    cut_in_gap_ms: int = 200           # a voice starting within this of another's end came in without a pause
    silence_s: float = 5.0             # a quiet stretch at least this long counts as a silence
    first_minutes_s: float = 120.0     # the practitioner's suggested voice: most talk in this opening stretch
    busy_window_s: float = 30.0        # "many turn changes in a short stretch": this window...
    busy_switches: int = 8             # ...holding at least this many changes of voice
    raised_db: float = 6.0             # a turn this much louder than the session's median level is raised
    raised_min_s: float = 20.0         # raised level sustained this long (consecutive raised turns)
    early_end_fraction: float = 0.75   # ended before this fraction of the planned length: ended early
    mid_turn_ms: int = 500             # a turn ending this close to the session's end was cut off
    short_question_s: float = 6.0      # interrogation: a practitioner turn at most this long...
    short_answer_s: float = 8.0        # ...followed by another voice's turn at most this long
    interrogation_min_pairs: int = 6   # at least this many such exchanges
    interrogation_turn_share: float = 0.40  # practitioner's share of turns at least this
    interrogation_other_talk: float = 0.65  # the others' share of talk time at most this
    interrogation_gap_s: float = 1.0        # median response gap (practitioner -> other) at most this

    def check(self) -> "Thresholds":
        for name, value in vars(self).items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 or math.isnan(value):
                raise ConfigError("review threshold %s must be a number >= 0, got %r" % (name, value))
        return self


DEFAULT = Thresholds()


def ordered(turns: Iterable[Row]) -> list[Row]:
    return sorted(turns, key=lambda r: (r["start_ms"], r["end_ms"]))


def same_turn(prev: Row, cur: Row) -> bool:
    """True when `cur` is the next piece of the detected turn `prev` belongs to (not a new speaker)."""
    a, b = prev.get("turn_key"), cur.get("turn_key")
    if a is not None and b is not None:
        return a == b
    return cur["start_ms"] == prev["end_ms"]


def median(values: Iterable[float]) -> float | None:
    v = sorted(values)
    if not v:
        return None
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def talk(turns: Iterable[Row]) -> tuple[dict[int, int], dict[int, float]]:
    """{voice: talk ms} and {voice: share of all talk (0..1)}."""
    ms: dict[int, int] = {}
    for t in turns:
        ms[int(t["voice"])] = ms.get(int(t["voice"]), 0) + int(t["end_ms"] - t["start_ms"])
    total = sum(ms.values())
    return dict(sorted(ms.items())), {v: (x / total if total else 0.0) for v, x in sorted(ms.items())}


def places(turns: Iterable[Row]) -> dict[int, bool | None]:
    """{voice: True (the call: a laptop loudspeaker), False (the room), None (not known)}: the puck's
    latest `remote` flag for each voice in the session (evt/turn.remote, protocol revision 5). The
    puck pools its cue over all of a voice's talk, so its last decision is its best; a turn without
    the flag (an older puck, or the light configuration) changes nothing."""
    out: dict[int, bool | None] = {}
    for t in sorted(turns, key=lambda r: (r["start_ms"], r["end_ms"])):
        v = int(t["voice"])
        r = t.get("remote")
        if r is not None:
            out[v] = bool(r)
        else:
            out.setdefault(v, None)
    return dict(sorted(out.items()))


def room_and_call(turns: Iterable[Row], where: dict[int, bool | None] | None = None) -> dict[str, Any] | None:
    """Talk time, share and turns of the room and of the call (docs/metrics.md): each turn counted
    where its voice is (`places`); None when no voice of the session carries a flag (nothing known).
    Shares are of all talk, the unknown included, so room + call + unknown = 1."""
    where = places(turns) if where is None else where
    if not any(x is not None for x in where.values()):
        return None
    ms = {"room": 0, "call": 0, "unknown": 0}
    n = {"room": 0, "call": 0, "unknown": 0}
    for t in turns:
        w = where.get(int(t["voice"]))
        key = "unknown" if w is None else ("call" if w else "room")
        ms[key] += int(t["end_ms"] - t["start_ms"])
        n[key] += 1
    total = sum(ms.values())
    out: dict[str, Any] = {}
    for key in ("room", "call", "unknown"):
        out[key + "_ms"] = ms[key]
        out[key + "_share"] = ms[key] / total if total else 0.0
        out[key + "_turns"] = n[key]
    out["call_voices"] = [v for v, w in where.items() if w]
    out["room_voices"] = [v for v, w in where.items() if w is False]
    return out


def balance(shares: dict[int, float]) -> float | None:
    """Normalised Shannon entropy of the talk shares: 1 = everyone equal, 0 = one voice; None under 2 voices."""
    p = [s for s in shares.values() if s > 0]
    if len(shares) < 2:
        return None
    h = -sum(s * math.log(s) for s in p)
    return h / math.log(len(shares))


def turns_per_voice(turns: Iterable[Row]) -> dict[int, int]:
    out: dict[int, int] = {}
    for t in turns:
        out[int(t["voice"])] = out.get(int(t["voice"]), 0) + 1
    return dict(sorted(out.items()))


def runs(turns: Iterable[Row]) -> list[tuple[int, int, int, int]]:
    """Consecutive turns of one voice merged: [(voice, start_ms, end_ms, n_turns)] in time order."""
    out: list[tuple[int, int, int, int]] = []
    for t in ordered(turns):
        v = int(t["voice"])
        if out and out[-1][0] == v:
            out[-1] = (v, out[-1][1], max(out[-1][2], t["end_ms"]), out[-1][3] + 1)
        else:
            out.append((v, t["start_ms"], t["end_ms"], 1))
    return out


def monologues(turns: Iterable[Row], th: Thresholds = DEFAULT) -> list[dict[str, int]]:
    """Runs of one voice (no other voice between its turns) lasting at least th.monologue_s."""
    return [{"voice": v, "start_ms": a, "end_ms": b, "dur_ms": b - a}
            for v, a, b, _ in runs(turns) if b - a >= th.monologue_s * 1000]


def switches(turns: Iterable[Row]) -> list[Row]:
    """Changes of voice from one turn to the next (a change inside one detected turn is one too)."""
    ts = ordered(turns)
    return [cur for prev, cur in zip(ts, ts[1:]) if int(prev["voice"]) != int(cur["voice"])]


def switches_per_minute(turns: Iterable[Row], duration_ms: int | None) -> float | None:
    if not duration_ms or duration_ms <= 0:
        return None
    return len(switches(turns)) / (duration_ms / 60000.0)


def cut_ins(turns: Iterable[Row], th: Thresholds = DEFAULT) -> list[Row]:
    """Turns of a voice starting within th.cut_in_gap_ms of another voice's end (pieces of one turn excepted)."""
    ts = ordered(turns)
    return [cur for prev, cur in zip(ts, ts[1:])
            if int(prev["voice"]) != int(cur["voice"]) and not same_turn(prev, cur)
            and cur["start_ms"] - prev["end_ms"] <= th.cut_in_gap_ms]


def silences(turns: Iterable[Row], start_ms: int, end_ms: int, th: Thresholds = DEFAULT) -> dict[str, Any]:
    """Quiet stretches inside [start_ms, end_ms]: all gaps between talk, and the figures on them."""
    gaps: list[tuple[int, int]] = []
    at = start_ms
    for t in ordered(turns):
        if t["start_ms"] > at:
            gaps.append((at, min(t["start_ms"], end_ms)))
        at = max(at, t["end_ms"])
        if at >= end_ms:
            break
    if end_ms > at:
        gaps.append((at, end_ms))
    gaps = [(a, b) for a, b in gaps if b > a]
    long_ = [(a, b) for a, b in gaps if b - a >= th.silence_s * 1000]
    return {"total_ms": sum(b - a for a, b in gaps), "longest_ms": max([b - a for a, b in gaps] or [0]),
            "count_long": len(long_), "long": long_}


def response_gaps(turns: Iterable[Row], from_voice: int | None = None) -> list[int]:
    """Times (ms, >= 0) from one voice's end to a different voice's start; `from_voice`: only after that voice."""
    ts = ordered(turns)
    return [max(0, cur["start_ms"] - prev["end_ms"]) for prev, cur in zip(ts, ts[1:])
            if int(prev["voice"]) != int(cur["voice"]) and not same_turn(prev, cur)
            and (from_voice is None or int(prev["voice"]) == from_voice)]


def hand_waits(hands: Iterable[Row]) -> list[float]:
    """Seconds from raise to acknowledgement per acknowledged hand."""
    return [(h["acked_ms"] - h["raised_ms"]) / 1000.0 for h in hands if h.get("acked_ms")]


def suggested_practitioner(turns: Rows, started_ms: int | None, th: Thresholds = DEFAULT) -> int | None:
    """The voice with the most talk in the first th.first_minutes_s of the session (None without talk)."""
    if started_ms is None:
        return None
    until = started_ms + th.first_minutes_s * 1000
    ms: dict[int, int] = {}
    for t in turns:
        a, b = max(t["start_ms"], started_ms), min(t["end_ms"], until)
        if b > a:
            ms[int(t["voice"])] = ms.get(int(t["voice"]), 0) + (b - a)
    if not ms:
        ms = talk(turns)[0]
    return max(sorted(ms), key=lambda v: ms[v]) if ms else None


def interrogation(turns: Rows, practitioner: int | None, th: Thresholds = DEFAULT) -> dict[str, Any] | None:
    """The interrogation pattern (docs/metrics.md), or None when it is not there or cannot be told.

    All four hold: at least th.interrogation_min_pairs exchanges of a short practitioner turn followed
    by a short answer from another voice; the practitioner's share of turns is high; the others' share
    of talk time is low; the median response gap after the practitioner is short."""
    if practitioner is None or not turns:
        return None
    ts = ordered(turns)
    pairs = [(p, a) for p, a in zip(ts, ts[1:])
             if int(p["voice"]) == practitioner and int(a["voice"]) != practitioner and not same_turn(p, a)
             and p["end_ms"] - p["start_ms"] <= th.short_question_s * 1000
             and a["end_ms"] - a["start_ms"] <= th.short_answer_s * 1000]
    n = turns_per_voice(ts)
    turn_share = n.get(practitioner, 0) / float(len(ts))
    _, shares = talk(ts)
    other_talk = 1.0 - shares.get(practitioner, 0.0)
    gap = median(response_gaps(ts, practitioner))
    if (len(pairs) >= th.interrogation_min_pairs and turn_share >= th.interrogation_turn_share
            and other_talk <= th.interrogation_other_talk and gap is not None
            and gap <= th.interrogation_gap_s * 1000):
        return {"pairs": len(pairs), "from_ms": pairs[0][0]["start_ms"], "to_ms": pairs[-1][1]["end_ms"],
                "practitioner_turn_share": turn_share, "others_talk_share": other_talk, "median_gap_ms": gap}
    return None


def difficult_moments(turns: Iterable[Row], session: Row, th: Thresholds = DEFAULT) -> list[dict[str, Any]]:
    """Places to look back at: [{"kind", "start_ms", "end_ms", "note"}] in time order."""
    ts = ordered(turns)
    out: list[dict[str, Any]] = []
    # sustained raised level: consecutive turns louder than the session's median by th.raised_db
    levels = [t["level_db"] for t in ts if t.get("level_db") is not None]
    base = median(levels)          # None: no turn carries a level
    if base is not None:
        run: list[Row] = []
        for t in ts + [None]:
            if t is not None and t.get("level_db") is not None and t["level_db"] >= base + th.raised_db:
                run.append(t)
                continue
            if run and run[-1]["end_ms"] - run[0]["start_ms"] >= th.raised_min_s * 1000:
                out.append({"kind": "raised", "start_ms": run[0]["start_ms"], "end_ms": run[-1]["end_ms"],
                            "note": "raised level for %d s" % ((run[-1]["end_ms"] - run[0]["start_ms"]) // 1000)})
            run = []
    # many changes of voice in a short stretch: at least th.busy_switches in th.busy_window_s, and at
    # least twice the session's own rate (a brisk call is not a difficult moment all the way through)
    sw = [t["start_ms"] for t in switches(ts)]
    win = th.busy_window_s * 1000
    span = (ts[-1]["end_ms"] - ts[0]["start_ms"]) if ts else 0
    need = max(th.busy_switches, int(math.ceil(2.0 * len(sw) * win / span)) if span > 4 * win else 0)
    i = 0
    while i < len(sw):
        j = i
        while j + 1 < len(sw) and sw[j + 1] - sw[i] <= win:
            j += 1
        if j - i + 1 >= need:
            while j + 1 < len(sw) and sw[j + 1] - sw[j] <= win / need * 2:
                j += 1     # extend while the changes keep coming this fast
            out.append({"kind": "busy", "start_ms": sw[i], "end_ms": sw[j],
                        "note": "%d changes of voice in %d s" % (j - i + 1, max(1, (sw[j] - sw[i]) // 1000))})
            i = j + 1
        else:
            i += 1
    # an abrupt end
    started, ended = session.get("started_ms"), session.get("ended_ms")
    if started is not None and ended is not None:
        planned = planned_ms(session)
        if planned and ended - started < planned * th.early_end_fraction:
            out.append({"kind": "early", "start_ms": ended, "end_ms": ended,
                        "note": "ended after %d of %d planned minutes" % ((ended - started) // 60000, planned // 60000)})
        if ts and ts[-1]["end_ms"] >= ended - th.mid_turn_ms:
            out.append({"kind": "cut_off", "start_ms": ts[-1]["start_ms"], "end_ms": ended,
                        "note": "ended while voice %d was talking" % int(ts[-1]["voice"])})
    return sorted(out, key=lambda m: m["start_ms"])


def planned_ms(session: Row) -> int | None:
    """The length planned at the start (the limit less any extensions), ms; None without a limit."""
    if not session.get("limit_s"):
        return None
    return (int(session["limit_s"]) - int(session.get("extended_s") or 0)) * 1000


def end_ms(session: Row, turns: Iterable[Row]) -> int:
    return session.get("ended_ms") or max([t["end_ms"] for t in turns] or [session.get("started_ms") or 0])


def compute(session: Row, turns: Iterable[Row], hands: Rows, practitioner: int | None = None,
            th: Thresholds = DEFAULT) -> dict[str, Any]:
    """Every figure of docs/metrics.md for one session (a dict, JSON-ready)."""
    ts = ordered(turns)
    started = session.get("started_ms")
    ended = end_ms(session, ts) if started is not None else None
    duration = (ended - started) if started is not None and ended is not None else None
    talk_ms, shares = talk(ts)
    n = turns_per_voice(ts)
    durs = [t["end_ms"] - t["start_ms"] for t in ts]
    # (a duration means both ends are known)
    sil = (silences(ts, started, ended, th) if duration and started is not None and ended is not None
           else {"total_ms": 0, "longest_ms": 0, "count_long": 0, "long": []})
    planned = planned_ms(session)
    waits = hand_waits(hands)
    cuts = cut_ins(ts, th)
    cut_by: dict[int, int] = {}
    for c in cuts:
        cut_by[int(c["voice"])] = cut_by.get(int(c["voice"]), 0) + 1
    mono = monologues(ts, th)
    mono_by: dict[int, int] = {}
    for m in mono:
        mono_by[m["voice"]] = mono_by.get(m["voice"], 0) + 1
    where = places(ts)
    voices = {v: {"talk_ms": talk_ms[v], "share": shares[v], "turns": n[v], "cut_ins": cut_by.get(v, 0),
                  "monologues": mono_by.get(v, 0), "practitioner": v == practitioner, "remote": where.get(v)}
              for v in talk_ms}
    sides = None
    if practitioner is not None and ts:
        p_ms = talk_ms.get(practitioner, 0)
        total = sum(talk_ms.values())
        sides = {"practitioner_talk_ms": p_ms, "others_talk_ms": total - p_ms,
                 "practitioner_share": p_ms / total if total else 0.0,
                 "practitioner_turns": n.get(practitioner, 0), "others_turns": len(ts) - n.get(practitioner, 0),
                 "practitioner_turn_share": n.get(practitioner, 0) / len(ts)}
    rgaps = response_gaps(ts)
    return {
        "duration_ms": duration, "planned_ms": planned,
        "overrun_ms": max(0, duration - planned) if duration is not None and planned else None,
        "extended_s": int(session.get("extended_s") or 0),
        "break_before_s": session.get("break_before_s"), "back_to_back": bool(session.get("short_break")),
        "turns": len(ts), "talk_ms": sum(talk_ms.values()), "voices": voices,
        "balance": balance(shares), "median_turn_ms": median(durs), "longest_turn_ms": max(durs or [0]),
        "monologues": mono, "switches_per_min": switches_per_minute(ts, duration),
        "cut_ins": len(cuts), "silence_total_ms": sil["total_ms"], "silence_longest_ms": sil["longest_ms"],
        "silences_long": sil["count_long"], "response_gap_median_ms": median(rgaps),
        "hand_raises": len(hands), "hands_acked": len(waits),
        "hand_wait_median_s": median(waits), "hand_wait_longest_s": max(waits) if waits else None,
        "practitioner": practitioner, "sides": sides, "room_call": room_and_call(ts, where),
        "interrogation": interrogation(ts, practitioner, th),
        "moments": difficult_moments(ts, session, th),
        "thresholds": vars(th),
    }

"""summary — per-session figures (turns per voice, talk time per voice, the room and the call, hand
raises) and `stats()`.

Pure arithmetic over rows the Store returns; voices are the anonymous numbers the puck gives,
which restart with every session (protocol §10). Where a voice is (the room, or the call through a
laptop loudspeaker: evt/turn.remote) is analytics.metrics.places.
"""
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from talkpuck.analytics.metrics import Row, places, room_and_call

if TYPE_CHECKING:
    from talkpuck.store import Store


MONOLOGUE_MS = 60000  # one voice talking this long without another voice in between
CUT_IN_MS = 200  # a voice that starts within this of another's end (or before it) came in without a pause


def voices_of(turns: Sequence[Row]) -> dict[int, dict[str, Any]]:
    """{voice: {"turns", "talk_s", "share", "monologues", "cut_ins", "remote"}} from turn rows in start
    order; `remote` is where the voice is (metrics.places: true the call, false the room, None unknown).

    A monologue is a run of the same voice's turns (no other voice between them) of at least
    MONOLOGUE_MS from first start to last end. A cut-in is a turn that starts no later than
    CUT_IN_MS after a different voice's turn ended: a take-over without a pause, which is where
    interruptions are (the puck cannot tell a welcome hand-over from an interruption; the count is
    a hint, counted for the voice that came in).
    """
    out: dict[int, dict[str, Any]] = {}
    prev = None
    run_voice, run_start, run_end = None, 0, 0
    for t in sorted(turns, key=lambda r: r["start_ms"]):
        voice = int(t["voice"])
        v = out.setdefault(voice, {"turns": 0, "talk_ms": 0, "monologues": 0, "cut_ins": 0})
        v["turns"] += 1
        v["talk_ms"] += int(t["dur_ms"])
        # a piece that continues the turn before it (evt/turn.cont) is a voice change inside one turn, not a cut-in
        if (prev is not None and int(prev["voice"]) != voice and t["start_ms"] - prev["end_ms"] <= CUT_IN_MS
                and not t.get("cont")):
            v["cut_ins"] += 1
        if voice == run_voice:
            run_end = max(run_end, t["end_ms"])
        else:
            if run_voice is not None and run_end - run_start >= MONOLOGUE_MS:
                out[run_voice]["monologues"] += 1
            run_voice, run_start, run_end = voice, t["start_ms"], t["end_ms"]
        prev = t
    if run_voice is not None and run_end - run_start >= MONOLOGUE_MS:
        out[run_voice]["monologues"] += 1
    total = sum(v["talk_ms"] for v in out.values()) or 1
    where = places(turns)
    return {k: {"turns": v["turns"], "talk_s": round(v["talk_ms"] / 1000.0, 1),
                "share": round(v["talk_ms"] / float(total), 3),
                "monologues": v["monologues"], "cut_ins": v["cut_ins"], "remote": where.get(k)}
            for k, v in sorted(out.items())}


def room_call_view(turns: Sequence[Row]) -> dict[str, Any] | None:
    """The room and the call, rounded for the pages and the CLI: {"room_s", "call_s", "unknown_s",
    "room_share", "call_share", "unknown_share", "call_voices"}, or None when nothing is known."""
    rc = room_and_call(turns)
    if rc is None:
        return None
    out: dict[str, Any] = {}
    for key in ("room", "call", "unknown"):
        out[key + "_s"] = round(rc[key + "_ms"] / 1000.0, 1)
        out[key + "_share"] = round(rc[key + "_share"], 3)
    out["call_voices"] = rc["call_voices"]
    return out


def session_summary(store: "Store", sid: str) -> dict[str, Any] | None:
    """One session with its figures, or None when the id is unknown."""
    s = store.session(sid)
    if s is None:
        return None
    turns = store.session_turns(sid)
    hands = store.session_hands(sid)
    duration_s = None
    if s["started_ms"]:
        duration_s = round(((s["ended_ms"] or max([t["end_ms"] for t in turns] or [s["started_ms"]]))
                            - s["started_ms"]) / 1000.0, 1)
    waits = [(h["acked_ms"] - h["raised_ms"]) / 1000.0 for h in hands if h["acked_ms"]]
    return dict(s, duration_s=duration_s, turns=len(turns),
                talk_s=round(sum(t["dur_ms"] for t in turns) / 1000.0, 1),
                voices=voices_of(turns), room_call=room_call_view(turns), hand_raises=len(hands),
                hands_acked=sum(1 for h in hands if h["state"] == "acked"),
                hand_wait_mean_s=round(sum(waits) / len(waits), 1) if waits else None,
                remote_hands=sum(1 for h in hands if h["source"] == "host"))


def stats(store: "Store") -> dict[str, Any]:
    """Host totals: the summary `talkpuck demo` prints, and the dashboard's counters."""
    counters = store.counters()
    rejected = {k[len("rejected:"):]: v for k, v in counters.items() if k.startswith("rejected:")}
    http = {k[len("http:"):]: v for k, v in counters.items() if k.startswith("http:")}
    return {
        "sessions": store.count("sessions"),
        "sessions_started": sum(1 for s in store.sessions(limit=100000) if s["started_ms"]),
        "turns": store.count("turns"),
        "hand_raises": store.count("hands"),
        "events_stored": store.count("events"),
        "events_lost": store.events_lost(),
        "duplicates_dropped": counters.get("duplicates_dropped", 0),
        "rejected": rejected,
        "rejected_total": sum(rejected.values()),
        "http_rejected": http,
        "commands": store.count("commands"),
        "devices": store.count("devices"),
    }

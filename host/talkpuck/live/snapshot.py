"""snapshot — everything the rooms page and the live room view show, for every room or for some rooms.

Built by the LiveHub for the rooms that changed (not once per browser) and filtered per user by room;
a few batched queries per build (talkpuck.store.live), the balance of voices cached per session. Each
device carries its health problems and the ring mirror (talkpuck.live.mirror); each room its
minimum break, when its last call ended, its running session with the balance of voices, and the
hand queue of that session.
"""
import json
import time
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from puckcore.outbox import Outbox
from puckcore.protocol import LIVE_PHASES as LIVE

from talkpuck.analytics import voices_of
from talkpuck.analytics.summary import room_call_view
from talkpuck.analytics.tally import OutOfOrder, VoiceTally
from talkpuck.auth.rooms import can_see
from talkpuck.live import mirror
from talkpuck.store import NO_ROOM

if TYPE_CHECKING:
    from talkpuck.hands.queue import HandQueue
    from talkpuck.store import Store

# session -> ((turns, highest turn id), its VoiceTally, its session_figures): figures() keeps it
VoiceCache = dict[str, tuple[tuple[int, int], VoiceTally, dict[str, Any]]]

SESSION_FIELDS = ("id", "device", "purpose", "limit_s", "warn_s", "phase", "started_ms", "break_before_s", "short_break")
OFFLINE_PROBLEM_S = 120             # offline longer than this is a health problem
LOW_MEMORY_BYTES = 16 * 1024        # tele.mem_free under this is a health problem
OUTBOX_CAPACITY = Outbox.capacity_default


def _n(k: int, word: str) -> str:
    return "%d %s%s" % (k, word, "" if k == 1 else "s")


def health(d: dict[str, Any], now_ms: int) -> list[str]:
    """The device's health problems, as short sentences (none: an empty list)."""
    out: list[str] = []
    tele = d.get("tele") or {}
    seen = d.get("last_seen_ms")
    if not d.get("online") and seen and now_ms - seen > OFFLINE_PROBLEM_S * 1000:
        out.append("offline for %d min" % ((now_ms - seen) // 60000))
    if (tele.get("outbox") or 0) > OUTBOX_CAPACITY // 2:
        out.append("outbox over half full (%d of %d)" % (tele["outbox"], OUTBOX_CAPACITY))
    if tele.get("dropped"):
        out.append(_n(tele["dropped"], "event") + " dropped")
    if tele.get("rejected"):
        out.append(_n(tele["rejected"], "command") + " rejected")
    if tele.get("mem_free") is not None and tele["mem_free"] < LOW_MEMORY_BYTES:
        out.append("low memory (%d KB free)" % (tele["mem_free"] // 1024))
    if tele.get("mic_short_reads"):
        out.append(_n(tele["mic_short_reads"], "short microphone read"))
    if "mic_frames" in tele and tele.get("uptime_s", 0) > 10 and not tele["mic_frames"]:
        out.append("no audio frames")
    return out


def device_view(d: dict[str, Any], now_ms: int, room_info: dict[str, Any] | None = None) -> dict[str, Any]:
    st = d["state"] or {}
    tele = d["tele"] or {}
    phase = st.get("phase", "idle")
    remaining = st.get("remaining_s")
    age = (now_ms - d["state_ms"]) if d["state_ms"] else 0
    if remaining is not None and phase in LIVE and d["state_ms"]:
        # the puck reports at least every 10 s; count down in between (the puck owns the clock)
        remaining = remaining - int(age // 1000)
    info = room_info or {}
    view: dict[str, Any] = {"id": d["id"], "online": bool(d["online"]), "room_reported": d["room_reported"],
            "room_override": d["room_override"], "phase": phase, "session": st.get("session"),
            "limit_s": st.get("limit_s"), "remaining_s": remaining, "talking": bool(st.get("talking")),
            "voice": st.get("voice", 0), "hands": st.get("hands", 0), "hand_ack": st.get("hand_ack", 0),
            "mic": st.get("mic", "on"), "fw": d["fw"], "leds": d.get("leds"),
            # the puck's own drop and reject counts (tele, §5), shown beside the host's
            "outbox": tele.get("outbox"), "dropped": tele.get("dropped"), "rejected": tele.get("rejected"),
            "mem_free": tele.get("mem_free"), "last_seen_ms": d.get("last_seen_ms"),
            "state_age_s": round(age / 1000.0, 1) if d["state_ms"] else None,
            "health": health(d, now_ms), "follow_s": st.get("follow_s"),
            # the voice talking now comes from the call (true) or the room (false); None: not known (state.remote)
            "remote": st.get("remote") if st.get("talking") else None}
    st2 = dict(st, remaining_s=remaining) if remaining is not None else st
    v = mirror.view_from_state(st2, online=d["online"], warn_s=info.get("warn_s", 0),
                               min_break_s=info.get("min_break_s", 0), break_s=info.get("break_s", 0),
                               follow_total_s=info.get("follow_total_s"))
    view["ring"] = mirror.ring_svg(mirror.render(v, d.get("leds") or mirror.DEFAULT_LEDS),
                                   label="ring of %s: %s" % (d["id"], phase))
    return view


def _room(rooms: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    return rooms.setdefault(name, {"room": name, "devices": [], "hands": [], "sessions": [], "session": None,
                                   "min_break_s": None, "last_ended_ms": None, "since_last_s": None})


def session_figures(turns: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What a session view shows from its turns: the balance of voices so far (share, turns, monologues
    and cut-ins per anonymous voice, each in the room or from the call) and the call's share of the talk
    (analytics.summary.room_call_view)."""
    return {"voices": voices_of(turns), "room_call": room_call_view(turns)}


def figures(store: "Store", sids: Sequence[str], cache: VoiceCache | None = None) -> dict[str, dict[str, Any]]:
    """{session: session_figures of its turns}; with `cache` (a dict the caller keeps: session -> (mark,
    VoiceTally, figures)), a session's figures are recomputed only when it got turns since (keyed by its
    number of turns and highest turn id), and then from the turns it got since, folded into the session's
    tally (talkpuck.analytics.tally): a build reads the new turns, not every turn again. A session whose
    turns were deleted, or that got a turn earlier than one already folded, is folded again from the store."""
    if cache is None:
        return {sid: session_figures(store.session_turns(sid)) for sid in sids}
    marks = store.turn_marks(sids)
    out: dict[str, dict[str, Any]] = {}
    stale: dict[str, tuple[int, int]] = {}
    for sid in sids:
        mark = marks.get(sid, (0, 0))
        hit = cache.get(sid)
        if hit is not None and hit[0] == mark:
            out[sid] = hit[2]
        elif mark[0] == 0:
            cache[sid] = (mark, VoiceTally(), session_figures([]))
            out[sid] = cache[sid][2]
        else:
            stale[sid] = mark
    if not stale:
        return out
    after: dict[str, int] = {}
    for sid, mark in stale.items():
        hit = cache.get(sid)
        tally = hit[1] if hit is not None else None
        after[sid] = tally.last_id if tally is not None and tally.turns <= mark[0] else 0
    new = store.turns_after(after)
    for sid, mark in stale.items():
        tally = cache[sid][1] if after[sid] else VoiceTally()
        rows = new.get(sid, [])
        try:
            if tally.turns + len(rows) != mark[0]:
                raise OutOfOrder("turns deleted, or stored between the two reads")
            for r in rows:
                tally.add(r)
        except OutOfOrder:
            tally = VoiceTally()
            for r in store.turns_after({sid: 0})[sid]:
                tally.add(r)
        cache[sid] = (mark, tally, tally.figures())
        out[sid] = cache[sid][2]
    return out


def build(store: "Store", hands_queue: "HandQueue | None", who: dict[str, Any] | None = None, now_ms: int | None = None,
          follow_total: dict[str, int] | None = None, rooms: Collection[str] | None = None,
          devices: list[dict[str, Any]] | None = None, voices_cache: VoiceCache | None = None) -> dict[str, Any]:
    """{"now_ms", "rooms": [...]}; with `who`, only the rooms that user may see; with `rooms` (names),
    only those (the hub's per-room rebuild), from `devices` (store.devices(), if the caller has them)."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    devices = store.devices() if devices is None else devices
    names = {d["room"] for d in devices}
    if rooms is not None:
        names &= set(rooms)
    if who is not None:
        names = {k for k in names if can_see(who, k)}
    rooms_out = {k: _room({}, k) for k in sorted(names)}
    devices = [d for d in devices if d["room"] in rooms_out]
    min_break = store.rooms_min_break_s(list(rooms_out))
    last_ended = store.rooms_last_ended_ms(list(rooms_out))
    for name, r in rooms_out.items():
        r["min_break_s"] = min_break[name]
        r["last_ended_ms"] = last_ended.get(name)
        if r["last_ended_ms"]:
            r["since_last_s"] = int((now - r["last_ended_ms"]) // 1000)
    by_id = store.sessions_by_id({sid for sid in ((d["state"] or {}).get("session") for d in devices) if sid is not None})
    current = store.current_sessions([d["id"] for d in devices if not (d["state"] or {}).get("session")])
    sessions: dict[str, dict[str, Any]] = {}
    for d in devices:
        st = d["state"] or {}
        s = by_id.get(st["session"]) if st.get("session") else current.get(d["id"])
        if s:
            sessions[d["id"]] = s
    per_session = figures(store, sorted({s["id"] for s in sessions.values()}), voices_cache)
    for d in devices:
        r = rooms_out[d["room"]]
        s = sessions.get(d["id"])
        info = {"min_break_s": r["min_break_s"], "warn_s": (s or {}).get("warn_s") or 0,
                "break_s": r["since_last_s"] or 0, "follow_total_s": (follow_total or {}).get(d["id"])}
        dv = device_view(d, now, info)
        r["devices"].append(dv)
        if s:
            # the balance of voices so far (session_figures)
            sv = dict({k: s[k] for k in SESSION_FIELDS}, **per_session[s["id"]])
            sv["warning"] = dv["phase"] in ("warning", "wrapup")
            dv["session_view"] = sv
            r["sessions"].append(sv)
    for r in rooms_out.values():
        # running sessions first (stable: device order otherwise); `session` is the first, for older clients
        r["sessions"].sort(key=lambda sv: sv["phase"] not in LIVE)
        r["session"] = r["sessions"][0] if r["sessions"] else None
    if hands_queue is None:
        queue: list[dict[str, Any]] = []
    elif rooms is None:
        queue = hands_queue.list()
    else:
        queue = hands_queue.list(rooms=list(rooms_out))
    for h in queue:
        hr = rooms_out.get(h["room"] or NO_ROOM)
        if hr is None:
            continue
        live_ids = {s["id"] for s in hr["sessions"] if s["phase"] in LIVE}
        # this session's hands only; with no session running, the room's recent hands
        if not live_ids or h["session"] in live_ids or (h["session"] is None and h["state"] == "waiting"):
            hr["hands"].append(h)
    for r in rooms_out.values():
        # the place in this room's queue (the hands queue counts across the rooms it listed)
        k = 0
        for h in r["hands"]:
            if h["state"] == "waiting":
                k += 1
                h["position"] = k
    return {"now_ms": now, "rooms": list(rooms_out.values())}


def room_json(room: dict[str, Any]) -> str:
    return json.dumps(room, separators=(",", ":"), default=str)

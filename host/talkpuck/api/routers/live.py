"""live — GET /api/live: everything the live room view shows, per room, in one poll."""
import time

from fastapi import APIRouter, Depends
from puckcore.protocol import LIVE_PHASES as LIVE

from talkpuck.analytics import voices_of
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see
from talkpuck.store import NO_ROOM

router = APIRouter(tags=["live"])
SESSION_FIELDS = ("id", "device", "purpose", "limit_s", "warn_s", "phase", "started_ms", "break_before_s", "short_break")


def device_view(d, now_ms):
    st = d["state"] or {}
    tele = d["tele"] or {}
    phase = st.get("phase", "idle")
    remaining = st.get("remaining_s")
    if remaining is not None and phase in LIVE and d["state_ms"]:
        # the puck reports at least every 10 s; count down in between (the puck owns the clock)
        remaining = remaining - int((now_ms - d["state_ms"]) // 1000)
    return {"id": d["id"], "online": bool(d["online"]), "room_reported": d["room_reported"],
            "room_override": d["room_override"], "phase": phase, "session": st.get("session"),
            "limit_s": st.get("limit_s"), "remaining_s": remaining, "talking": bool(st.get("talking")),
            "voice": st.get("voice", 0), "hands": st.get("hands", 0), "hand_ack": st.get("hand_ack", 0),
            "mic": st.get("mic", "on"), "fw": d["fw"],
            # the puck's own drop and reject counts (tele, §5), shown beside the host's
            "outbox": tele.get("outbox"), "dropped": tele.get("dropped"), "rejected": tele.get("rejected"),
            "state_age_s": round((now_ms - d["state_ms"]) / 1000.0, 1) if d["state_ms"] else None}


def build_live(store, hands_queue, who=None):
    """The live view's rooms; with `who`, only the rooms that user may see."""
    now = int(time.time() * 1000)
    rooms = {}
    for d in store.devices():
        rooms.setdefault(d["room"], {"room": d["room"], "devices": [], "hands": [], "session": None})["devices"].append(device_view(d, now))
    queue = hands_queue.list() if hands_queue is not None else []
    for h in queue:
        rooms.setdefault(h["room"] or NO_ROOM, {"room": h["room"], "devices": [], "hands": [], "session": None})["hands"].append(h)
    if who is not None:
        rooms = {k: v for k, v in rooms.items() if can_see(who, k)}
    for r in rooms.values():
        # every puck of the room may run its own session: one entry each, in device order
        r["sessions"] = []
        for dv in r["devices"]:
            s = store.session(dv["session"]) if dv["session"] else store.current_session(dv["id"])
            if s:
                # the balance of voices so far: share, turns, monologues and cut-ins per anonymous voice
                r["sessions"].append(dict({k: s[k] for k in SESSION_FIELDS}, voices=voices_of(store.session_turns(s["id"]))))
        r["session"] = r["sessions"][0] if r["sessions"] else None   # the first (older clients read this)
    return {"now_ms": now, "rooms": [rooms[k] for k in sorted(rooms)]}


@router.get("/live")
def live(store=Depends(deps.store), hq=Depends(deps.optional_hands), who=Depends(deps.user)):
    return build_live(store, hq, who)

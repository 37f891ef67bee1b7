"""sessions — list/show sessions; start, extend and end a session on a puck."""
from fastapi import APIRouter, Depends, Request

from talkpuck.analytics import session_summary
from talkpuck.api.models import SessionExtend, SessionStart
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see
from talkpuck.errors import NotFound
from talkpuck.store import NO_ROOM

router = APIRouter(tags=["sessions"])


@router.get("/sessions")
def list_sessions(room: str | None = None, store=Depends(deps.store), who=Depends(deps.user)):
    return [s for s in store.sessions(room) if can_see(who, s["room"] or NO_ROOM)]


@router.get("/sessions/{sid}")
def get_session(sid: str, store=Depends(deps.store), who=Depends(deps.user)):
    row = store.session(sid)
    s = session_summary(store, sid) if row is not None and can_see(who, row["room"] or NO_ROOM) else None
    if s is None:
        raise NotFound("no such session %r" % sid)
    return s


@router.post("/sessions", status_code=201)
def start_session(body: SessionStart, request: Request, ctl=Depends(deps.sessions), store=Depends(deps.store),
                  who=Depends(deps.user)):
    # validated before anything is stored: the body's pattern, then a puck this host knows and you may see
    deps.device_room(store, body.device, who)
    deps.changed(request, device=body.device)
    sid = ctl.start(body.device, body.limit_s, body.warn_s, body.purpose)
    return {"session": sid, "device": body.device}


@router.post("/devices/{device}/session/extend")
def extend_session(device: str, body: SessionExtend, ctl=Depends(deps.sessions), store=Depends(deps.store),
                   who=Depends(deps.user)):
    deps.device_room(store, device, who)
    return {"command": ctl.extend(device, body.add_s)}


@router.post("/devices/{device}/session/end")
def end_session(device: str, ctl=Depends(deps.sessions), store=Depends(deps.store), who=Depends(deps.user)):
    deps.device_room(store, device, who)
    return {"command": ctl.end(device)}

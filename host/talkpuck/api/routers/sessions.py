"""sessions — list/show sessions; start, extend and end a session on a puck."""
from fastapi import APIRouter, Depends

from talkpuck.analytics import session_summary
from talkpuck.api.models import SessionExtend, SessionStart
from talkpuck.api.routers import deps
from talkpuck.errors import NotFound

router = APIRouter(tags=["sessions"])


@router.get("/sessions")
def list_sessions(room: str | None = None, store=Depends(deps.store)):
    return store.sessions(room)


@router.get("/sessions/{sid}")
def get_session(sid: str, store=Depends(deps.store)):
    s = session_summary(store, sid)
    if s is None:
        raise NotFound("no such session %r" % sid)
    return s


@router.post("/sessions", status_code=201)
def start_session(body: SessionStart, ctl=Depends(deps.sessions)):
    sid = ctl.start(body.device, body.limit_s, body.warn_s, body.purpose)
    return {"session": sid, "device": body.device}


@router.post("/devices/{device}/session/extend")
def extend_session(device: str, body: SessionExtend, ctl=Depends(deps.sessions)):
    return {"command": ctl.extend(device, body.add_s)}


@router.post("/devices/{device}/session/end")
def end_session(device: str, ctl=Depends(deps.sessions)):
    return {"command": ctl.end(device)}

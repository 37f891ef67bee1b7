"""sessions — list/show sessions; start, extend and end a session on a puck."""
from typing import Any

from fastapi import APIRouter, Depends, Request

from talkpuck.analytics import session_summary
from talkpuck.api.models import SessionExtend, SessionStart
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see
from talkpuck.commands import SessionControl
from talkpuck.errors import NotFound
from talkpuck.store import NO_ROOM, Store

router = APIRouter(tags=["sessions"])


@router.get("/sessions", response_model=None)
def list_sessions(room: str | None = None, store: Store = Depends(deps.store),
                  who: deps.User = Depends(deps.user)) -> list[dict[str, Any]]:
    return [s for s in store.sessions(room) if can_see(who, s["room"] or NO_ROOM)]


@router.get("/sessions/{sid}", response_model=None)
def get_session(sid: str, store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    row = store.session(sid)
    s = session_summary(store, sid) if row is not None and can_see(who, row["room"] or NO_ROOM) else None
    if s is None:
        raise NotFound("no such session %r" % sid)
    return s


@router.post("/sessions", status_code=201, response_model=None)
def start_session(body: SessionStart, request: Request, ctl: SessionControl = Depends(deps.sessions), store: Store = Depends(deps.store),
                  who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    # validated before anything is stored: the body's pattern, then a puck this host knows and you may see
    deps.device_room(store, body.device, who)
    deps.changed(request, device=body.device)
    sid = ctl.start(body.device, body.limit_s, body.warn_s, body.purpose)
    return {"session": sid, "device": body.device}


@router.post("/devices/{device}/session/extend", response_model=None)
def extend_session(device: str, body: SessionExtend, ctl: SessionControl = Depends(deps.sessions), store: Store = Depends(deps.store),
                   who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    deps.device_room(store, device, who)
    return {"command": ctl.extend(device, body.add_s)}


@router.post("/devices/{device}/session/end", response_model=None)
def end_session(device: str, ctl: SessionControl = Depends(deps.sessions), store: Store = Depends(deps.store),
                who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    deps.device_room(store, device, who)
    return {"command": ctl.end(device)}

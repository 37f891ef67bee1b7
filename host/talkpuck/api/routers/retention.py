"""retention — deleting stored data over HTTP: a session, a room's data, a remote participant's name;
the installation's retention period. What goes is store/retention.py's (docs/privacy.md §6).
Deleting and listing names span rooms: admins only (a host gets the same 404 as a missing route)."""
from typing import Any

from fastapi import APIRouter, Depends, Request

from talkpuck.api.models import ForgetName
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import need_admin
from talkpuck.store import Store

router = APIRouter(tags=["retention"])


@router.get("/retention", response_model=None)
def retention(request: Request) -> dict[str, Any]:
    """The retention period, and what the host's last pass deleted (rows per table)."""
    m = getattr(request.app.state, "maintenance", None)
    return {"retention_days": request.app.state.settings.retention_days,
            "passes": m.passes if m else None, "last_deleted": m.last if m else None}


@router.delete("/sessions/{sid}", response_model=None)
def delete_session(sid: str, force: bool = False, store: Store = Depends(deps.store),
                   who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    """Delete one session and every row that belongs to it; 404 if unknown, 422 while it runs."""
    need_admin(who)
    return {"session": sid, "deleted": store.delete_session(sid, force=force)}


@router.delete("/rooms/{room}/data", response_model=None)
def delete_room(room: str, force: bool = False, store: Store = Depends(deps.store),
                who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    """Delete one room's sessions, hands and what its pucks sent; its setting and pucks stay."""
    need_admin(who)
    return {"room": room, "deleted": store.delete_room(room, force=force)}


@router.get("/names", response_model=None)
def remote_names(room: str | None = None, store: Store = Depends(deps.store),
                 who: deps.User = Depends(deps.user)) -> dict[str, int]:
    """The remote participants' names kept, with how many hand rows hold each."""
    need_admin(who)
    return store.remote_names(room)


@router.post("/names/forget", response_model=None)
def forget_name(body: ForgetName, store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    """Blank a remote participant's name wherever it is kept (the hands stay, nameless)."""
    need_admin(who)
    return {"name": body.name, "rows": store.forget_name(body.name, room=body.room)}

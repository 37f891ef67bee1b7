"""deps — pulls the host's services off the app state; 503 when a part is not wired (read-only app)."""
from typing import Any

from fastapi import HTTPException, Request

from talkpuck.commands import Commander, SessionControl
from talkpuck.hands import HandQueue
from talkpuck.store import Store

User = dict[str, Any]     # the logged-in user as the guard sets it: name, role, rooms


def changed(request: Request, device: str | None = None, room: str | None = None) -> None:
    """What a state-changing request changed, for the live pages' hub (app.py's middleware notifies it):
    without it, the hub rebuilds every room."""
    request.state.live_changed = (device, room)


def store(request: Request) -> Store:
    return request.app.state.store


def _need(request: Request, name: str) -> Any:
    svc = getattr(request.app.state, name)
    if svc is None:
        raise HTTPException(status_code=503, detail="this host has no MQTT link: %s unavailable" % name)
    return svc


def commander(request: Request) -> Commander:
    return _need(request, "commander")


def hands(request: Request) -> HandQueue:
    return _need(request, "hands")


def sessions(request: Request) -> SessionControl:
    return _need(request, "sessions")


def optional_hands(request: Request) -> HandQueue | None:
    return request.app.state.hands


def user(request: Request) -> User:
    """The logged-in user (the guard refused the request otherwise): name, role, rooms."""
    return request.state.user


def device_room(store: Store, device_id: str, who: User) -> dict[str, Any]:
    """The device's row if the user may see its room; NotFound (404) otherwise, as for a missing one."""
    from talkpuck.auth.rooms import can_see
    from talkpuck.errors import NotFound
    d = store.device(device_id)
    if d is None or not can_see(who, d["room"]):
        raise NotFound("no such device %r" % device_id)
    return d

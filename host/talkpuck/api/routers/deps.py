"""deps — pulls the host's services off the app state; 503 when a part is not wired (read-only app)."""
from fastapi import HTTPException, Request


def changed(request: Request, device=None, room=None):
    """What a state-changing request changed, for the live pages' hub (app.py's middleware notifies it):
    without it, the hub rebuilds every room."""
    request.state.live_changed = (device, room)


def store(request: Request):
    return request.app.state.store


def _need(request, name):
    svc = getattr(request.app.state, name)
    if svc is None:
        raise HTTPException(status_code=503, detail="this host has no MQTT link: %s unavailable" % name)
    return svc


def commander(request: Request):
    return _need(request, "commander")


def hands(request: Request):
    return _need(request, "hands")


def sessions(request: Request):
    return _need(request, "sessions")


def optional_hands(request: Request):
    return request.app.state.hands


def user(request: Request):
    """The logged-in user (the guard refused the request otherwise): name, role, rooms."""
    return request.state.user


def device_room(store, device_id, who):
    """The device's row if the user may see its room; NotFound (404) otherwise, as for a missing one."""
    from talkpuck.auth.rooms import can_see
    from talkpuck.errors import NotFound
    d = store.device(device_id)
    if d is None or not can_see(who, d["room"]):
        raise NotFound("no such device %r" % device_id)
    return d

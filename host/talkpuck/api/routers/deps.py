"""deps — pulls the host's services off the app state; 503 when a part is not wired (read-only app)."""
from fastapi import HTTPException, Request


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

"""rooms — GET /api/rooms, PUT /api/rooms/{room}/min_break, POST /api/rooms/{room}/hands/clear."""
from typing import Any

from fastapi import APIRouter, Depends, Request

from talkpuck.api.models import MinBreak
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see, need_room
from talkpuck.commands.minbreak import push_room
from talkpuck.hands import HandQueue
from talkpuck.store import Store

router = APIRouter(tags=["rooms"])


@router.get("/rooms", response_model=None)
def list_rooms(store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> list[dict[str, Any]]:
    rooms: dict[str, list[str]] = {}
    for d in store.devices():
        if can_see(who, d["room"]):
            rooms.setdefault(d["room"], []).append(d["id"])
    return [{"room": k, "devices": v} for k, v in sorted(rooms.items())]


@router.put("/rooms/{room}/min_break", response_model=None)
def set_min_break(room: str, body: MinBreak, request: Request, store: Store = Depends(deps.store),
                  who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    """The room's one minimum break: stored, and pushed to the room's pucks as cmd/config min_break_s."""
    need_room(who, room)
    store.set_min_break(room, body.min_break_s)
    commander = request.app.state.commander
    sent = push_room(store, commander, room) if commander is not None else []
    return {"room": room, "min_break_s": body.min_break_s, "commands": sent}


@router.post("/rooms/{room}/hands/clear", response_model=None)
def clear_hands(room: str, hq: HandQueue = Depends(deps.hands), who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    need_room(who, room)
    return {"room": room, "cleared": hq.clear(room)}

"""hands — the hand queue: list (per room), add a remote participant, acknowledge, lower."""
from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from talkpuck.api.models import MAX_ID, RemoteHand
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see, need_room
from talkpuck.errors import NotFound
from talkpuck.hands import HandQueue
from talkpuck.store import NO_ROOM, Store

router = APIRouter(tags=["hands"])
HandId = Path(ge=1, le=MAX_ID)    # past a 64-bit integer SQL cannot look it up: 422, not 500


@router.get("/hands", response_model=None)
def list_hands(room: str | None = None, hq: HandQueue = Depends(deps.hands),
               who: deps.User = Depends(deps.user)) -> list[dict[str, Any]]:
    return [h for h in hq.list(room) if can_see(who, h["room"] or NO_ROOM)]


@router.post("/hands", status_code=201, response_model=None)
def add_remote(body: RemoteHand, request: Request, hq: HandQueue = Depends(deps.hands),
               who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    need_room(who, body.room)
    deps.changed(request, room=body.room)
    return {"id": hq.add_remote(body.room, body.name)}


def _visible_hand(store: Store, hand_id: int, who: deps.User, request: Request) -> None:
    h = store.find_hand(hand_id=hand_id)
    if h is None or not can_see(who, h["room"] or NO_ROOM):
        raise NotFound("no such hand %r" % hand_id)
    deps.changed(request, room=h["room"] or NO_ROOM)


@router.post("/hands/{hand_id}/ack", response_model=None)
def acknowledge(request: Request, hand_id: int = HandId, hq: HandQueue = Depends(deps.hands), store: Store = Depends(deps.store),
                who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    _visible_hand(store, hand_id, who, request)
    return {"id": hand_id, "command": hq.acknowledge(hand_id=hand_id)}


@router.post("/hands/{hand_id}/lower", response_model=None)
def lower(request: Request, hand_id: int = HandId, hq: HandQueue = Depends(deps.hands), store: Store = Depends(deps.store),
          who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    _visible_hand(store, hand_id, who, request)
    return {"id": hand_id, "command": hq.lower(hand_id=hand_id)}

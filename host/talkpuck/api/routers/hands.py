"""hands — the hand queue: list (per room), add a remote participant, acknowledge, lower."""
from fastapi import APIRouter, Depends, Path, Request

from talkpuck.api.models import MAX_ID, RemoteHand
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see, need_room
from talkpuck.errors import NotFound
from talkpuck.store import NO_ROOM

router = APIRouter(tags=["hands"])
HandId = Path(ge=1, le=MAX_ID)    # past a 64-bit integer SQL cannot look it up: 422, not 500


@router.get("/hands")
def list_hands(room: str | None = None, hq=Depends(deps.hands), who=Depends(deps.user)):
    return [h for h in hq.list(room) if can_see(who, h["room"] or NO_ROOM)]


@router.post("/hands", status_code=201)
def add_remote(body: RemoteHand, request: Request, hq=Depends(deps.hands), who=Depends(deps.user)):
    need_room(who, body.room)
    deps.changed(request, room=body.room)
    return {"id": hq.add_remote(body.room, body.name)}


def _visible_hand(store, hand_id, who, request):
    h = store.find_hand(hand_id=hand_id)
    if h is None or not can_see(who, h["room"] or NO_ROOM):
        raise NotFound("no such hand %r" % hand_id)
    deps.changed(request, room=h["room"] or NO_ROOM)


@router.post("/hands/{hand_id}/ack")
def acknowledge(request: Request, hand_id: int = HandId, hq=Depends(deps.hands), store=Depends(deps.store),
                who=Depends(deps.user)):
    _visible_hand(store, hand_id, who, request)
    return {"id": hand_id, "command": hq.acknowledge(hand_id=hand_id)}


@router.post("/hands/{hand_id}/lower")
def lower(request: Request, hand_id: int = HandId, hq=Depends(deps.hands), store=Depends(deps.store),
          who=Depends(deps.user)):
    _visible_hand(store, hand_id, who, request)
    return {"id": hand_id, "command": hq.lower(hand_id=hand_id)}

"""hands — the hand queue: list (per room), add a remote participant, acknowledge, lower."""
from fastapi import APIRouter, Depends

from talkpuck.api.models import RemoteHand
from talkpuck.api.routers import deps

router = APIRouter(tags=["hands"])


@router.get("/hands")
def list_hands(room: str | None = None, hq=Depends(deps.hands)):
    return hq.list(room)


@router.post("/hands", status_code=201)
def add_remote(body: RemoteHand, hq=Depends(deps.hands)):
    return {"id": hq.add_remote(body.room, body.name)}


@router.post("/hands/{hand_id}/ack")
def acknowledge(hand_id: int, hq=Depends(deps.hands)):
    return {"id": hand_id, "command": hq.acknowledge(hand_id=hand_id)}


@router.post("/hands/{hand_id}/lower")
def lower(hand_id: int, hq=Depends(deps.hands)):
    return {"id": hand_id, "command": hq.lower(hand_id=hand_id)}

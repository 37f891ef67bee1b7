"""devices — GET /api/devices[/{id}], PUT /api/devices/{id}/room (the host's room override, §8)."""
import time

from fastapi import APIRouter, Depends, HTTPException

from talkpuck.api.models import RoomSet
from talkpuck.api.routers import deps
from talkpuck.protocol.topics import valid_device_id
from talkpuck.errors import NotFound

router = APIRouter(tags=["devices"])


@router.get("/devices")
def list_devices(store=Depends(deps.store)):
    return store.devices()


@router.get("/devices/{device}")
def get_device(device: str, store=Depends(deps.store)):
    d = store.device(device)
    if d is None:
        raise NotFound("no such device %r" % device)
    return d


@router.put("/devices/{device}/room")
def set_room(device: str, body: RoomSet, store=Depends(deps.store)):
    if not valid_device_id(device):
        raise HTTPException(status_code=422, detail="device id %r must be 1-32 characters from [a-z0-9-], not all or host" % device)
    store.set_room(device, body.room, int(time.time() * 1000))
    return store.device(device)

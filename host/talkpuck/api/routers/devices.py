"""devices — GET /api/devices[/{id}], PUT /api/devices/{id}/room (the host's room override, §8)."""
import time

from fastapi import APIRouter, Depends, Request

from talkpuck.api.models import RoomSet
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see, need_room
from talkpuck.commands.minbreak import push_min_break

router = APIRouter(tags=["devices"])


@router.get("/devices")
def list_devices(store=Depends(deps.store), who=Depends(deps.user)):
    return [d for d in store.devices() if can_see(who, d["room"])]


@router.get("/devices/{device}")
def get_device(device: str, store=Depends(deps.store), who=Depends(deps.user)):
    return deps.device_room(store, device, who)


@router.put("/devices/{device}/room")
def set_room(device: str, body: RoomSet, request: Request, store=Depends(deps.store), who=Depends(deps.user)):
    before = deps.device_room(store, device, who)["room"]   # unknown (or not yours): 404, never a new device row
    if body.room is not None:
        need_room(who, body.room)                 # a host moves pucks only between their own rooms
    store.set_room(device, body.room, int(time.time() * 1000))
    d = store.device(device)
    commander = request.app.state.commander
    if commander is not None and d["room"] != before:
        push_min_break(store, commander, device)  # the puck's break fill follows its new room's setting
    return d

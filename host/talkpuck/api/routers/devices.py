"""devices — GET /api/devices[/{id}], PUT /api/devices/{id}/room (the host's room override, §8)."""
import time
from typing import Any

from fastapi import APIRouter, Depends, Request

from talkpuck.api.models import RoomSet
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see, need_room
from talkpuck.commands.minbreak import push_min_break
from talkpuck.errors import NotFound
from talkpuck.store import Store

router = APIRouter(tags=["devices"])


@router.get("/devices", response_model=None)
def list_devices(store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> list[dict[str, Any]]:
    return [d for d in store.devices() if can_see(who, d["room"])]


@router.get("/devices/{device}", response_model=None)
def get_device(device: str, store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    return deps.device_room(store, device, who)


@router.put("/devices/{device}/room", response_model=None)
def set_room(device: str, body: RoomSet, request: Request, store: Store = Depends(deps.store),
             who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    before = deps.device_room(store, device, who)["room"]   # unknown (or not yours): 404, never a new device row
    if body.room is not None:
        need_room(who, body.room)                 # a host moves pucks only between their own rooms
    store.set_room(device, body.room, int(time.time() * 1000))
    d = store.device(device)
    if d is None:      # the row is never deleted (store.retention keeps devices): as for an unknown device
        raise NotFound("no such device %r" % device)
    commander = request.app.state.commander
    if commander is not None and d["room"] != before:
        push_min_break(store, commander, device)  # the puck's break fill follows its new room's setting
    return d

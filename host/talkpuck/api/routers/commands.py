"""commands — GET /api/commands (with their responses), POST /api/commands (any verb of §6.2)."""
from typing import Any

from fastapi import APIRouter, Depends, Request

from talkpuck.api.models import CommandIn
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see, need_admin
from talkpuck.commands import Commander
from talkpuck.errors import NotFound
from talkpuck.store import Store

router = APIRouter(tags=["commands"])


def _rooms_of(store: Store) -> dict[str, str]:
    return {d["id"]: d["room"] for d in store.devices()}


def _visible(who: deps.User, device: str, rooms: dict[str, str]) -> bool:
    # a command to `all` reaches every room: only an admin sees or sends those
    return who["role"] == "admin" or (device in rooms and can_see(who, rooms[device]))


@router.get("/commands", response_model=None)
def list_commands(device: str | None = None, store: Store = Depends(deps.store),
                  who: deps.User = Depends(deps.user)) -> list[dict[str, Any]]:
    rooms = _rooms_of(store)
    return [c for c in store.commands(device) if _visible(who, c["device"], rooms)]


@router.get("/commands/{cmd_id}", response_model=None)
def get_command(cmd_id: str, store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    c = store.command(cmd_id)
    if c is None or not _visible(who, c["device"], _rooms_of(store)):
        raise NotFound("no such command %r" % cmd_id)
    return c


@router.post("/commands", status_code=201, response_model=None)
def send_command(body: CommandIn, request: Request, cmd: Commander = Depends(deps.commander), store: Store = Depends(deps.store),
                 who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    if body.device == "all":
        need_admin(who)
    else:
        deps.device_room(store, body.device, who)
        deps.changed(request, device=body.device)
    return {"id": cmd.send(body.device, body.verb, body.args, body.ttl_s)}

"""commands — GET /api/commands (with their responses), POST /api/commands (any verb of §6.2)."""
from fastapi import APIRouter, Depends, Request

from talkpuck.api.models import CommandIn
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see, need_admin
from talkpuck.errors import NotFound

router = APIRouter(tags=["commands"])


def _rooms_of(store):
    return {d["id"]: d["room"] for d in store.devices()}


def _visible(who, device, rooms):
    # a command to `all` reaches every room: only an admin sees or sends those
    return who["role"] == "admin" or (device in rooms and can_see(who, rooms[device]))


@router.get("/commands")
def list_commands(device: str | None = None, store=Depends(deps.store), who=Depends(deps.user)):
    rooms = _rooms_of(store)
    return [c for c in store.commands(device) if _visible(who, c["device"], rooms)]


@router.get("/commands/{cmd_id}")
def get_command(cmd_id: str, store=Depends(deps.store), who=Depends(deps.user)):
    c = store.command(cmd_id)
    if c is None or not _visible(who, c["device"], _rooms_of(store)):
        raise NotFound("no such command %r" % cmd_id)
    return c


@router.post("/commands", status_code=201)
def send_command(body: CommandIn, request: Request, cmd=Depends(deps.commander), store=Depends(deps.store),
                 who=Depends(deps.user)):
    if body.device == "all":
        need_admin(who)
    else:
        deps.device_room(store, body.device, who)
        deps.changed(request, device=body.device)
    return {"id": cmd.send(body.device, body.verb, body.args, body.ttl_s)}

"""commands — GET /api/commands (with their responses), POST /api/commands (any verb of §6.2)."""
from fastapi import APIRouter, Depends

from talkpuck.api.models import CommandIn
from talkpuck.api.routers import deps
from talkpuck.errors import NotFound

router = APIRouter(tags=["commands"])


@router.get("/commands")
def list_commands(device: str | None = None, store=Depends(deps.store)):
    return store.commands(device)


@router.get("/commands/{cmd_id}")
def get_command(cmd_id: str, store=Depends(deps.store)):
    c = store.command(cmd_id)
    if c is None:
        raise NotFound("no such command %r" % cmd_id)
    return c


@router.post("/commands", status_code=201)
def send_command(body: CommandIn, cmd=Depends(deps.commander)):
    return {"id": cmd.send(body.device, body.verb, body.args, body.ttl_s)}

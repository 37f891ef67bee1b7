"""followup — POST /api/devices/{device}/follow_up: the follow-up window after a call ("make sure we're
contactable for a period after the call"). The puck's ring shows it in place of the break fill until
it ends (cmd/follow_up, protocol revision 2); its `state.follow_s` counts it down for the pages."""
from typing import Any

from fastapi import APIRouter, Depends, Request

from talkpuck.api.models import FollowUp
from talkpuck.api.routers import deps
from talkpuck.commands import Commander
from talkpuck.store import Store

router = APIRouter(tags=["sessions"])


@router.post("/devices/{device}/follow_up", response_model=None)
def follow_up(device: str, body: FollowUp, request: Request, commander: Commander = Depends(deps.commander),
              store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    deps.device_room(store, device, who)
    cmd = commander.send(device, "follow_up", {"seconds": body.seconds})
    request.app.state.live_hub.follow_total[device] = body.seconds   # the mirror's whole ring
    return {"command": cmd, "device": device, "seconds": body.seconds}

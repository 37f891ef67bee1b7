"""stats — GET /api/stats (totals, losses, rejections) and GET /api/gaps (per boot)."""
from fastapi import APIRouter, Depends

from talkpuck.analytics import stats as compute_stats
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see

router = APIRouter(tags=["stats"])


@router.get("/stats")
def stats(store=Depends(deps.store)):
    return compute_stats(store)


@router.get("/gaps")
def gaps(store=Depends(deps.store), who=Depends(deps.user)):
    rooms = {d["id"]: d["room"] for d in store.devices()}
    return [g for g in store.gaps() if can_see(who, rooms.get(g.get("device")))]

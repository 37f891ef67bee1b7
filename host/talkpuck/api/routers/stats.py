"""stats — GET /api/stats (totals, losses, rejections) and GET /api/gaps (per boot)."""
from typing import Any

from fastapi import APIRouter, Depends

from talkpuck.analytics import stats as compute_stats
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see
from talkpuck.store import Store

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=None)
def stats(store: Store = Depends(deps.store)) -> dict[str, Any]:
    return compute_stats(store)


@router.get("/gaps", response_model=None)
def gaps(store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> list[dict[str, Any]]:
    rooms = {d["id"]: d["room"] for d in store.devices()}
    return [g for g in store.gaps() if can_see(who, rooms.get(g.get("device")))]

"""stats — GET /api/stats (totals, losses, rejections) and GET /api/gaps (per boot)."""
from fastapi import APIRouter, Depends

from talkpuck.analytics import stats as compute_stats
from talkpuck.api.routers import deps

router = APIRouter(tags=["stats"])


@router.get("/stats")
def stats(store=Depends(deps.store)):
    return compute_stats(store)


@router.get("/gaps")
def gaps(store=Depends(deps.store)):
    return store.gaps()

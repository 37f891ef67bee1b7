"""live — GET /api/live (everything the live room view shows, per room, in one request) and
GET /api/live/stream (the same, pushed by server-sent events as it changes: talkpuck.live.hub)."""
import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from talkpuck.api.routers import deps
from talkpuck.hands import HandQueue
from talkpuck.live import snapshot
from talkpuck.store import Store

router = APIRouter(tags=["live"])
KEEPALIVE_S = 15.0          # a comment line this often keeps proxies from closing a quiet stream


def build_live(store: Store, hands_queue: HandQueue | None, who: deps.User | None = None) -> dict[str, Any]:
    """The live view's rooms; with `who`, only the rooms that user may see."""
    return snapshot.build(store, hands_queue, who)


@router.get("/live", response_model=None)
def live(store: Store = Depends(deps.store), hq: HandQueue | None = Depends(deps.optional_hands),
         who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    return build_live(store, hq, who)


@router.get("/live/timing", response_model=None)
async def live_timing(request: Request, who: deps.User = Depends(deps.user)) -> dict[str, Any]:
    """Where the live stream's time goes: per stage of the hub's builds (talkpuck.live.hub.LiveHub.timing);
    on the event loop, where the hub records them."""
    return request.app.state.live_hub.timing()


# not in the OpenAPI schema: an endless text/event-stream, not a JSON operation (README, api/README.md)
@router.get("/live/stream", include_in_schema=False)
async def live_stream(request: Request, who: deps.User = Depends(deps.user)) -> StreamingResponse:
    """`event: live` with the JSON of /api/live at once, then at every change only the rooms that changed
    (`"delta": true`, `"removed"`: rooms gone; talkpuck.live.hub)."""
    hub = request.app.state.live_hub
    sub = await hub.subscribe(who)

    async def events() -> AsyncIterator[str]:
        try:
            yield "retry: 2000\n\n"
            while True:
                try:
                    text = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_S)
                except asyncio.TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if text is None:              # dropped as a slow client: end; the browser reconnects
                    return
                yield "event: live\ndata: %s\n\n" % text
        finally:
            hub.unsubscribe(sub)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

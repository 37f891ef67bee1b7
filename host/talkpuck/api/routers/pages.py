"""pages — GET /rooms: every puck and room, server-rendered (readable without JavaScript); rooms.js
then keeps it current from the same server-sent event stream as the live view (/api/live/stream)."""
import html
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from talkpuck.api.routers import deps
from talkpuck.hands import HandQueue
from talkpuck.live import snapshot
from talkpuck.store import Store

router = APIRouter(tags=["pages"])
COLUMNS = ("Room", "Puck", "Ring", "Online", "Session", "Time left", "Hands waiting", "Firmware", "Outbox",
           "Last seen", "Health")


def clock(s: float | None) -> str:
    if s is None:
        return "–"
    neg = s < 0
    s = abs(int(s))
    return "%s%d:%02d" % ("+" if neg else "", s // 60, s % 60)


def ago(ms: int | None, now_ms: int) -> str:
    if not ms:
        return "never"
    s = max(0, (now_ms - ms) // 1000)
    return "%d s ago" % s if s < 120 else "%d min ago" % (s // 60) if s < 7200 else "%d h ago" % (s // 3600)


def session_label(d: dict[str, Any], sv: dict[str, Any] | None, live: bool) -> str:
    """"Weekly check-in · warning", "running", "none"."""
    if not live:
        return "none"
    name = (sv["purpose"] or sv["id"]) if sv else "running"
    return name if d["phase"] == "running" and not sv else "%s · %s" % (name, d["phase"])


def device_row(room: str, d: dict[str, Any], now_ms: int) -> str:
    e = html.escape
    sv = d.get("session_view")
    live = d["phase"] in snapshot.LIVE
    session = session_label(d, sv, live)
    if d.get("follow_s"):
        session += " · follow-up window: %d min left" % ((d["follow_s"] + 59) // 60)
    health = d["health"]
    cells = [e(room), e(d["id"]), d["ring"], "online" if d["online"] else "offline", e(session),
             e(clock(d["remaining_s"]) if live and d["limit_s"] else "–"), str(d["hands"] or 0), e(d["fw"] or "?"),
             "–" if d["outbox"] is None else str(d["outbox"]), e(ago(d["last_seen_ms"], now_ms)),
             e("; ".join(health)) if health else "ok"]
    cls = "puck" + ("" if d["online"] else " offline") + (" problem" if health else "")
    tds = "".join('<td class="c%d">%s</td>' % (i, c) for i, c in enumerate(cells))
    return '<tr class="%s" data-device="%s" data-room="%s">%s</tr>' % (cls, e(d["id"]), e(room), tds)


def rooms_table(snap: dict[str, Any]) -> str:
    rows = [device_row(r["room"], d, snap["now_ms"]) for r in snap["rooms"] for d in r["devices"]]
    if not rows:
        rows = ['<tr class="empty"><td colspan="%d">No pucks yet.</td></tr>' % len(COLUMNS)]
    head = "".join("<th>%s</th>" % c for c in COLUMNS)
    return '<table id="rooms-table"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (head, "".join(rows))


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>talkpuck — rooms</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="stylesheet" href="/static/rooms.css">
</head>
<body class="rooms-page">
<header>
  <h1>talkpuck <span class="sub">rooms</span></h1>
  <nav><a href="/">Live rooms</a> · <a href="/rooms" aria-current="page">Rooms and pucks</a></nav>
  <div id="conn" class="conn">as of {asof}</div>
  <form method="post" action="/logout" class="logout">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <span class="user">{user}</span> <button type="submit">Log out</button>
  </form>
</header>
<main>
{table}
<p class="note">Health problems: offline over 2 minutes, outbox over half full, dropped events, rejected
commands, low memory, no audio frames. This page updates itself while it is open.</p>
</main>
<script src="/static/rooms.js"></script>
</body>
</html>
"""


@router.get("/rooms", include_in_schema=False, response_class=HTMLResponse)
def rooms_page(request: Request, store: Store = Depends(deps.store), hq: HandQueue | None = Depends(deps.optional_hands),
               who: deps.User = Depends(deps.user)) -> HTMLResponse:
    snap = snapshot.build(store, hq, who)
    page = PAGE.format(asof=time.strftime("%H:%M:%S"), csrf=html.escape(request.state.web_session["csrf"]),
                       user=html.escape(who["name"]), table=rooms_table(snap))
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


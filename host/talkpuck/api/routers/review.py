"""review — the server-rendered review pages (issue 14): /sessions (filtered, paged), /sessions/<id>
(timeline, metrics, the practitioner's voice, a private note, series), its .csv and .json exports,
/series/<id>. Readable without JavaScript; forms post with the session's CSRF token.

Every page filters by the rooms the user may see (auth/rooms.py): a session or series of another
room answers 404, the same as a missing one.
"""
import csv
import datetime
import io
import json
import os
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from talkpuck.analytics import metrics, timeline
from talkpuck.api.routers import deps
from talkpuck.auth.rooms import can_see
from talkpuck.errors import ConfigError, NotFound
from talkpuck.store import NO_ROOM, Store

router = APIRouter(include_in_schema=False)
TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "web", "templates", "review")
PER_PAGE = 25
CSV_FIELDS = ("session_id", "turn", "voice", "practitioner", "start_ms", "end_ms", "start_s", "dur_s",
              "level_db", "conf", "call", "remote")
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True)


def _clock(ms: float | None) -> str:
    if ms is None:
        return "–"
    s = int(round(ms / 1000.0))
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60) if s >= 3600 else "%d:%02d" % (s // 60, s % 60)


def _when(ms: float | None) -> str:
    return "–" if ms is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000.0))


def _pct(x: float | None) -> str:
    return "–" if x is None else "%d%%" % round(100 * x)


def _mins(s: float | None) -> str:
    """A break's length: seconds under a minute, minutes under two hours, then hours, then days."""
    if s is None:
        return "–"
    if s < 60:
        return "%d s" % s
    if s < 7200:
        return "%d min" % round(s / 60.0)
    if s < 2 * 86400:
        return "%d h %02d min" % (s // 3600, s // 60 % 60)
    return "%d days" % round(s / 86400.0)


_env.filters.update(clock=_clock, when=_when, pct=_pct, mins=_mins)


def _page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = _env.get_template(name).render(user=request.state.user, csrf=request.state.web_session["csrf"], **ctx)
    return HTMLResponse(html, status_code=status)


def _rooms(who: deps.User) -> list[str] | None:
    """None for an admin (every room), else the host's rooms: the one filter every page and export uses."""
    return None if who["role"] == "admin" else list(who["rooms"])


def _session(store: Store, sid: str, who: deps.User) -> dict[str, Any]:
    s = store.session(sid)
    if s is None or s["started_ms"] is None or not can_see(who, s["room"] or NO_ROOM):
        raise NotFound("no such session %r" % sid)
    return s


def _thresholds(request: Request) -> metrics.Thresholds:
    return getattr(request.app.state.settings, "review_thresholds", None) or metrics.DEFAULT


# -- the sessions list ------------------------------------------------------------------------------
class BadFilter(ConfigError):
    pass


def _date(v: str, name: str) -> int:
    try:
        d = datetime.datetime.strptime(v, "%Y-%m-%d")
    except ValueError:
        raise BadFilter("%s: a date as YYYY-MM-DD, got %r" % (name, v[:40]))
    return int(time.mktime(d.timetuple()) * 1000)


def _num(v: str, name: str, lo: int = 0, hi: int = 10 ** 6) -> int:
    try:
        n = int(v)
    except ValueError:
        raise BadFilter("%s: a whole number, got %r" % (name, v[:40]))
    if not lo <= n <= hi:
        raise BadFilter("%s: from %d to %d, got %d" % (name, lo, hi, n))
    return n


def _yesno(v: str, name: str) -> bool:
    if v not in ("yes", "no"):
        raise BadFilter("%s: yes or no, got %r" % (name, v[:40]))
    return v == "yes"


FILTERS = ("room", "from", "to", "min_minutes", "max_minutes", "overran", "back_to_back", "series", "page")


def parse_filters(params: Mapping[str, str]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The query string's filters -> (store arguments, page, the filters as given); BadFilter (422) on bad ones."""
    given = {k: params.get(k, "").strip() for k in FILTERS}
    unknown = sorted(set(params) - set(FILTERS))
    if unknown:
        raise BadFilter("unknown filter %r (filters: %s)" % (unknown[0][:40], ", ".join(FILTERS)))
    args: dict[str, Any] = {}
    if given["room"]:
        args["room"] = given["room"][:64]
    if given["from"]:
        args["since_ms"] = _date(given["from"], "from")
    if given["to"]:
        args["until_ms"] = _date(given["to"], "to") + 86400 * 1000
    if given["min_minutes"]:
        args["min_s"] = _num(given["min_minutes"], "min_minutes") * 60
    if given["max_minutes"]:
        args["max_s"] = _num(given["max_minutes"], "max_minutes") * 60
    if "min_s" in args and "max_s" in args and args["min_s"] > args["max_s"]:
        raise BadFilter("min_minutes is more than max_minutes")
    if "since_ms" in args and "until_ms" in args and args["since_ms"] >= args["until_ms"]:
        raise BadFilter("from is after to")
    if given["overran"]:
        args["overran"] = _yesno(given["overran"], "overran")
    if given["back_to_back"]:
        args["back_to_back"] = _yesno(given["back_to_back"], "back_to_back")
    if given["series"]:
        args["series"] = _num(given["series"], "series", 1, 2 ** 31 - 1)
    page = _num(given["page"], "page", 1, 10 ** 6) if given["page"] else 1
    return args, page, given


@router.get("/sessions")
def sessions_page(request: Request, store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> HTMLResponse:
    params = {k: v for k, v in request.query_params.multi_items()}
    try:
        args, page, given = parse_filters(params)
    except BadFilter as e:
        store.incr("rejected:review_filter")
        return _page(request, "error.html", 422, title="Bad filter", message=str(e))
    rooms = _rooms(who)
    if "series" in args:
        ser = store.series(args["series"])
        if ser is None or not can_see(who, ser["room"]):
            return _page(request, "error.html", 422, title="Bad filter", message="series: no such series")
    rows, total = store.review_sessions(rooms=rooms, offset=(page - 1) * PER_PAGE, limit=PER_PAGE, **args)
    for r in rows:
        r["duration_ms"] = (r["ended_ms"] - r["started_ms"]) if r["ended_ms"] else None
        r["planned_ms"] = metrics.planned_ms(r)
        r["overrun_ms"] = (max(0, r["duration_ms"] - r["planned_ms"])
                           if r["duration_ms"] is not None and r["planned_ms"] else None)
    known_rooms = sorted(set(store.rooms_seen(rooms)))
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)

    def link(p: int) -> str:
        q = {k: v for k, v in given.items() if v and k != "page"}
        q["page"] = str(p)
        return "/sessions?" + urlencode(q)
    return _page(request, "sessions.html", title="Sessions", rows=rows, total=total, page=page, pages=pages,
                 given=given, rooms=known_rooms, series=store.series_list(rooms),
                 prev_link=link(page - 1) if page > 1 else None, next_link=link(page + 1) if page < pages else None)


# -- one session ----------------------------------------------------------------------------------
def review_data(store: Store, s: dict[str, Any], th: metrics.Thresholds, user: deps.User | None = None) -> dict[str, Any]:
    """A session's review: rows and figures (the page, the JSON export and the benchmark use this)."""
    turns = store.session_turns(s["id"])
    hands = store.session_hands(s["id"])
    chosen = store.practitioner_voice(s["id"])
    suggested = metrics.suggested_practitioner(turns, s["started_ms"], th)
    practitioner = chosen if chosen is not None else suggested
    m = metrics.compute(s, turns, hands, practitioner, th)
    warning = [e["wall_ms"] for e in store.session_events(s) if e.get("phase") == "warning"]
    next_start = store.session_neighbours(s)
    end = metrics.end_ms(s, turns)
    return {"session": s, "turns": turns, "hands": hands, "metrics": m, "practitioner_chosen": chosen,
            "practitioner_suggested": suggested, "warning_ms": warning[0] if warning else None,
            "break_after_s": (next_start - end) // 1000 if next_start is not None and end else None,
            "end_ms": end}


@router.get("/sessions/{sid}.csv")
def session_csv(sid: str, request: Request, store: Store = Depends(deps.store), who: deps.User = Depends(deps.user)) -> Response:
    s = _session(store, sid, who)
    turns = store.session_turns(sid)
    pv = store.practitioner_voice(sid)
    if pv is None:
        pv = metrics.suggested_practitioner(turns, s["started_ms"], _thresholds(request))
    where = metrics.places(turns)
    yes_no = {True: "yes", False: "no", None: ""}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_FIELDS)
    for i, t in enumerate(turns, 1):
        w.writerow((sid, i, t["voice"], "yes" if t["voice"] == pv else "no", t["start_ms"], t["end_ms"],
                    "%.3f" % ((t["start_ms"] - s["started_ms"]) / 1000.0), "%.3f" % ((t["end_ms"] - t["start_ms"]) / 1000.0),
                    "" if t["level_db"] is None else t["level_db"], "" if t["conf"] is None else t["conf"],
                    # call: where the figures put the turn (its voice's latest flag); remote: as the turn came
                    yes_no[where.get(int(t["voice"]))], yes_no[None if t.get("remote") is None else bool(t["remote"])]))
    name = "session-%s.csv" % "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in sid)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="%s"' % name})


@router.get("/sessions/{sid}.json")
def session_json(sid: str, request: Request, store: Store = Depends(deps.store),
                 who: deps.User = Depends(deps.user)) -> JSONResponse:
    s = _session(store, sid, who)
    d = review_data(store, s, _thresholds(request))
    body = {"session": s, "metrics": d["metrics"], "warning_ms": d["warning_ms"], "break_after_s": d["break_after_s"],
            "practitioner_chosen": d["practitioner_chosen"], "practitioner_suggested": d["practitioner_suggested"],
            "series": [{"id": x["id"], "name": x["name"]} for x in store.series_of(sid)],
            "turns": d["turns"], "hands": [{k: h[k] for k in ("source", "state", "raised_ms", "acked_ms", "lowered_ms")}
                                           for h in d["hands"]]}
    return JSONResponse(json.loads(json.dumps(body, default=str)))


@router.get("/sessions/{sid}")
def session_page(sid: str, request: Request, store: Store = Depends(deps.store),
                 who: deps.User = Depends(deps.user)) -> HTMLResponse:
    try:
        s = _session(store, sid, who)
    except NotFound as e:
        return _page(request, "error.html", 404, title="Not found", message=str(e))
    d = review_data(store, s, _thresholds(request))
    m = d["metrics"]
    markers = []
    if m["planned_ms"]:
        markers.append((s["started_ms"] + m["planned_ms"], "planned end", "planned"))
    if d["warning_ms"] is not None:
        markers.append((d["warning_ms"], "warning", "warning"))
    if s["ended_ms"]:
        markers.append((s["ended_ms"], "ended", "ended"))
    svg = timeline.svg(d["turns"], s["started_ms"], d["end_ms"], m["practitioner"], markers, m["moments"])
    mine = store.series_of(sid)
    series_ids = {x["id"] for x in mine}
    room = s["room"] or NO_ROOM
    other_series = [x for x in store.series_list([room]) if x["id"] not in series_ids]
    note = store.note(sid, who["name"])
    return _page(request, "session.html", title="Session %s" % sid, s=s, d=d, m=m, svg=svg, note=note,
                 in_series=mine, other_series=other_series, voices=sorted(m["voices"]),
                 hands=[dict(h, wait_s=(h["acked_ms"] - h["raised_ms"]) / 1000.0 if h["acked_ms"] else None)
                        for h in d["hands"]])


async def _form(request: Request) -> dict[str, str]:
    form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in form.items()}


def _back(sid: str) -> RedirectResponse:
    return RedirectResponse("/sessions/%s" % sid, status_code=303)


@router.post("/sessions/{sid}/practitioner")
async def set_practitioner(sid: str, request: Request, store: Store = Depends(deps.store),
                           who: deps.User = Depends(deps.user)) -> RedirectResponse:
    _session(store, sid, who)
    form = await _form(request)
    v = form.get("voice", "")
    if v == "auto":
        voice = None
    else:
        try:
            voice = int(v)
        except ValueError:
            raise ConfigError("voice: a voice number or auto, got %r" % v[:20])
        if voice not in {int(t["voice"]) for t in store.session_turns(sid)}:
            raise ConfigError("voice %d did not talk in this session" % voice)
    store.set_practitioner_voice(sid, voice, who["name"], int(time.time() * 1000))
    return _back(sid)


@router.post("/sessions/{sid}/note")
async def set_note(sid: str, request: Request, store: Store = Depends(deps.store),
                   who: deps.User = Depends(deps.user)) -> RedirectResponse:
    _session(store, sid, who)
    form = await _form(request)
    store.set_note(sid, who["name"], form.get("text", ""), int(time.time() * 1000))
    return _back(sid)


@router.post("/sessions/{sid}/series")
async def session_series(sid: str, request: Request, store: Store = Depends(deps.store),
                         who: deps.User = Depends(deps.user)) -> RedirectResponse:
    s = _session(store, sid, who)
    form = await _form(request)
    room = s["room"] or NO_ROOM
    if form.get("name", "").strip():
        series_id = store.add_series(form["name"], room, who["name"], int(time.time() * 1000))
    else:
        try:
            series_id = int(form.get("series_id", ""))
        except ValueError:
            raise ConfigError("series_id: a number")
        ser = store.series(series_id)
        if ser is None or not can_see(who, ser["room"]):
            raise NotFound("no such series %r" % series_id)
    store.set_in_series(series_id, sid, form.get("action", "add") != "remove")
    return _back(sid)


# -- a series -------------------------------------------------------------------------------------
@router.get("/series/{series_id}")
def series_page(series_id: int, request: Request, store: Store = Depends(deps.store),
                who: deps.User = Depends(deps.user)) -> HTMLResponse:
    ser = store.series(series_id)
    if ser is None or not can_see(who, ser["room"]):
        return _page(request, "error.html", 404, title="Not found", message="no such series %r" % series_id)
    th = _thresholds(request)
    calls = []
    for sid in ser["sessions"]:
        s = store.session(sid)
        if s is None or s["started_ms"] is None or not can_see(who, s["room"] or NO_ROOM):
            continue
        turns = store.session_turns(sid)
        pv = store.practitioner_voice(sid)
        pv = pv if pv is not None else metrics.suggested_practitioner(turns, s["started_ms"], th)
        m = metrics.compute(s, turns, store.session_hands(sid), pv, th)
        calls.append({"s": s, "m": m})
    calls.sort(key=lambda c: c["s"]["started_ms"])
    return _page(request, "series.html", title="Series %s" % ser["name"], ser=ser, calls=calls)

"""The review pages over HTTP (TestClient): filters and paging (SQLite and PostgreSQL), 404s and 422s, the
CSV of a session without turns, room filtering on every page and export, the practitioner's voice, private
notes (an admin cannot read them), series, and review rows going with their session."""
import csv
import io
import time

import pytest

from talkpuck.api import create_app
from talkpuck.errors import ConfigError
from talkpuck.service.settings import Settings
from talkpuck.store import Store
from webauth import logged_in

from reviewdata import conversation, session_row, store_session

DAY = 86400 * 1000
T0 = (int(time.time() * 1000) // DAY - 30) * DAY + 10 * 3600 * 1000


def fill(store):
    """30 sessions in Room 1 (one a day: every 3rd overran, every 5th back-to-back, lengths 20-49 min), 2 in
    Room 2, and one started in Room 1 without a single turn."""
    for i in range(30):
        start = T0 + i * DAY
        row = session_row("r1-%02d" % i, started_ms=start, minutes=30, actual_s=(20 + i) * 60,
                          short_break=i % 5 == 0, break_before_s=60 if i % 5 == 0 else 86000)
        row["limit_s"] = 30 * 60 if i % 3 == 0 else 60 * 60
        store_session(store, row, conversation(i, start, 120, target_turns=10))
    for i in range(2):
        start = T0 + i * DAY + 3600000
        store_session(store, session_row("r2-%d" % i, room="Room 2", device="puck-2", started_ms=start, minutes=30),
                      conversation(100 + i, start, 120, target_turns=8))
    store_session(store, session_row("empty", started_ms=T0 + 40 * DAY, minutes=10, actual_s=300), [])


@pytest.fixture
def env(db_url, tmp_path):
    store = Store(db_url)
    fill(store)
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path)), store)
    yield app, store
    store.close()


def ids(html):
    import re
    return re.findall(r'<a href="/sessions/([\w-]+)">', html)


def test_filters_and_paging(env):
    app, store = env
    admin = logged_in(app, store)
    r = admin.get("/sessions")
    assert r.status_code == 200 and "33 sessions" in r.text and "page 1 of 2" in r.text
    assert ids(r.text)[:3] == ["empty", "r1-29", "r1-28"]             # newest first
    page2 = admin.get("/sessions?page=2").text
    assert len(ids(r.text)) == 25 and len(ids(page2)) == 8
    assert not set(ids(r.text)) & set(ids(page2))
    assert set(ids(admin.get("/sessions?room=Room+2").text)) == {"r2-0", "r2-1"}
    day = time.strftime("%Y-%m-%d", time.localtime((T0 + 3 * DAY) / 1000))
    day2 = time.strftime("%Y-%m-%d", time.localtime((T0 + 4 * DAY) / 1000))
    assert set(ids(admin.get("/sessions?from=%s&to=%s&room=Room+1" % (day, day2)).text)) == {"r1-03", "r1-04"}
    assert set(ids(admin.get("/sessions?min_minutes=45&room=Room+1").text)) == {"r1-%02d" % i for i in range(25, 30)}
    assert set(ids(admin.get("/sessions?max_minutes=21").text)) == {"r1-00", "r1-01", "empty"}
    # overran: every 3rd planned 30 min, and all of them ran 20+i min; i = 12, 15, ... ran past 30
    over = set(ids(admin.get("/sessions?overran=yes").text))
    assert over == {"r1-%02d" % i for i in range(12, 30, 3)}
    assert not over & set(ids(admin.get("/sessions?overran=no").text))
    assert set(ids(admin.get("/sessions?back_to_back=yes").text)) == {"r1-%02d" % i for i in range(0, 30, 5)}
    sid = store.add_series("Weekly", "Room 1", "admin", T0)
    for s in ("r1-01", "r1-08"):
        store.set_in_series(sid, s, True)
    assert set(ids(admin.get("/sessions?series=%d" % sid).text)) == {"r1-01", "r1-08"}
    # empty form fields are no filter (a form submits them)
    assert "33 sessions" in admin.get("/sessions?room=&from=&to=&overran=&back_to_back=&series=&page=").text


@pytest.mark.parametrize("query", ["overran=maybe", "from=2026-13-01", "to=yesterday", "page=0", "page=x",
                                   "min_minutes=-1", "min_minutes=30&max_minutes=10", "series=99", "series=x",
                                   "colour=red", "from=2026-05-02&to=2026-05-01", "back_to_back=1"])
def test_bad_filters_are_422(query, tmp_path):
    store = Store(data_dir=str(tmp_path))
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path)), store)
    r = logged_in(app, store).get("/sessions?" + query)
    assert r.status_code == 422 and 'role="alert"' in r.text, (query, r.status_code)
    assert store.counter("rejected:review_filter") >= (0 if query == "series=99" else 1)
    store.close()


def test_unknown_ids_404_and_an_empty_session_is_a_header_row(env):
    app, store = env
    admin = logged_in(app, store)
    for path in ("/sessions/nope", "/sessions/nope.csv", "/sessions/nope.json", "/series/99"):
        assert admin.get(path).status_code == 404, path
    assert admin.get("/series/x").status_code == 422
    r = admin.get("/sessions/empty.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text == "session_id,turn,voice,practitioner,start_ms,end_ms,start_s,dur_s,level_db,conf,call,remote\r\n"
    page = admin.get("/sessions/empty")
    assert page.status_code == 200 and "No turns were heard" in page.text
    js = admin.get("/sessions/empty.json").json()
    assert js["turns"] == [] and js["metrics"]["turns"] == 0 and js["metrics"]["balance"] is None


def test_csv_and_json_rows_match_the_store(env):
    app, store = env
    admin = logged_in(app, store)
    rows = list(csv.DictReader(io.StringIO(admin.get("/sessions/r1-04.csv").text)))
    turns = store.session_turns("r1-04")
    assert len(rows) == len(turns) > 3
    assert [(int(r["voice"]), int(r["start_ms"]), int(r["end_ms"])) for r in rows] == \
        [(t["voice"], t["start_ms"], t["end_ms"]) for t in turns]
    assert {(r["call"], r["remote"]) for r in rows} == {("", "")}   # no flag sent: not known
    js = admin.get("/sessions/r1-04.json").json()
    assert [t["start_ms"] for t in js["turns"]] == [t["start_ms"] for t in turns]
    assert js["metrics"]["turns"] == len(turns) and "note" not in js


def test_a_host_sees_only_its_rooms_everywhere(env):
    app, store = env
    sam = logged_in(app, store, "sam", "host", ["Room 2"])
    assert set(ids(sam.get("/sessions").text)) == {"r2-0", "r2-1"}
    assert "Room 1" not in sam.get("/sessions").text
    for path in ("/sessions/r1-04", "/sessions/r1-04.csv", "/sessions/r1-04.json"):
        assert sam.get(path).status_code == 404, path
    assert sam.get("/sessions/r2-0.csv").status_code == 200
    for path, form in (("/sessions/r1-04/practitioner", {"voice": "1"}), ("/sessions/r1-04/note", {"text": "x"}),
                       ("/sessions/r1-04/series", {"name": "mine"})):
        assert sam.post(path, data=form).status_code == 404, path
    assert store.practitioner_voice("r1-04") is None and store.series_list() == []
    sid = store.add_series("Room 1 calls", "Room 1", "admin", T0)
    store.set_in_series(sid, "r1-04", True)
    assert sam.get("/series/%d" % sid).status_code == 404
    assert sam.get("/sessions?series=%d" % sid).status_code == 422       # not a series this host has
    assert sam.post("/sessions/r2-0/series", data={"series_id": str(sid)}).status_code == 404
    # a series only takes its own room's sessions
    with pytest.raises(ConfigError):
        store.set_in_series(sid, "r2-0", True)


def test_practitioner_voice_one_click_and_back_to_the_suggestion(env):
    app, store = env
    admin = logged_in(app, store)
    voices = sorted({t["voice"] for t in store.session_turns("r1-05")})
    r = admin.post("/sessions/r1-05/practitioner", data={"voice": str(voices[-1])}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sessions/r1-05"
    assert store.practitioner_voice("r1-05") == voices[-1]
    assert admin.get("/sessions/r1-05.json").json()["metrics"]["practitioner"] == voices[-1]
    assert admin.post("/sessions/r1-05/practitioner", data={"voice": "99"}).status_code == 422
    assert admin.post("/sessions/r1-05/practitioner", data={"voice": "one"}).status_code == 422
    assert store.practitioner_voice("r1-05") == voices[-1]
    admin.post("/sessions/r1-05/practitioner", data={"voice": "auto"})
    assert store.practitioner_voice("r1-05") is None
    # without the CSRF token the form post is refused
    token = admin.headers.pop("X-CSRF-Token")
    assert admin.post("/sessions/r1-05/practitioner", data={"voice": "1"}).status_code == 403
    assert admin.post("/sessions/r1-05/practitioner", data={"voice": "1", "csrf_token": token},
                      follow_redirects=False).status_code == 303


def test_reflection_note_is_its_authors_only(env):
    app, store = env
    sam = logged_in(app, store, "sam", "host", ["Room 1"])
    admin = logged_in(app, store)
    assert sam.post("/sessions/r1-02/note", data={"text": "Felt heavy <b>today</b>"}, follow_redirects=False).status_code == 303
    assert store.note("r1-02", "sam")["text"] == "Felt heavy <b>today</b>"
    page = sam.get("/sessions/r1-02").text
    assert "Felt heavy &lt;b&gt;today&lt;/b&gt;" in page                # escaped
    assert "Felt heavy" not in admin.get("/sessions/r1-02").text       # an admin cannot read it
    assert "Felt heavy" not in admin.get("/sessions/r1-02.json").text
    admin.post("/sessions/r1-02/note", data={"text": "admin's own"})
    assert store.note("r1-02", "sam")["text"] == "Felt heavy <b>today</b>"
    assert sam.post("/sessions/r1-02/note", data={"text": "x" * 20001}).status_code == 422
    sam.post("/sessions/r1-02/note", data={"text": "  "})               # emptied: gone
    assert store.note("r1-02", "sam") is None and store.note("r1-02", "admin")["text"] == "admin's own"


def test_series_page_side_by_side(env):
    app, store = env
    admin = logged_in(app, store)
    r = admin.post("/sessions/r1-03/series", data={"name": "Family B"}, follow_redirects=False)
    assert r.status_code == 303
    sid = store.series_of("r1-03")[0]["id"]
    assert admin.post("/sessions/r1-01/series", data={"series_id": str(sid)}).status_code == 200
    assert admin.post("/sessions/r1-01/series", data={"series_id": "x"}).status_code == 422
    assert admin.post("/sessions/r1-01/series", data={"name": ""}).status_code == 422
    page = admin.get("/series/%d" % sid).text
    assert ids(page) == ["r1-01", "r1-03"]                               # in call order
    assert page.count("<meter") == 4                                     # balance and practitioner share per call
    admin.post("/sessions/r1-01/series", data={"series_id": str(sid), "action": "remove"})
    assert ids(admin.get("/series/%d" % sid).text) == ["r1-03"]


def test_review_rows_go_with_their_session(env):
    app, store = env
    sid = store.add_series("S", "Room 1", "admin", T0)
    store.set_in_series(sid, "r1-06", True)
    store.set_practitioner_voice("r1-06", 1, "admin", T0)
    store.set_note("r1-06", "admin", "kept private", T0)
    store.set_note("r1-07", "admin", "another session", T0)
    assert store.delete_review_rows(["r1-06"]) == 3
    assert store.practitioner_voice("r1-06") is None and store.note("r1-06", "admin") is None
    assert store.series(sid)["sessions"] == [] and store.note("r1-07", "admin")["text"] == "another session"
    try:
        from talkpuck.store import retention  # type: ignore[attr-defined]
    except ImportError:
        return          # issue 13's deletion is not merged here: store/review.py registers its rules when it is
    for name in ("review_voices", "review_notes", "review_series_sessions"):
        assert retention.RULES[name].session == "session_id"


def test_a_session_stored_by_ingest_reviews_with_its_warning(tmp_path):
    """Rows as add_event leaves them (not written by hand): the warning phase event is found and shown."""
    store = Store(data_dir=str(tmp_path))
    b, t0 = "0000abcd", T0
    store.record_info("puck-9", {"v": 1, "boot": b, "ms": 0, "fw": "t", "board": "b", "leds": 16, "room": "Room 9",
                                 "caps": [], "prev_boot": None, "prev_seq": 0}, t0, (t0, 0))
    store.request_session("s-9", "puck-9", 600, 300, "Family call", t0)

    def phase(seq, at_s, name, remaining):
        store.add_event("puck-9", b, seq, "session", at_s * 1000, t0 + at_s * 1000, t0,
                        {"phase": name, "session": "s-9", "limit_s": 600, "warn_s": 300, "remaining_s": remaining,
                         "cause": "cmd"})
    phase(1, 1, "running", 600)
    for i, (voice, a, e) in enumerate(((1, 2, 30), (2, 31, 200), (1, 201, 320), (2, 321, 500))):
        store.add_event("puck-9", b, 10 + i, "turn", e * 1000, t0 + e * 1000, t0,
                        {"start_ms": a * 1000, "end_ms": e * 1000, "voice": voice, "conf": 90, "level_db": -30},
                        {"start_ms": t0 + a * 1000, "end_ms": t0 + e * 1000})
    phase(2, 301, "warning", 300)
    phase(3, 510, "ended", 91)
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path)), store)
    admin = logged_in(app, store)
    js = admin.get("/sessions/s-9.json").json()
    assert js["warning_ms"] == t0 + 301000 and js["metrics"]["turns"] == 4
    assert js["metrics"]["duration_ms"] == 509000 and js["metrics"]["overrun_ms"] == 0
    assert "Warning came</dt><dd>at 5:00" in admin.get("/sessions/s-9").text
    assert ids(admin.get("/sessions").text) == ["s-9"]
    store.close()

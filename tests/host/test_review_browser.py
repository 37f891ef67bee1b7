"""The review pages in Debian's Chromium (Playwright, no browser download), logged in through the form as a
host of one room: the sessions list (only that room's, filtered), a review page, marking the practitioner's
voice with one click, a private reflection note, the CSV export checked against the store, a series.

With TALKPUCK_SCREENSHOTS=1 it saves docs/images/review-{sessions,session,series}.png."""
import csv
import io
import os
import time

import pytest

from talkpuck.api import create_app
from talkpuck.api.server import WebServer
from talkpuck.service.settings import Settings
from talkpuck.store import Store
from webauth import PASSWORD, add_user

from reviewdata import conversation, session_row, store_session

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOM = "Family room"
SHOTS = os.environ.get("TALKPUCK_SCREENSHOTS") == "1"


def fill(store):
    """Five calls of one family in ROOM (one overran, one back-to-back, one of short questions) and one
    call in another room the host may not see."""
    day = 86400 * 1000
    t0 = (int(time.time() * 1000) // day - 20) * day + 9 * 3600 * 1000
    # voice 3 (a child, say) takes part more with every call: familiarity builds
    calls = [("fam-1", 0, 45, 41 * 60, None, False, "open", 1, 0.15),
             ("fam-2", 7, 45, 52 * 60, 86400 * 6, False, "open", 2, 0.35),
             ("fam-3", 14, 30, 30 * 60 + 40, 86400 * 7, False, "questions", 3, 0.6),
             ("fam-4", 14.04, 30, 24 * 60, 8 * 60, True, "open", 4, 0.7),
             ("fam-5", 19, 30, 28 * 60, 86400 * 5, False, "open", 5, 0.9)]
    for sid, days, minutes, actual, brk, short, style, seed, shy in calls:
        start = t0 + int(days * day)
        row = session_row(sid, room=ROOM, device="puck-fam", started_ms=start, minutes=minutes, actual_s=actual,
                          break_before_s=brk, short_break=short, purpose="Family contact, weekly")
        hands = [{"raised_ms": start + 600000, "acked_ms": start + 626000},
                 {"raised_ms": start + 1300000, "acked_ms": start + 1309000, "source": "host"}]
        # a video call: the family (voices 2 and 3) through the laptop's loudspeaker, the practitioner in the room
        store_session(store, row, conversation(seed, start, actual, voices=3, practitioner=1, style=style,
                                                       shy=(3, shy), remote=(2, 3)),
                      hands=hands, warning_ms=start + (minutes - 5) * 60000)
    other = session_row("other-1", room="Other room", device="puck-other", started_ms=t0 + 3 * day, minutes=30)
    store_session(store, other, conversation(9, t0 + 3 * day, 1800))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    d = str(tmp_path_factory.mktemp("review"))
    store = Store(data_dir=d)
    fill(store)
    add_user(store, "sam", "host", [ROOM])
    server = WebServer(create_app(Settings("mqtt://127.0.0.1:1", data_dir=d), store))
    server.start()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
        page = ctx.new_page()
        page.set_default_timeout(10000)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server.url + "sessions")
        assert page.url.endswith("/login")
        page.fill("input[name=username]", "sam")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server.url)
        yield server.url, store, page, errors
        browser.close()
    server.stop()
    store.close()


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(ROOT, "docs", "images", name), full_page=True)


def test_sessions_review_practitioner_note_csv_series(site):
    url, store, page, errors = site
    # the list: this host's room only, newest first; a filter narrows it
    page.goto(url + "sessions")
    rows = page.locator("table.sessions tbody tr")
    assert rows.count() == 5
    assert "Other room" not in page.content()
    hrefs = [rows.nth(i).locator("a").get_attribute("href") for i in range(5)]
    assert hrefs == ["/sessions/fam-%d" % i for i in (5, 4, 3, 2, 1)]
    assert rows.nth(1).locator(".flag").inner_text() == "back-to-back"
    shot(page, "review-sessions.png")
    page.select_option("select[name=overran]", "yes")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**overran=yes**")
    assert [a.get_attribute("href") for a in page.locator("table.sessions tbody tr a").all()] == \
        ["/sessions/fam-3", "/sessions/fam-2"]

    # a review page: the timeline, and marking the practitioner's voice with one click
    page.goto(url + "sessions/fam-3")
    assert page.locator("svg.timeline rect.turn").count() == len(store.session_turns("fam-3"))
    assert "Many short questions" in page.locator(".quiet-note").inner_text()
    assert "at 25:00" in page.content()          # when the warning came
    # the room and the call: the family's two voices came through the laptop (evt/turn.remote)
    turns = store.session_turns("fam-3")
    call_ms = sum(x["end_ms"] - x["start_ms"] for x in turns if x["voice"] in (2, 3))
    share = call_ms / float(sum(x["end_ms"] - x["start_ms"] for x in turns))
    rc = page.locator(".room-call").inner_text()
    assert ("The call: %d%% of the talk" % round(100 * share)) in rc, rc
    assert [page.locator("td.where").nth(i).inner_text() for i in range(3)] == ["the room", "the call", "the call"]
    page.click("button[data-voice='1']")
    page.wait_for_url(url + "sessions/fam-3")
    assert store.practitioner_voice("fam-3") == 1
    assert "(you)" in page.locator("tr.practitioner").inner_text()

    # a private reflection note
    page.fill("textarea[name=text]", "Tired after this one; the youngest was quiet.")
    page.click(".reflection button[type=submit]")
    page.wait_for_url(url + "sessions/fam-3")
    assert store.note("fam-3", "sam")["text"] == "Tired after this one; the youngest was quiet."
    assert page.locator("textarea[name=text]").input_value().startswith("Tired")
    shot(page, "review-session.png")

    # the CSV export: one row per stored turn, in order
    with page.expect_download() as dl:
        page.click("a[href='/sessions/fam-3.csv']")
    with open(dl.value.path(), encoding="utf-8") as f:
        got = list(csv.DictReader(io.StringIO(f.read())))
    turns = store.session_turns("fam-3")
    assert len(got) == len(turns) > 50
    for row, t in zip(got, turns):
        assert (int(row["voice"]), int(row["start_ms"]), int(row["end_ms"])) == (t["voice"], t["start_ms"], t["end_ms"])
        assert row["practitioner"] == ("yes" if t["voice"] == 1 else "no")
        assert row["call"] == row["remote"] == ("no" if t["voice"] == 1 else "yes")

    # a series: made from one review page, joined from others, shown side by side
    page.fill("input[name=name]", "Family A, weekly")
    page.click("button:text-is('Create and add')")
    page.wait_for_url(url + "sessions/fam-3")
    sid = store.series_of("fam-3")[0]["id"]
    for other in ("fam-1", "fam-2", "fam-5"):
        page.goto(url + "sessions/" + other)
        page.select_option("select[name=series_id]", str(sid))
        page.click("button:text-is('Add')")
        page.wait_for_url(url + "sessions/" + other)
        page.click("button[data-voice='1']")     # the suggestion was someone else's voice, or confirmed
        page.wait_for_url(url + "sessions/" + other)
        assert store.practitioner_voice(other) == 1
    page.goto(url + "sessions/fam-2")
    page.click("a:text-is('Family A, weekly')")
    page.wait_for_url(url + "series/%d" % sid)
    calls = page.locator("table.series tbody tr")
    assert calls.count() == 4
    assert [calls.nth(i).locator("a").get_attribute("href") for i in range(4)] == \
        ["/sessions/fam-%d" % i for i in (1, 2, 3, 5)]
    assert calls.nth(0).locator("meter").count() == 3
    assert calls.nth(0).locator("td.call-share").inner_text().endswith("%")
    shot(page, "review-series.png")
    assert not errors, errors

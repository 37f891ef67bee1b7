"""`talkpuck demo --duration` as a new user runs it: it stops by itself and prints the summary."""
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _demo(data_dir, duration):
    exe = os.path.join(os.path.dirname(sys.executable), "talkpuck")
    r = subprocess.run(
        [exe, "demo", "--duration", str(duration), "--speed", "4", "--hand-every", "4", "--seed", "7",
         "--data-dir", data_dir],
        capture_output=True, text=True, timeout=240, cwd=REPO,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    assert len(lines) == 1, r.stdout[-3000:]
    return r, json.loads(lines[0])


def test_demo_runs_and_summarises(tmp_path):
    r, summary = _demo(str(tmp_path / "demo"), 25)
    for key in ("sessions", "turns", "hand_raises", "events_lost", "duplicates_dropped"):
        assert key in summary, key
    assert "live room view at http://127.0.0.1:" in r.stdout
    assert summary["sessions"] >= 2
    assert summary["turns"] > 0
    assert summary["hand_raises"] > 0
    assert summary["events_lost"] == 0
    assert summary["outboxes_drained"] is True
    from talkpuck.store import Store
    from talkpuck.sim.pastsessions import PREFIX
    store = Store(data_dir=str(tmp_path / "demo"))
    try:   # the Family room plays a video call: the firmware's detector flags the laptop's voice
        live = [s for s in store.sessions() if not s["id"].startswith(PREFIX)]
        flags = {}
        for s in live:
            flags.setdefault(s["room"], set()).update(t["remote"] for t in store.session_turns(s["id"]))
        assert True in flags.get("Family room", set()), flags
        assert True not in flags.get("Team room", set()), flags
        past = [s for s in store.sessions() if s["id"].startswith(PREFIX)]
        assert any(t["remote"] for s in past for t in store.session_turns(s["id"]))
    finally:
        store.close()

    # a second `make demo` behaves exactly like the first (issue 13): nothing resumed from the first
    # run, its sessions ended when it stopped, the new sessions start, no old hand, nothing rejected
    from talkpuck.store import Store

    second_start = int(time.time() * 1000)
    r2, summary2 = _demo(str(tmp_path / "demo"), 15)
    assert summary2["events_lost"] == 0 and summary2["outboxes_drained"] is True
    store = Store(data_dir=str(tmp_path / "demo"))
    try:
        from talkpuck.sim.pastsessions import PREFIX
        # the example past sessions (for the review pages) are replaced by each run, never added again
        past = [s for s in store.sessions() if s["id"].startswith(PREFIX)]
        assert len(past) == 6 and all(s["phase"] == "ended" for s in past), past
        series = store.series_list()   # one series of three calls, the same one after the second run
        assert len(series) == 1 and len(store.series(series[0]["id"])["sessions"]) == 3, series
        rows = [s for s in store.sessions() if not s["id"].startswith(PREFIX)]
        first = [s for s in rows if (s["requested_ms"] or s["started_ms"]) < second_start]
        second = [s for s in rows if (s["requested_ms"] or s["started_ms"]) >= second_start]
        assert len(first) >= 2 and len(second) >= 2, rows
        for s in rows:
            assert s["phase"] == "ended" and s["started_ms"] and s["ended_ms"], s   # none left requested/running
            # puck time runs 4x: a 25 s run is 100 s; the time the demo was off is not counted
            assert s["ended_ms"] - s["started_ms"] < 150_000, s
        # nothing of the first run's sessions was heard during the second: they were not resumed
        first_ids = {s["id"] for s in first}
        late = [e for e in store.events(limit=100000) if e["session_id"] in first_ids and e["received_ms"] >= second_start]
        assert late == []
        assert [c for c in store.commands(limit=1000) if c["state"] == "error"] == []   # the pucks rejected nothing
        assert store.hands() == []                                      # no hand left waiting
        old = [h for h in store.hands(since_ms=second_start) if h["raised_ms"] < second_start]
        assert old == []                                                # none from the first run in the queue
    finally:
        store.close()

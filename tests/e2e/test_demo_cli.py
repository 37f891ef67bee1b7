"""`talkpuck demo --duration` as a new user runs it: it stops by itself and prints the summary."""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_runs_and_summarises(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "talkpuck")
    r = subprocess.run(
        [exe, "demo", "--duration", "25", "--speed", "4", "--hand-every", "4", "--seed", "7",
         "--data-dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=240, cwd=REPO,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    assert len(lines) == 1, r.stdout[-3000:]
    summary = json.loads(lines[0])
    for key in ("sessions", "turns", "hand_raises", "events_lost", "duplicates_dropped"):
        assert key in summary, key
    assert "live room view at http://127.0.0.1:" in r.stdout
    assert summary["sessions"] >= 2
    assert summary["turns"] > 0
    assert summary["hand_raises"] > 0
    assert summary["events_lost"] == 0
    assert summary["outboxes_drained"] is True

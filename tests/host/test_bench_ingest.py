"""bench/host_ingest.py, short: it runs the bare subscriber and the host on one broker, prints the
ratio and the median, says when the publishers were too slow, and every event is stored once."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*args):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "host_ingest.py"), "--no-record"] + list(args),
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_short_bench_prints_the_ratio_and_stores_everything_once():
    out = _run("--pucks", "2", "--events", "300", "--runs", "1")
    rows = [line for line in out.splitlines() if line.startswith("| 1 |")]
    assert rows and rows[-1].rstrip().endswith("| yes |"), out
    assert "Median host / bare:" in out
    header = [h.strip() for h in next(line for line in out.splitlines() if line.startswith("| run |")).split("|")]
    row = dict(zip(header, (c.strip() for c in rows[-1].split("|"))))
    pub_rate = float(row["publishers msg/s"])
    assert float(row["load 1 min"]) >= 0
    assert 0 < float(row["bare CPU us/msg"]) < 10000 and 0 < float(row["host CPU us/msg"]) < 10000, row
    assert "median CPU per message: bare" in out
    assert ("WARNING: the publishers sent under 3000 msg/s" in out) == (pub_rate < 3000), out


@pytest.mark.slow
def test_full_bench_on_two_postgresql_workers(pg_url):
    out = _run("--pg", pg_url, "--workers", "2", "--runs", "1")
    assert [line for line in out.splitlines() if line.startswith("| 1 |")][-1].rstrip().endswith("| yes |"), out

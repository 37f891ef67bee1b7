"""bench/review_bench.py, short: a few hundred stored sessions, the three pages timed through the real app.
The full run (10,000 sessions x 200 turns, SQLite and PostgreSQL) is `--run-slow`; figures in bench/RESULTS.md."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _bench():
    spec = importlib.util.spec_from_file_location("review_bench", os.path.join(ROOT, "bench", "review_bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_review_pages_short_bench():
    rows = _bench().main(["--sessions", "300", "--turns", "60", "--reps", "20", "--db", "sqlite", "--no-record"])
    assert {r[1] for r in rows} == {"sessions list", "review page", "CSV export"}
    for db, page, _median, p95, _worst in rows:
        assert p95 < 400, (db, page, p95)      # the goal is 200 ms at full size; room here for a busy machine


@pytest.mark.slow
@pytest.mark.bench
def test_review_pages_full_bench():
    rows = _bench().main(["--no-record"])
    for db, page, _median, p95, _worst in rows:
        assert p95 < 200, (db, page, p95)

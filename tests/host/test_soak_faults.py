"""The fault soak (bench/soak_faults.py) against real processes: a short version of every fault runs
by default; the full one (10 puck-minutes offline, 20,000 junk messages) with --run-slow.

"Lost" is counted from the pucks' PUBACK logs: every event the broker acknowledged must be stored,
none twice, and the host's loss figure must equal the pucks' counted outbox drops."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import soak_faults  # noqa: E402


def _soak(tmp_path, short):
    if not os.path.exists("/usr/sbin/mosquitto") and not soak_faults.shutil_which("mosquitto"):
        pytest.skip("mosquitto not installed")
    soak = soak_faults.Soak(str(tmp_path), offline_min=1.0 if short else 10.0)
    faults = list(soak_faults.FAULTS)
    if not soak.disk.ok:
        faults.remove("full_disk")  # tests/host/test_host_resilience.py skips it too, saying why
    try:
        results = soak.run(faults, n=6 if short else 40, junk=3000 if short else 20000)
    finally:
        soak.stop()
    bad = [r for r in results if not r["ok"]]
    assert not bad, bad
    assert [r["fault"] for r in results] == faults
    last = results[-1]
    assert last["lost"] == 0 and last["duplicates_stored"] == 0
    assert last["outbox_dropped"] >= 7 and last["host_events_lost"] == last["outbox_dropped"]  # counted once


def test_soak_short(tmp_path):
    _soak(tmp_path, short=True)


@pytest.mark.slow
def test_soak_full(tmp_path):
    _soak(tmp_path, short=False)

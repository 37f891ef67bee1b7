"""Several ingest processes on one store: `serve --shared-events` (the decider) plus `talkpuck
ingest-worker`s behind an MQTT shared subscription, against a real Mosquitto and PostgreSQL. A worker
killed with kill -9 mid-stream comes back with the same client id and persistent session: every
event is stored exactly once, none lost."""
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import Puck, pg_schema_url, wait_for

from talkpuck.errors import ConfigError
from talkpuck.ingest.worker import IngestWorker
from talkpuck.service.hostapp import HostApp
from talkpuck.service.settings import host_client_id

BOOT = "0000cafe"


def _worker(url, db, n, log):
    p = subprocess.Popen([sys.executable, "-m", "talkpuck.cli", "ingest-worker", "--worker", str(n),
                          "--broker", url, "--db", db], stdout=subprocess.PIPE, stderr=log, text=True)
    line = p.stdout.readline()
    assert "ingest worker %d" % n in line, (line, p.poll())
    return p


def _publish(puck, first, last):
    for seq in range(first, last + 1):
        puck.event("turn", BOOT, seq, seq * 1000, start_ms=seq * 1000 - 800, end_ms=seq * 1000, voice=1 + seq % 3,
                   conf=90, level_db=-30)


def test_client_ids_are_fixed_per_store_and_worker_and_worker_0_is_serve():
    db = "postgresql://x@h/db"
    ids = {host_client_id(db, w) for w in range(4)}
    assert len(ids) == 4 and host_client_id(db, 0) == host_client_id(db) and host_client_id(db, 2) == host_client_id(db, 2)
    with pytest.raises(ConfigError):
        IngestWorker("mqtt://127.0.0.1:1", 0, db_url=db)


def test_two_worker_processes_one_killed_mid_stream_store_every_event_once(private_mosquitto, pg_url, tmp_path):
    db, drop = pg_schema_url(pg_url)
    url = private_mosquitto.url
    pucks = [Puck(url, "puck-w%d" % i) for i in range(2)]
    for p in pucks:      # retained info before anyone listens: only a plain subscription gets it
        p.send("talkpuck/v1/%s/info" % p.device, {"v": 1, "boot": BOOT, "ms": 0, "fw": "1.0", "board": "b",
                                                    "leds": 16, "room": "R", "caps": [], "prev_boot": None,
                                                    "prev_seq": 0}, retain=True)
    host = HostApp(url, db_url=db, data_dir=str(tmp_path / "var"), shared_events=True)
    host.start()
    log = open(str(tmp_path / "workers.log"), "w")
    workers = {}
    n = 600
    try:
        workers[1] = _worker(url, db, 1, log)
        workers[2] = _worker(url, db, 2, log)
        assert wait_for(lambda: all(d["fw"] == "1.0" for d in host.store.devices()) and
                        len(host.store.devices()) == 2, 10), host.store.devices()
        threads = [threading.Thread(target=_publish, args=(p, 1, n)) for p in pucks]
        for t in threads:
            t.start()
        assert wait_for(lambda: host.store.count("events") >= n // 3, 30)
        workers[1].send_signal(signal.SIGKILL)     # mid-stream: what it held unacked stays with the broker
        workers[1].wait()
        workers[1].stdout.close()
        time.sleep(0.3)
        workers[1] = _worker(url, db, 1, log)      # same client id: its persistent session comes back
        for t in threads:
            t.join()
        assert wait_for(lambda: host.store.count("events") == 2 * n, 60), host.store.count("events")
        time.sleep(0.5)
        st = host.stats()
        assert st["events_stored"] == 2 * n and st["events_lost"] == 0, st
        assert host.store.count("events") == 2 * n        # nothing twice (the unique key holds)
        assert 0 < host.ingest.received < 2 * n + 2, "the decider took every event: nothing was shared"
        assert host.link.connects == 1, "a worker's client id kicked the host off"
    finally:
        for w in workers.values():
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(20)
            w.stdout.close()
        log.close()
        host.stop()
        for p in pucks:
            p.close()
        drop()

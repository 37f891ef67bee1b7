"""The host keeps every QoS 1 event across a broker restart and across its own restart; works on PostgreSQL."""
from conftest import Puck, start_mosquitto, wait_for

from talkpuck.service.hostapp import HostApp

BOOT = "0badcafe"


def _info(puck):
    puck.send("talkpuck/v1/%s/info" % puck.device, {"v": 1, "boot": BOOT, "ms": 100, "fw": "t", "board": "b", "leds": 16,
              "room": "Resilience", "caps": [], "prev_boot": None, "prev_seq": 0}, retain=True)


def _vad(puck, seq, wait=True):
    p = {"v": 1, "boot": BOOT, "seq": seq, "ms": 1000 * seq, "from_ms": 0, "to_ms": 1000 * seq, "speech_ms": 0,
         "turns": 0, "level_db": -40, "noise_db": -60}
    return puck.send("talkpuck/v1/%s/evt/vad" % puck.device, p, wait=wait)


def test_broker_restart_loses_no_qos1_event(tmp_path):
    # the embedded broker keeps its store on disk: the host's session survives the restart
    broker = start_mosquitto(str(tmp_path / "broker"))
    host = HostApp(broker.url, data_dir=str(tmp_path / "var"))
    host.start()
    puck = Puck(broker.url, "puck-restart")
    try:
        _info(puck)
        for seq in range(1, 6):
            _vad(puck, seq)
        assert wait_for(lambda: host.stats()["events_stored"] == 5)
        broker.stop()
        assert wait_for(lambda: not host.link.up.is_set(), 10)
        for seq in range(6, 9):                  # produced while the broker is down
            _vad(puck, seq, wait=False)
        broker = start_mosquitto(str(tmp_path / "broker"), port=broker.port)  # the same store and port
        assert wait_for(lambda: host.link.up.is_set(), 40), "ingest reconnects with backoff"
        assert wait_for(lambda: puck.c.is_connected(), 40)
        for seq in range(6, 9):                  # like a puck's outbox: resent until PUBACKed
            _vad(puck, seq)
        for seq in range(9, 11):
            _vad(puck, seq)
        assert wait_for(lambda: host.stats()["events_stored"] == 10, 20), host.stats()
        assert host.wait_idle(0.5, 10)
        st = host.stats()
        assert st["events_lost"] == 0 and st["events_stored"] == 10 and st["rejected"] == {}
        assert host.link.connects >= 2
    finally:
        puck.close()
        host.stop()
        broker.stop()


def test_host_restart_gets_what_was_published_while_it_was_down(mosquitto, tmp_path):
    data = str(tmp_path / "var")
    puck = Puck(mosquitto.url, "puck-hostdown")
    host = HostApp(mosquitto.url, data_dir=data)
    host.start()
    try:
        _info(puck)
        for seq in (1, 2, 3):
            _vad(puck, seq)
        assert wait_for(lambda: host.stats()["events_stored"] == 3)
    finally:
        host.stop()
    for seq in (4, 5, 6):                       # the broker queues these for the host's persistent session
        _vad(puck, seq)
    host = HostApp(mosquitto.url, data_dir=data)
    host.start()
    try:
        assert wait_for(lambda: host.stats()["events_stored"] == 6), host.stats()
        assert host.stats()["events_lost"] == 0
    finally:
        host.stop()
        puck.close()


def test_host_on_each_database(mosquitto, db_url, tmp_path):
    host = HostApp(mosquitto.url, db_url=db_url, data_dir=str(tmp_path / "var"))
    host.start()
    puck = Puck(mosquitto.url, "puck-db-" + host.store.dialect[:4])
    try:
        puck.example("info")
        puck.example("evt_session_running")
        puck.example("evt_turn")
        puck.example("evt_turn")
        puck.example("evt_hand_raise")
        assert wait_for(lambda: host.stats()["events_stored"] == 3)
        assert wait_for(lambda: host.stats()["duplicates_dropped"] == 1)
        host.acknowledge_hand(puck.device, "7f3a9c2e", 19)
        assert wait_for(lambda: puck.commands("hand_ack"))
        s = host.session("s-20261121-0001")
        assert s["turns"] == 1 and s["hand_raises"] == 1 and s["hands_acked"] == 1
    finally:
        puck.close()
        host.stop()


# -- a full disk: nothing acknowledged that was not stored ---------------------------------------------
import os  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402


class SmallDisk:
    """A size-limited tmpfs (a real `database or disk is full`); fill() takes its last byte, free() gives it back."""

    def __init__(self, path, size="4m"):
        self.path = str(path)
        os.makedirs(self.path, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", self.path], capture_output=True)
        if r.returncode:
            pytest.skip("cannot mount a small tmpfs here (needs root): %s" % r.stderr.decode().strip())
        self.filler = os.path.join(self.path, "filler")

    def fill(self):
        with open(self.filler, "ab", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass

    def free(self):
        os.remove(self.filler)

    def umount(self):
        subprocess.run(["umount", "-l", self.path])


@pytest.fixture
def small_disk(tmp_path):
    d = SmallDisk(tmp_path / "disk")
    yield d
    d.umount()


def test_full_disk_acknowledges_nothing_unstored_and_stores_it_after(private_mosquitto, small_disk, tmp_path):
    host = HostApp(private_mosquitto.url, data_dir=small_disk.path)
    host.start()
    puck = Puck(private_mosquitto.url, "puck-fulldisk")
    try:
        _info(puck)
        for seq in (1, 2, 3):
            _vad(puck, seq)
        assert wait_for(lambda: host.stats()["events_stored"] == 3)
        small_disk.fill()
        seq = 3
        while not host.ingest.not_stored and seq < 2000:   # until the store refuses a write
            seq += 1
            _vad(puck, seq)                                 # the broker acks the puck: it is queued there
        assert host.ingest.not_stored, "the full disk never refused a write"
        full_at = seq
        for seq in range(full_at + 1, full_at + 11):        # more while the disk is full: they wait in order
            _vad(puck, seq)
        assert wait_for(lambda: host.link.pending, 5)
        assert host.store.count("events") < seq
        small_disk.free()
        assert wait_for(lambda: host.store.count("events") == seq, 30), host.stats()
        assert host.wait_idle(0.5, 10)
        st = host.stats()
        assert (st["events_stored"], st["events_lost"], st["duplicates_dropped"]) == (seq, 0, 0), st
        assert st["rejected"] == {} and not host.link.pending
    finally:
        puck.close()
        host.stop()


# -- kill -9 of `talkpuck serve`: its Mosquitto is found and replaced, on the same port ----------------
import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from talkpuck.mqtt.broker import is_ours, read_record  # noqa: E402
from talkpuck.store import Store  # noqa: E402


def _serve(data):
    hj = os.path.join(data, "host.json")
    if os.path.exists(hj):
        os.remove(hj)
    log_path = os.path.join(os.path.dirname(data), "serve.log")
    with open(log_path, "ab") as log:     # the child has its own copy of the descriptor
        p = subprocess.Popen([sys.executable, "-m", "talkpuck.cli", "serve", "--data-dir", data, "--http-port", "0"],
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(lambda: os.path.exists(hj) or p.poll() is not None, 30, "talkpuck serve up")
    if p.poll() is not None:
        with open(log_path) as f:
            raise AssertionError(f.read())
    with open(hj) as f:
        return p, json.load(f)


def _our_mosquittos(conf):
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit() and is_ours(int(d), conf):
            try:
                with open("/proc/%s/stat" % d) as f:
                    if f.read().split(")")[-1].split()[0] != "Z":
                        pids.append(int(d))
            except OSError:
                pass
    return pids


def test_kill_9_of_serve_then_restart_reuses_the_port_and_leaves_one_broker(tmp_path):
    data = str(tmp_path / "var")
    conf = os.path.join(data, "broker", "mosquitto.conf")
    serve, info = _serve(data)
    puck = None
    try:
        rec1 = read_record(os.path.join(data, "broker"))
        assert info["broker_url"].endswith(":%d" % rec1["port"])
        puck = Puck(info["broker_url"], "puck-kill9")
        _info(puck)
        for seq in (1, 2, 3):
            _vad(puck, seq)
        store = Store(None, data)
        assert wait_for(lambda: store.count("events") == 3, 20)
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait()
        assert _our_mosquittos(conf) == [rec1["pid"]]      # orphaned for now: it queues for the host
        for seq in (4, 5, 6):
            _vad(puck, seq)
        serve, info2 = _serve(data)
        rec2 = read_record(os.path.join(data, "broker"))
        assert info2["broker_url"] == info["broker_url"] and rec2["port"] == rec1["port"]
        assert _our_mosquittos(conf) == [rec2["pid"]] and rec2["pid"] != rec1["pid"]
        assert wait_for(lambda: puck.c.is_connected(), 30)  # the puck reconnects to the same port
        for seq in (7, 8, 9):
            _vad(puck, seq)
        assert wait_for(lambda: store.count("events") == 9, 30)
        assert store.events_lost() == 0 and store.counter("duplicates_dropped") == 0
        store.close()
    finally:
        if puck is not None:
            puck.close()
        serve.send_signal(signal.SIGTERM)
        serve.wait(20)
    assert wait_for(lambda: _our_mosquittos(conf) == [], 10, "no Mosquitto left behind")

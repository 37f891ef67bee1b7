"""soak_faults — faults against real processes; "lost" is counted from the pucks' own PUBACK logs.

    .venv/bin/python bench/soak_faults.py            # the full soak; appends its figures to bench/RESULTS.md
    .venv/bin/python bench/soak_faults.py --short    # the short version `make test` runs (tests/host/test_soak_faults.py)

The host is a real `talkpuck serve` process with its embedded Mosquitto (both are killed with
SIGKILL here); the pucks are the real firmware core (puckcore.Puck: outbox, link task, reconnect
path) in the simulator (talkpuck.sim.runner.SimPuck) on a paho link that records every publish the
broker acknowledged (PahoLink.published: the puck-side PUBACK log) and can be cut (`offline`).
Their microphones are idle: events are put into each puck's outbox at a busy meeting's rate
(`rate_per_min` of the puck's clock, which runs `speed` times faster than real time). The outbox's
resend window (`Outbox.resend_ms`, 10 s) is scaled by `speed` so it stays 10 s of real time: the
broker's autosave it covers runs on real time.

Faults, in this order (each on the same host, store and pucks; figures are per fault):
    broker_kill9        kill -9 of the embedded Mosquitto mid-stream (the host's supervisor restarts it)
    host_kill9          kill -9 of `talkpuck serve`, events meanwhile, restart (it replaces its broker)
    host_then_broker    kill -9 of the host, then of its orphaned broker, events meanwhile, restart
    broker_then_host    kill -9 of the broker, then at once of the host, events meanwhile, restart
    puck_offline        one puck's link down for `offline_min` minutes of its clock at the busy rate
    puck_overflow       the same, past the outbox's bound: the oldest dropped, counted, reported
    junk_flood          a hostile client floods the host's topics (QoS 1 junk) during a session
    full_disk           the store's disk (a size-limited tmpfs) full: writes fail, then freed

Checks after each fault (all must hold): every event a puck saw PUBACKed is stored (lost = 0);
no (device, boot, seq) stored twice (duplicates stored = 0; the host dropping a redelivered one is
counted apart); every seq a puck produced is stored or counted in its `outbox_dropped`; the host's
loss figure (`events_lost`, from the gaps in seq) equals the pucks' counted outbox drops.
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for p in (os.path.join(ROOT, "host"), os.path.join(ROOT, "firmware")):
    if p not in sys.path:
        sys.path.insert(0, p)

from talkpuck.mqtt.broker import read_record  # noqa: E402
from talkpuck.mqtt.link import PahoLink  # noqa: E402
from talkpuck.sim.runner import SimPuck  # noqa: E402

shutil_which = shutil.which

FAULTS = ("broker_kill9", "host_kill9", "host_then_broker", "broker_then_host", "puck_offline", "puck_overflow",
          "junk_flood", "full_disk")


class IdleMic:
    """No audio: the soak puts events into the outbox itself (the detector would only cost CPU)."""

    short_reads = 0

    async def read(self, frame):
        await asyncio.sleep(3600)
        return False


class SoakLink(PahoLink):
    """The simulator's paho link with a switch: `offline` makes every connect and publish fail (Wi-Fi gone)."""

    def __init__(self, url, device):
        PahoLink.__init__(self, url, device)
        self.offline = False
        self.keep_published = True  # the PUBACK log: (topic, payload) of every publish the broker acked

    async def connect(self, will_topic, will_payload):
        if self.offline:
            raise OSError("soak: the puck's Wi-Fi is down")
        await PahoLink.connect(self, will_topic, will_payload)

    async def publish(self, topic, payload, qos, retain):
        if self.offline:
            raise OSError("soak: the puck's Wi-Fi is down")
        await PahoLink.publish(self, topic, payload, qos, retain)

    def acked(self):
        """{(boot, seq)} of every evt/* the broker acknowledged."""
        out = set()
        for topic, payload in list(self.published):
            if "/evt/" in topic:
                d = json.loads(payload)
                out.add((d["boot"], d["seq"]))
        return out


class SmallDisk:
    """A size-limited tmpfs (needs root): a real ENOSPC / `database or disk is full` for the store."""

    def __init__(self, path, size="8m"):
        self.path = path
        os.makedirs(path, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path], capture_output=True)
        self.ok = r.returncode == 0
        self.error = r.stderr.decode().strip()
        self.filler = os.path.join(path, "filler")

    def fill(self):
        with open(self.filler, "ab", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass

    def free(self):
        if os.path.exists(self.filler):
            os.remove(self.filler)

    def umount(self):
        if self.ok:
            subprocess.run(["umount", "-l", self.path])


class Soak:
    def __init__(self, workdir, pucks=2, speed=30.0, rate_per_min=32, offline_min=10.0):
        self.workdir = workdir
        self.data = os.path.join(workdir, "var")
        self.disk = SmallDisk(os.path.join(workdir, "disk"))
        db_dir = self.disk.path if self.disk.ok else self.data
        os.makedirs(db_dir, exist_ok=True)
        self.db_url = "sqlite:///" + os.path.join(db_dir, "talkpuck.db")
        self.n_pucks = pucks
        self.speed = speed
        self.rate_per_min = rate_per_min
        self.offline_min = offline_min
        self.serve = None
        self.url = None
        self.pucks = []
        self.results = []
        self._store = None

    # -- processes --------------------------------------------------------------------------------
    def start_host(self):
        hj = os.path.join(self.data, "host.json")
        if os.path.exists(hj):
            os.remove(hj)
        log_path = os.path.join(self.workdir, "serve.log")
        with open(log_path, "ab") as log:     # the child has its own copy of the descriptor
            self.serve = subprocess.Popen(
                [sys.executable, "-m", "talkpuck.cli", "serve", "--data-dir", self.data, "--db", self.db_url,
                 "--http-port", "0"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        deadline = time.monotonic() + 30
        while not os.path.exists(hj):
            if self.serve.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("talkpuck serve did not start: see %s" % log_path)
            time.sleep(0.05)
        with open(hj) as f:
            url = json.load(f)["broker_url"]
        if self.url is not None and url != self.url:
            raise AssertionError("the restarted host moved its broker: %s -> %s" % (self.url, url))
        self.url = url

    def kill_host(self):
        os.kill(self.serve.pid, signal.SIGKILL)
        self.serve.wait()

    def kill_broker(self):
        pid = read_record(os.path.join(self.data, "broker"))["pid"]
        os.kill(pid, signal.SIGKILL)

    def stop(self):
        for sp in self.pucks:
            sp.stop(drain_ms=2000)
        if self.serve is not None and self.serve.poll() is None:
            self.serve.send_signal(signal.SIGTERM)
            try:
                self.serve.wait(20)
            except subprocess.TimeoutExpired:
                self.serve.kill()
        if self._store is not None:
            self._store.close()
        self.disk.umount()

    # -- pucks ------------------------------------------------------------------------------------
    def start_pucks(self):
        for i in range(self.n_pucks):
            device = "soak-%d" % (i + 1)
            sp = SimPuck(device, self.url, room="Soak", speed=self.speed, data_dir=self.data)
            sp.link = sp.hal.link = SoakLink(self.url, device)
            sp.mic = sp.hal.mic = IdleMic()
            sp.start()
            sp.call(setattr, sp.puck, "ui_ms", 500)  # nothing to render: spare the shared CPU
            # the broker saves every second of real time; the puck's resend window is on its clock,
            # which runs `speed` times faster here: keep the window's 10 s in real time
            sp.puck.outbox.resend_ms = int(sp.puck.outbox.resend_ms * self.speed)
            self.pucks.append(sp)

    def emit(self, n, pucks=None, fast=False):
        """n events on each puck (all pucks by default), at `rate_per_min` of the pucks' clock (or at once)."""
        pucks = pucks or self.pucks
        gap_s = 0.0 if fast else 60.0 / self.rate_per_min / self.speed
        for _ in range(n):
            for sp in pucks:
                sp.call(_add_vad, sp.puck)
            time.sleep(gap_s)

    def set_offline(self, sp, offline):
        sp.link.offline = offline
        if offline:
            asyncio.run_coroutine_threadsafe(sp.link.close(), sp._loop).result(10)

    # -- figures ----------------------------------------------------------------------------------
    @property
    def store(self):
        if self._store is None:
            from talkpuck.store import Store

            self._store = Store(self.db_url, self.data)
        return self._store

    def stored(self):
        from sqlalchemy import select

        from talkpuck.store import tables as t

        with self.store.engine.connect() as c:
            rows = c.execute(select(t.events.c.device, t.events.c.boot, t.events.c.seq)).all()
        return [(r[0], r[1], int(r[2])) for r in rows]

    def settle(self, timeout_s=120):
        """Wait until every puck's outbox is empty and everything acked is stored (or time is up)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(sp.outbox_len == 0 for sp in self.pucks):
                acked = self.acked()
                stored = set(self.stored())
                if acked <= stored:
                    return True
            time.sleep(0.25)
        return False

    def acked(self):
        return {(sp.device_id, b, s) for sp in self.pucks for (b, s) in sp.link.acked()}

    def check(self, fault, t0, settled):
        rows = self.stored()
        stored = set(rows)
        acked = self.acked()
        produced = sum(sp.puck.outbox.last_seq for sp in self.pucks)
        dropped = sum(sp.puck.outbox.dropped for sp in self.pucks)
        r = {
            "fault": fault,
            "settled": settled,
            "produced": produced,
            "acked_by_broker": len(acked),
            "stored": len(stored),
            "lost": len(acked - stored),
            "duplicates_stored": len(rows) - len(stored),
            "outbox_dropped": dropped,
            "host_events_lost": self.store.events_lost(),
            "host_duplicates_dropped": self.store.counter("duplicates_dropped"),
            "unaccounted": produced - len(stored) - dropped,
            "seconds": round(time.monotonic() - t0, 1),
        }
        r["ok"] = (settled and r["lost"] == 0 and r["duplicates_stored"] == 0 and r["unaccounted"] == 0
                   and r["host_events_lost"] == r["outbox_dropped"])
        self.results.append(r)
        print(json.dumps(r), flush=True)
        return r

    # -- the faults -------------------------------------------------------------------------------
    def run(self, faults=FAULTS, n=20, junk=20000):
        """`n` events per puck before and after each fault's moment; `junk` messages in the flood."""
        self.junk = junk
        self.start_host()
        self.start_pucks()
        self.emit(n)
        for fault in faults:
            t0 = time.monotonic()
            getattr(self, "fault_" + fault)(n)
            self.check(fault, t0, self.settle())
        return self.results

    def fault_broker_kill9(self, n):
        self.emit(n // 2)
        self.kill_broker()
        self.emit(n)

    def fault_host_kill9(self, n):
        self.emit(n // 2)
        self.kill_host()
        self.emit(n)
        self.start_host()
        self.emit(n // 2)

    def fault_host_then_broker(self, n):
        self.kill_host()
        self.emit(n // 2)
        self.kill_broker()
        self.emit(n // 2)
        self.start_host()
        self.emit(n // 2)

    def fault_broker_then_host(self, n):
        self.kill_broker()
        self.kill_host()
        self.emit(n)
        self.start_host()
        self.emit(n // 2)

    def _offline_events(self):
        return int(self.offline_min * self.rate_per_min)

    def fault_puck_offline(self, n):
        sp = self.pucks[0]
        self.set_offline(sp, True)
        self.emit(self._offline_events(), [sp])  # offline_min minutes of the puck's clock
        assert sp.puck.outbox.dropped == 0, "the outbox did not hold the outage"
        self.set_offline(sp, False)
        self.emit(n // 2)

    def fault_puck_overflow(self, n):
        sp = self.pucks[-1]
        cap = sp.puck.outbox.capacity
        self.set_offline(sp, True)
        before = sp.puck.outbox.dropped
        self.emit(cap + 7, [sp], fast=True)  # 7 more than it holds: the 7 oldest go, counted
        assert sp.puck.outbox.dropped - before == 7
        self.set_offline(sp, False)
        self.emit(n // 2)

    def fault_junk_flood(self, n, junk=None):
        import paho.mqtt.client as mqtt

        junk = junk or self.junk
        host, port = self.url.replace("mqtt://", "").split(":")
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="soak-flood")
        c.max_queued_messages_set(0)
        c.max_inflight_messages_set(1000)
        c.connect(host, int(port))
        c.loop_start()
        self.emit(n // 4)
        infos = []
        for i in range(junk):  # far more than Mosquitto's default queue of 1000 for the host
            infos.append(c.publish("talkpuck/v1/junk-%d/evt/turn" % (i % 50), b"{not json" * 20, qos=1))
            if i % 200 == 0:
                self.emit(1)  # genuine events in the middle of the flood
        for info in infos[-50:]:
            info.wait_for_publish(60)
        self.emit(n // 4)
        c.loop_stop()
        c.disconnect()

    def fault_full_disk(self, n):
        if not self.disk.ok:
            raise RuntimeError("full_disk needs a tmpfs mount (root): %s" % self.disk.error)
        from sqlalchemy import text

        with self.store.engine.connect() as c:  # empty the WAL file, so the next writes must grow it
            c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        self.disk.fill()
        self.emit(n * 2)  # the store refuses them: nothing is acknowledged, the broker keeps them
        time.sleep(1.0)
        self.held_while_full = len(self.acked() - set(self.stored()))
        if not self.held_while_full:
            raise AssertionError("full_disk: the store took every event: the disk was not full")
        self.disk.free()
        self.emit(n // 2)


def _add_vad(puck):
    now = puck.hal.clock.now_ms()
    return puck.outbox.add("vad", {"from_ms": now - 60000 & 0x3FFFFFFF, "to_ms": now, "speech_ms": 30000,
                                        "turns": 5, "level_db": -30, "noise_db": -60}, now)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="the short version (make test)")
    ap.add_argument("--faults", default=",".join(FAULTS))
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))  # `timeout` still cleans up (finally below)
    work = tempfile.mkdtemp(prefix="talkpuck-soak-")
    soak = Soak(work, offline_min=(1.0 if args.short else 10.0))
    t0 = time.monotonic()
    try:
        results = soak.run(args.faults.split(","), n=(6 if args.short else 40), junk=(3000 if args.short else 20000))
    finally:
        soak.stop()
        if not args.keep:
            subprocess.run(["rm", "-rf", work])
    rows = [("| fault | produced | acked by broker | stored | lost | dup stored | outbox dropped | host events_lost "
             "| host dups dropped | s | ok |"), "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append("| %(fault)s | %(produced)d | %(acked_by_broker)d | %(stored)d | %(lost)d | %(duplicates_stored)d "
                    "| %(outbox_dropped)d | %(host_events_lost)d | %(host_duplicates_dropped)d | %(seconds)s | %(ok)s |" % r)
    rows.append("")
    rows.append("%d pucks at %d events/min of their clock (x%g), puck offline %g min; total %.0f s" % (
        soak.n_pucks, soak.rate_per_min, soak.speed, soak.offline_min, time.monotonic() - t0))
    print("\n".join(rows))
    if not args.short:
        sys.path.insert(0, HERE)
        import results as res

        res.append("Fault soak: lost counted from the pucks' PUBACK logs", rows)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

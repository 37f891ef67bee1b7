"""End to end: updates over the air to the REAL firmware under the MicroPython unix port, against a
private Mosquitto, with bundles built for it by `talkpuck build` (deploy/build.py, .mpy for this PC).

A supervisor plays the board: it starts `micropython firmware/main.py` again whenever it exits with
fwboot's reset code (75), as a reset would. Covered: a good update (the new version in `info` after
the switch, confirmed healthy, still there after a reboot), a corrupted file (refused, the old
version keeps running), a wrong key (refused), a version that crashes at boot (rolled back, the next
boot says so in `info.fw_rollback`), a power cut in the middle of the download (the process killed:
the old version runs, the download resumes where the flash file ends), and a session (the update
waits for its end)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from waiting import wait_for

from talkpuck.cli import main
from talkpuck.deploy.build import build, mpy_cross
from talkpuck.deploy.bundle import Bundle, write_bundle
from talkpuck.deploy.push import Pusher
from talkpuck.mqtt.broker import Broker

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEVICE = "puck-ota1"
ROOT_T = "talkpuck/v1/%s/" % DEVICE
KEY = bytes(range(32))
NEW = "0.9.1"
BASE = "0.1.0"


def _micropython():
    here = os.path.join(os.path.dirname(sys.executable), "micropython")
    return here if os.path.exists(here) else shutil.which("micropython")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """The good bundle (version NEW) and one whose app_main raises at import (crashes at boot)."""
    tmp = tmp_path_factory.mktemp("ota-build")
    fw = tmp / "firmware"
    shutil.copytree(os.path.join(REPO, "firmware"), fw, ignore=shutil.ignore_patterns("__pycache__"))
    init = fw / "puckcore" / "__init__.py"
    init.write_text(init.read_text().replace('VERSION = "%s"' % BASE, 'VERSION = "%s"' % NEW))
    good = build("unix", str(tmp / "good"), firmware=str(fw))
    crash = str(tmp / "crash")
    shutil.copytree(good, crash)
    src = tmp / "app_main_crash.py"
    src.write_text('raise RuntimeError("this version crashes at boot")\n')
    subprocess.run([mpy_cross(), "-o", os.path.join(crash, "app_main.mpy"), str(src)], check=True)
    with open(os.path.join(crash, "build.json")) as f:
        files = [n for n in json.load(f)["files"] if n.endswith(".mpy")]
    write_bundle(crash, files, "unix", "0.9.2-crash")
    return Bundle.load(good), Bundle.load(crash), good


class Puck:
    """The firmware under the unix port, restarted on fwboot's reset exit code like a board."""

    def __init__(self, tmp_path, broker):
        self.cfg = tmp_path / "config.json"
        self.cfg.write_text(json.dumps({"device": DEVICE, "board": "unix", "broker": broker.url,
                                        "storage": str(tmp_path / "store"), "ota_key": KEY.hex()}))
        self.out = []
        self.exits = []
        self.proc = None
        self._stop = False
        self._thread = threading.Thread(target=self._supervise, daemon=True)
        self._thread.start()

    def _supervise(self):
        env = dict(os.environ, MICROPYPATH="firmware:firmware/lib:.frozen")
        while not self._stop:
            self.proc = subprocess.Popen([_micropython(), "-X", "heapsize=2M", "firmware/main.py", str(self.cfg)],
                                         cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            with self.proc.stdout:
                for line in self.proc.stdout:
                    self.out.append(line)
            code = self.proc.wait()
            self.exits.append(code)
            if code != 75:  # anything but a reset (a kill: the test restarts it)
                return

    def text(self):
        return "".join(self.out)

    def kill(self):
        """A power cut: SIGKILL, no clean shutdown."""
        self._stop = True
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self._thread.join(10)


class Host:
    """Watches the puck's topics and sends commands the way the host's Commander does."""

    def __init__(self, broker):
        self.msgs = []
        self.lock = threading.Lock()
        self.n = 0
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="e2e-ota-host")
        self.c.on_message = self._on_message
        self.url = broker.url
        self.c.connect(broker.host, broker.port)
        self.c.subscribe(ROOT_T + "#", qos=1)
        self.c.loop_start()

    def _on_message(self, c, u, m):
        with self.lock:
            self.msgs.append((m.topic[len(ROOT_T):], bytes(m.payload)))

    def find(self, topic, pred=lambda d: True):
        with self.lock:
            for t, p in reversed(self.msgs):
                if t == topic and p[:1] == b"{":
                    d = json.loads(p)
                    if pred(d):
                        return d
        return None

    def call(self, device, verb, fields, timeout_s=5.0):
        self.n += 1
        cid = "ota-%d" % self.n
        doc = {"id": cid, "ts": int(time.time() * 1000), "ttl_s": 60}
        doc.update(fields)
        self.c.publish(ROOT_T + "cmd/" + verb, json.dumps(doc), qos=1)
        try:
            return wait_for(lambda: self.find("resp", lambda d: d["id"] == cid), timeout_s, "resp " + cid)
        except AssertionError:
            return None

    def info(self, pred=lambda d: True, timeout_s=20):
        return wait_for(lambda: self.find("info", pred), timeout_s, "info")

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


@pytest.fixture
def setup(tmp_path):
    assert _micropython(), "micropython not found: install the dev extra"
    b = Broker.start(data_dir=str(tmp_path / "broker"))
    host = Host(b)
    made = []

    def start():
        p = Puck(tmp_path, b)
        made.append(p)
        return p

    yield host, start
    for p in made:
        p.kill()
    host.close()
    b.stop()


def test_good_update_switches_confirms_and_stays(setup, bundles):
    host, start = setup
    good = bundles[0]
    puck = start()
    first = host.info()
    assert first["fw"] == BASE and first["fw_slot"] == "base" and first["fw_trial"] is False
    ok, msg = Pusher(host.call).push(DEVICE, good, KEY)
    assert ok, msg + puck.text()
    info = host.info(lambda d: d["fw"] == NEW)  # after the reset into slot a
    assert info["fw_slot"] == "a" and info["fw_trial"] is True and info["prev_boot"] == first["boot"]
    wait_for(lambda: "confirmed healthy" in puck.text(), 20, "the trial confirmed")
    assert puck.exits == [75]
    puck.kill()
    host.msgs.clear()
    puck = start()  # a reboot: the confirmed copy runs, no longer on trial
    info = host.info(lambda d: d["boot"] != first["boot"] and d["fw"] == NEW)
    assert info["fw_slot"] == "a" and info["fw_trial"] is False and info["fw_rollback"] is None
    assert "Traceback" not in puck.text()


def test_corrupted_file_and_wrong_key_are_refused_old_version_runs(setup, bundles):
    host, start = setup
    good = bundles[0]
    puck = start()
    first = host.info()
    data = bytearray(good.data)
    data[good.mlen + 100] ^= 0xFF  # a byte of the first file after the manifest
    ok, msg = Pusher(host.call).push(DEVICE, Bundle(bytes(data), good.mlen, good.fw, good.board), KEY)
    assert not ok and "hash mismatch" in msg, msg
    ok, msg = Pusher(host.call).push(DEVICE, good, bytes(32))  # another puck's key
    assert not ok and "not signed with this puck's key" in msg, msg
    time.sleep(1.5)
    assert puck.exits == [] and puck.proc.poll() is None  # never reset
    assert host.find("info")["boot"] == first["boot"]
    r = host.call(DEVICE, "fw_apply", {"fw": NEW})
    assert r["ok"] is False and r["fw_state"] == "failed"


def test_version_that_crashes_at_boot_is_rolled_back(setup, bundles):
    host, start = setup
    crash = bundles[1]
    puck = start()
    first = host.info()
    ok, msg = Pusher(host.call).push(DEVICE, crash, KEY)
    assert ok, msg
    info = host.info(lambda d: d["boot"] != first["boot"], timeout_s=30)
    assert info["fw"] == BASE and info["fw_slot"] == "base" and info["fw_rollback"] == "0.9.2-crash"
    assert puck.exits == [75, 75]  # apply's reset, then the crashed trial's
    assert "this version crashes at boot" in puck.text()


def test_power_cut_mid_download_resumes_and_old_version_runs(setup, bundles):
    host, start = setup
    good = bundles[0]
    puck = start()
    host.info()
    offer = {"fw": good.fw, "size": len(good.data), "mlen": good.mlen, "mac": good.mac(KEY)}
    assert host.call(DEVICE, "fw_offer", offer)["have"] == 0
    import base64
    off = 0
    while off < len(good.data) // 2:
        part = good.data[off:off + 1536]
        r = host.call(DEVICE, "fw_chunk", {"off": off, "data": base64.b64encode(part).decode()})
        assert r["ok"], r
        off += len(part)
    puck.kill()  # the power goes in the middle of the download
    host.msgs.clear()
    puck = start()
    info = host.info()
    assert info["fw"] == BASE and info["fw_slot"] == "base"
    r = host.call(DEVICE, "fw_offer", offer)
    assert r["ok"] and r["have"] == off and r["fw_state"] == "downloading"  # resumes where the flash file ends
    ok, msg = Pusher(host.call).push(DEVICE, good, KEY)
    assert ok, msg
    assert host.info(lambda d: d["fw"] == NEW)["fw_slot"] == "a"


def test_update_waits_for_the_session_to_end(setup, bundles, tmp_path, capsys):
    host, start = setup
    good = bundles[0]
    start()
    host.info()
    assert host.call(DEVICE, "session_start", {"limit_s": 600})["ok"]
    ok, msg = Pusher(host.call).push(DEVICE, good, KEY)
    assert not ok and "session running" in msg, msg
    assert host.call(DEVICE, "session_stop", {})["ok"]
    # after the session, the command line: talkpuck firmware push (the host's Commander and store)
    key_file = tmp_path / "puck.key"
    key_file.write_text(KEY.hex())
    code = main(["firmware", "push", "--bundle", bundles[2], "--device", DEVICE, "--broker", host.url,
                 "--db", "sqlite:///%s" % (tmp_path / "host.db"), "--data-dir", str(tmp_path / "var"),
                 "--key-file", str(key_file)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "%s verified and applied" % NEW in out
    assert host.info(lambda d: d["fw"] == NEW)["fw_trial"] is True

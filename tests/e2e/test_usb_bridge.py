"""End to end over a USB-like cable: the REAL firmware (app_main, puckcore, lib/usb_link.py, hal_unix.py
with `"link": "usb"`) under the MicroPython unix port on one pseudo-terminal, `talkpuck bridge` (a
real process, pyserial) on another, a private Mosquitto behind it. The test is the cable between the
two ptys: it copies bytes both ways, checks that no 0x03/0x04 ever crosses it, damages a frame on
purpose, and can be pulled out and put back (the bridge's port disappears and comes back under the
same path, a symlink, as /dev/serial/by-id does).

Shown: the puck is online through the bridge with its own topics and will; every button press is an
evt/hand that arrives, in order, none lost; a command reaches the puck and its resp comes back; a
damaged frame is counted by the bridge and skipped, nothing lost; a pulled cable and a killed bridge
lose nothing either (the puck keeps its outbox, the bridge reopens the port)."""
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import tty

import paho.mqtt.client as mqtt
import pytest

from waiting import wait_for

from talkpuck.mqtt.broker import Broker

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEVICE = "puck-usb1"
ROOT_T = "talkpuck/v1/%s/" % DEVICE
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), "micropython")


class Cable:
    """Two pty pairs joined by a thread: the puck opens `puck_path`, the bridge `bridge_path` (a symlink)."""

    def __init__(self, folder):
        self.bridge_path = os.path.join(folder, "ttyPUCK")
        self.seen = {"up": bytearray(), "down": bytearray()}
        self.corrupt = {"up": 0, "down": 0}  # frames longer than 100 bytes still to damage
        self.damaged = {"up": 0, "down": 0}
        self.plugged = True
        self._lock = threading.Lock()
        self.ma, sa = os.openpty()
        tty.setraw(sa)
        self.puck_path = os.ttyname(sa)
        self._keep = [sa]  # a slave kept open: the master never reads EIO while the puck restarts
        self._new_bridge_side()
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _new_bridge_side(self):
        mb, sb = os.openpty()
        tty.setraw(sb)
        os.set_blocking(mb, False)
        path = os.ttyname(sb)
        os.close(sb)  # the bridge opens it by path
        tmp = self.bridge_path + ".new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(path, tmp)
        os.replace(tmp, self.bridge_path)
        self.mb = mb

    def pull(self):
        """Out goes the cable: the bridge's port fails (EIO) and its path points nowhere."""
        with self._lock:
            self.plugged = False
            os.close(self.mb)
            self.mb = None
            os.unlink(self.bridge_path)

    def plug(self):
        with self._lock:
            self._new_bridge_side()
            self.plugged = True

    def _damage(self, direction, data):
        if not self.corrupt[direction]:
            return data
        data = bytearray(data)
        i = data.find(b"~")
        while i >= 0:
            end = data.find(b"\n", i)
            if end - i > 100:
                j = i + 40
                data[j] = 0x41 if data[j] != 0x41 else 0x42  # a base64 letter: only the CRC can tell
                self.corrupt[direction] -= 1
                self.damaged[direction] += 1
                break
            i = data.find(b"~", i + 1)
        return bytes(data)

    def _run(self):
        os.set_blocking(self.ma, False)
        while not self._stop:
            with self._lock:
                mb = self.mb
            fds = [self.ma] + ([mb] if mb is not None else [])
            r, _, _ = select.select(fds, [], [], 0.05)
            for fd in r:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # the bridge closed its side: nothing to read until it reopens
                    time.sleep(0.01)
                    continue
                direction = "up" if fd == self.ma else "down"
                with self._lock:
                    self.seen[direction] += data
                    if not self.plugged:
                        continue  # bytes into a pulled cable are gone
                    data = self._damage(direction, data)
                    out = self.mb if direction == "up" else self.ma
                    try:
                        os.write(out, data)
                    except (BlockingIOError, OSError):
                        pass  # nobody reading: like a USB host that is not listening

    def close(self):
        self._stop = True
        self._t.join(2)
        for fd in [self.ma, self.mb] + self._keep:
            if fd is not None:
                os.close(fd)


class Watcher:
    def __init__(self, broker):
        self.msgs = []
        self.lock = threading.Lock()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="e2e-usb-watch")
        self.c.on_message = self._on_message
        self.c.connect(broker.host, broker.port)
        self.c.subscribe(ROOT_T + "#", qos=1)
        self.c.loop_start()

    def _on_message(self, c, u, m):
        with self.lock:
            self.msgs.append((m.topic[len(ROOT_T):], bytes(m.payload)))

    def docs(self, prefix):
        with self.lock:
            return [json.loads(p) for t, p in self.msgs if t.startswith(prefix)]

    def raw(self, topic):
        with self.lock:
            return [p for t, p in self.msgs if t == topic]

    def command(self, verb, cid, **fields):
        doc = {"id": cid, "ts": int(time.time() * 1000), "ttl_s": 60}
        doc.update(fields)
        self.c.publish(ROOT_T + "cmd/" + verb, json.dumps(doc), qos=1).wait_for_publish(5)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def _start_bridge(cable, broker, log):
    return subprocess.Popen([sys.executable, "-m", "talkpuck.cli", "bridge", "--port", cable.bridge_path,
                             "--broker", broker.url], cwd=REPO, stdout=log, stderr=subprocess.STDOUT)


def _start_puck(tmp_path, cable):
    cfg = {"device": DEVICE, "board": "unix", "link": "usb", "tty": cable.puck_path,
           "storage": str(tmp_path / "store"), "button_file": str(tmp_path / "button")}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    env = dict(os.environ)
    env["MICROPYPATH"] = "firmware:firmware/lib:.frozen"
    return subprocess.Popen([MICROPYTHON, "-X", "heapsize=2M", "firmware/main.py", str(path)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _press(tmp_path, n):
    # (a puck holds at most 9 waiting hands: the test raises 8)
    button = tmp_path / "button"
    for _ in range(n):
        button.write_text("")
        time.sleep(0.12)
        button.unlink()
        time.sleep(0.55)  # past the double-press gap: each press is its own event


def _seqs(w):
    return [d["seq"] for d in w.docs("evt/")]


@pytest.fixture
def broker(tmp_path):
    b = Broker.start(data_dir=str(tmp_path / "broker"))
    yield b
    b.stop()


def test_usb_puck_through_the_bridge_loses_nothing(tmp_path, broker):
    assert os.path.exists(MICROPYTHON), "micropython not found: install the dev extra"
    cable = Cable(str(tmp_path))
    w = Watcher(broker)
    log = open(tmp_path / "bridge.log", "wb")
    bridge = _start_bridge(cable, broker, log)
    puck = _start_puck(tmp_path, cable)
    ok = False
    try:
        wait_for(lambda: b"online" in w.raw("status"), 20, "status online through the bridge")
        info = wait_for(lambda: w.docs("info"), 10, "info")[0]
        assert info["board"] == "unix" and len(info["boot"]) == 8

        # events in order, none lost; a frame damaged on its way up is counted and skipped
        cable.corrupt["up"] = 1
        _press(tmp_path, 3)
        wait_for(lambda: len(_seqs(w)) >= 3, 15, "3 events")
        assert cable.damaged["up"] == 1

        # a command reaches the puck (through a damaged frame first) and its resp comes back
        cable.corrupt["down"] = 1
        w.command("session_start", "usb-1", session="s-usb-1", limit_s=600, warn_s=120)
        resp = wait_for(lambda: [d for d in w.docs("resp") if d["id"] == "usb-1"], 15, "resp")[0]
        assert resp["ok"] is True and resp["verb"] == "session_start"
        assert cable.damaged["down"] == 1

        # the cable is pulled: the puck keeps its events; put back, they all arrive
        cable.pull()
        wait_for(lambda: b"offline" in w.raw("status"), 15, "offline (the bridge publishes the will)")
        _press(tmp_path, 2)
        cable.plug()
        wait_for(lambda: w.raw("status")[-1] == b"online", 30, "online again after the cable is back")
        _press(tmp_path, 1)
        wait_for(lambda: len(_seqs(w)) >= 7, 30, "events from while the cable was out")

        # the bridge is killed and started again: nothing lost either
        bridge.send_signal(signal.SIGKILL)
        bridge.wait(10)
        _press(tmp_path, 2)
        bridge = _start_bridge(cable, broker, log)
        wait_for(lambda: len(_seqs(w)) >= 9, 40, "events from while the bridge was down")
        w.command("identify", "usb-2")
        wait_for(lambda: [d for d in w.docs("resp") if d["id"] == "usb-2"], 15, "resp after the restart")

        seqs = _seqs(w)
        uniq = sorted(set(seqs))
        assert uniq == list(range(1, len(uniq) + 1)), seqs  # none lost
        first = [s for i, s in enumerate(seqs) if s not in seqs[:i]]
        assert first == uniq, seqs  # in order (a retransmission may repeat one: at least once)
        assert all(d["boot"] == info["boot"] for d in w.docs("evt/"))  # one boot: the puck never restarted

        # a bridge stopped on purpose says the puck is offline (its will): it cannot be reached now
        bridge.send_signal(signal.SIGTERM)
        bridge.wait(15)
        wait_for(lambda: w.raw("status")[-1] == b"offline", 10, "offline when the bridge stops")
        ok = True
    finally:
        bridge.send_signal(signal.SIGTERM)
        try:
            bridge.wait(10)
        except subprocess.TimeoutExpired:
            bridge.kill()
        puck.kill()
        out = puck.communicate(timeout=10)[0]
        log.close()
        cable.close()
        w.close()
        if not ok:
            with w.lock:
                print("mqtt:", [(t, p[:80]) for t, p in w.msgs])
            print("bridge log:\n" + (tmp_path / "bridge.log").read_text()[-4000:] + "\npuck output:\n" + out[-3000:])
    text = (tmp_path / "bridge.log").read_text()
    print("bridge log:\n" + text[-4000:] + "\npuck output:\n" + out[-3000:])
    assert "broken frame skipped" in text, text[-3000:]
    assert "Traceback" not in out, out
    # the cable never carried a byte that would interrupt (0x03) or reset (0x04) MicroPython
    for direction in ("up", "down"):
        assert 3 not in cable.seen[direction] and 4 not in cable.seen[direction], direction
    assert len(cable.seen["down"]) > 0

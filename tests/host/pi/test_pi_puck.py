"""The Raspberry Pi puck on this machine: `talkpuck pi run` with the real Blinka, neopixel,
sounddevice and paho code, faked only at the lowest hardware calls (tests/fakes/pi: libgpiod,
rpi_ws281x / the Pi 5 driver, the PortAudio stream object), against a real Mosquitto.

Blinka's board detection is its own, forced to a Pi with the variables Adafruit-PlatformDetect
reads (BLINKA_FORCECHIP, BLINKA_FORCEBOARD) and given a Pi's /proc/cpuinfo and /dev/gpiochip0 in
a private mount namespace (`unshare -m`, as root), so it takes the code path a Pi takes (not
Blinka's generic fake board)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import paho.mqtt.client as mqtt
import pytest

from waiting import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FAKES = os.path.join(ROOT, "tests", "fakes", "pi")
DEV = "puck-pi1"

MODELS = {
    # model: (BLINKA_FORCEBOARD, /proc/cpuinfo revision, header GPIO controller, ring output file)
    "pi4": ("RASPBERRY_PI_4B", "c03111", "pinctrl-bcm2711", "ws281x"),
    "pi5": ("RASPBERRY_PI_5", "d04170", "pinctrl-rp1", "pi5"),
}

NAMESPACE = r"""
set -e
mount --bind "$F/cpuinfo" /proc/cpuinfo
mkdir -p "$F/dev"
: > "$F/dev/gpiochip0"
for n in null zero urandom random; do : > "$F/dev/$n"; mount --bind "/dev/$n" "$F/dev/$n"; done
mount --rbind "$F/dev" /dev
exec "$@"
"""


def namespaces_work():
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return r.returncode == 0


pytestmark = pytest.mark.skipif(not namespaces_work(), reason="needs root and unshare -m (a private mount namespace)")


def pi_env(tmp_path, model, notify=None):
    forceboard, rev, label, _out = MODELS[model]
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "cpuinfo").write_text(
        "processor\t: 0\nmodel name\t: ARMv7 Processor rev 3 (v7l)\nHardware\t: BCM2835\n"
        "Revision\t: %s\nSerial\t\t: 10000000abcdef01\nModel\t\t: Raspberry Pi\n" % rev)
    env = dict(os.environ)
    env.update({
        "F": str(fake),
        "TALKPUCK_FAKE_PI": str(fake),
        "TALKPUCK_FAKE_GPIOCHIP": label,
        "BLINKA_FORCECHIP": "BCM2XXX",
        "BLINKA_FORCEBOARD": forceboard,
        "PYTHONPATH": os.pathsep.join([FAKES, HERE] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]),
    })
    env.pop("NOTIFY_SOCKET", None)
    if notify:
        env["NOTIFY_SOCKET"] = notify
    return env, fake


def in_pi(args, env, **kw):
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", NAMESPACE, "sh"] + args


@pytest.mark.parametrize("model", ["pi4", "pi5"])
def test_ring_bytes_and_button_through_blinka(tmp_path, model):
    env, fake = pi_env(tmp_path, model)
    board = os.path.join(ROOT, "hardware", "boards", "pi.json")
    frame = bytes([200, 10, 0] + [0, 0, 100] * 22 + [1, 2, 3])  # RGB from the core's renderer
    (fake / "gpio17").write_text("0")  # the button pulls GPIO17 to ground: pressed
    r = subprocess.run(in_pi([sys.executable, os.path.join(HERE, "ring_child.py"), board, frame.hex()], env),
                       env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"pressed": True}
    out = MODELS[model][3]
    wire = (fake / (out + ".bin")).read_bytes()
    meta = json.loads((fake / (out + ".json")).read_text())
    assert meta["gpio"] == 18
    # GRB on the wire (ring.order), scaled by the board's brightness 0.6 (the neopixel library's cap)
    expect = bytearray()
    for i in range(0, len(frame), 3):
        r_, g, b = frame[i], frame[i + 1], frame[i + 2]
        expect += bytes(int(v * 0.6) for v in (g, r_, b))
    assert len(wire) == 72
    assert wire == bytes(expect), (wire.hex(), bytes(expect).hex())
    assert "17 INPUT PULL_UP" in (fake / "gpio.log").read_text()


def test_pi_puck_against_mosquitto(tmp_path, mosquitto):
    sock_path = str(tmp_path / "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(sock_path)
    notify.settimeout(0.2)
    env, fake = pi_env(tmp_path, "pi4", notify=sock_path)
    storage = tmp_path / "storage"
    cfg = tmp_path / "puck.json"
    cfg.write_text(json.dumps({"device": DEV, "board": "pi", "broker": mosquitto.url, "storage": str(storage),
                               "settings": {"room": "Pi room"}}))

    got = {}
    seen = []

    def on_message(c, u, msg):
        seen.append((msg.topic, msg.payload))
        got.setdefault(msg.topic.split(DEV + "/", 1)[1], []).append(msg.payload)

    obs = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="obs-pi")
    obs.on_message = on_message
    host, port = mosquitto.url.split("//")[1].split(":")
    obs.connect(host, int(port))
    obs.subscribe("talkpuck/v1/%s/#" % DEV, 1)
    obs.loop_start()
    proc = subprocess.Popen(in_pi([sys.executable, os.path.join(HERE, "pi_child.py"), str(cfg)], env), env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    notes = []

    def notified(what):
        try:
            while True:
                notes.append(notify.recv(100).decode())
        except (socket.timeout, BlockingIOError):
            pass
        return what in notes

    try:
        wait_for(lambda: got.get("info"), 30, "the Pi puck's info")
        info = json.loads(got["info"][-1])
        assert (info["board"], info["room"], info["leds"], info["reset_reason"]) == ("pi", "Pi room", 24, "power")
        assert got["status"][-1] == b"online"
        wait_for(lambda: notified("READY=1"), 10, "READY=1 to systemd")
        wait_for(lambda: notified("WATCHDOG=1"), 10, "WATCHDOG=1 to systemd")
        ring = fake / "ws281x.bin"
        wait_for(lambda: ring.exists(), 10, "the ring written through rpi_ws281x")
        idle = ring.read_bytes()
        # a press of the button: GPIO17 low for 200 ms, as the finger does
        (fake / "gpio17").write_text("0")
        time.sleep(0.25)
        (fake / "gpio17").write_text("1")
        wait_for(lambda: got.get("evt/hand"), 10, "evt/hand from the button")
        hand = json.loads(got["evt/hand"][0])
        assert hand["action"] == "raise", hand
        wait_for(lambda: ring.read_bytes() != idle and any(ring.read_bytes()), 10, "the ring shows the hand")
        assert json.loads((fake / "ws281x.json").read_text())["count"] == 24
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out = proc.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            out = proc.communicate()[0]
        obs.loop_stop()
        obs.disconnect()
        notified("STOPPING=1")
        notify.close()
    assert proc.returncode == 0, out
    assert got["status"][-1] == b"offline"
    assert "STOPPING=1" in notes
    assert not any(t.endswith("/audio") for t, _ in seen)


def test_pi_watchdog_stuck_mic_restart_says_why(tmp_path, mosquitto):
    """A wedged microphone stops WATCHDOG=1 (systemd would kill the puck); the next start's info
    says `watchdog:audio`; a plain restart says `soft`."""
    sock_path = str(tmp_path / "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(sock_path)
    notify.settimeout(0.1)
    env, fake = pi_env(tmp_path, "pi4", notify=sock_path)
    storage = tmp_path / "storage"
    cfg = tmp_path / "puck.json"
    cfg.write_text(json.dumps({"device": "puck-pi2", "board": "pi", "broker": mosquitto.url, "storage": str(storage)}))
    infos = []
    obs = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="obs-pi2")
    obs.on_message = lambda c, u, m: infos.append(json.loads(m.payload))
    host, port = mosquitto.url.split("//")[1].split(":")
    obs.connect(host, int(port))
    obs.subscribe("talkpuck/v1/puck-pi2/info", 1)
    obs.loop_start()

    def start():
        return subprocess.Popen(in_pi([sys.executable, os.path.join(HERE, "pi_child.py"), str(cfg)], env), env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def drain():
        out = []
        try:
            while True:
                out.append(notify.recv(100).decode())
        except (socket.timeout, BlockingIOError):
            return out

    def stop(proc, sig=signal.SIGTERM):
        proc.send_signal(sig)
        try:
            return proc.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.communicate()[0]

    try:
        proc = start()
        wait_for(lambda: infos, 30, "the first info")
        assert infos[-1]["reset_reason"] == "power"  # the first run on this OS boot
        wait_for(lambda: "WATCHDOG=1" in drain(), 10, "fed while everything loops")
        (fake / "mic.stall").write_text("")
        wait_for(lambda: (storage / "wdt.json").exists() and json.loads((storage / "wdt.json").read_text()),
                 15, "the stuck audio task noted")
        assert json.loads((storage / "wdt.json").read_text()) == {"task": "audio"}
        drain()
        time.sleep(2.5)  # 2.5 feed periods: nothing may come
        assert "WATCHDOG=1" not in drain()
        stop(proc, signal.SIGKILL)  # what systemd does when WatchdogSec passes (SIGABRT, then SIGKILL)
        (fake / "mic.stall").unlink()
        n = len(infos)
        proc = start()
        wait_for(lambda: len(infos) > n, 30, "the info after the watchdog restart")
        assert infos[-1]["reset_reason"] == "watchdog:audio"
        stop(proc)
        n = len(infos)
        proc = start()
        wait_for(lambda: len(infos) > n, 30, "the info after a plain restart")
        assert infos[-1]["reset_reason"] == "soft"
        assert stop(proc) is not None and proc.returncode == 0
    finally:
        if proc.poll() is None:
            stop(proc, signal.SIGKILL)
        obs.loop_stop()
        obs.disconnect()
        notify.close()

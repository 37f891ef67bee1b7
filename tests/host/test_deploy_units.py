"""`talkpuck deploy-units`: systemd units for one office with this install's real paths, accepted by
`systemd-analyze verify` (where it runs), a Mosquitto config Mosquitto itself starts with, the
broker's password only in a 0600 env file (never on a command line), and `serve` reading it there."""
import os
import shutil
import socket
import stat
import subprocess
import sys
import time

import pytest

from talkpuck import cli
from talkpuck.errors import ConfigError
from talkpuck.mqtt.broker import free_port, mosquitto_binary
from talkpuck.service.units import render_units

needs_mosquitto = pytest.mark.skipif(mosquitto_binary() is None, reason="needs mosquitto")


def _units(tmp_path, *extra):
    out = str(tmp_path / "units")
    data = str(tmp_path / "data")
    os.makedirs(data)
    assert cli.main(["deploy-units", "--out", out, "--data-dir", data, "--user", "nobody",
                     "--mqtt-port", str(free_port())] + list(extra)) == 0
    return out, data


def _read(out, name):
    with open(os.path.join(out, name)) as f:
        return f.read()


@needs_mosquitto
def test_units_name_this_install_and_systemd_accepts_them(tmp_path):
    out, data = _units(tmp_path)
    host = _read(out, "talkpuck.service")
    exe = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "talkpuck")
    assert "ExecStart=%s serve --data-dir %s" % (exe, data) in host and os.access(exe, os.X_OK)
    assert "EnvironmentFile=%s" % os.path.join(out, "talkpuck.env") in host
    assert "Requires=talkpuck-mosquitto.service" in host and "ReadWritePaths=%s" % data in host
    broker = _read(out, "talkpuck-mosquitto.service")
    assert "ExecStart=%s -c %s" % (shutil.which("mosquitto") or "/usr/sbin/mosquitto",
                                   os.path.join(out, "talkpuck-mosquitto.conf")) in broker
    assert "ExecReload=/bin/kill -HUP $MAINPID" in broker
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed: the units were not verified")
    r = subprocess.run(["systemd-analyze", "verify"] + [os.path.join(out, n) for n in sorted(os.listdir(out))
                                                         if n.endswith(".service")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # and verify does find a broken unit (the check can fail)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "talkpuck.service").write_text(host.replace(exe, "/nonexistent/talkpuck"))
    r = subprocess.run(["systemd-analyze", "verify", str(bad / "talkpuck.service")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0 and "nonexistent" in r.stderr


@needs_mosquitto
def test_the_office_with_listen_keeps_secrets_in_0600_files_and_mosquitto_starts_with_the_config(tmp_path):
    from talkpuck.security.ca import init_certificates
    from talkpuck.security.credentials import security_dir
    data = str(tmp_path / "data")
    init_certificates(security_dir(data), ["127.0.0.2"])
    tls = free_port(host="127.0.0.2")
    out = str(tmp_path / "units")
    port = free_port()
    assert cli.main(["deploy-units", "--out", out, "--data-dir", data, "--user", "nobody", "--listen", "127.0.0.2",
                     "--mqtt-tls-port", str(tls), "--mqtt-port", str(port), "--workers", "2",
                     "--db", "postgresql://talkpuck:pw@db.example/talkpuck", "--ha-discovery"]) == 0
    env = _read(out, "talkpuck.env")
    assert env.startswith("TALKPUCK_BROKER=mqtt://host:") and "TALKPUCK_DB=postgresql://" in env
    for name in ("talkpuck.env", "talkpuck-mosquitto.conf"):
        assert stat.S_IMODE(os.stat(os.path.join(out, name)).st_mode) == 0o600
    password = env.split("host:", 1)[1].split("@", 1)[0]
    for name in os.listdir(out):
        if name.endswith(".service"):
            assert password not in _read(out, name), name          # never on a command line
    host = _read(out, "talkpuck.service")
    assert "--shared-events" in host and "--ha-discovery" in host and "--db" not in host
    worker = _read(out, "talkpuck-worker@.service")
    assert "ingest-worker --worker %i" in worker
    conf = _read(out, "talkpuck-mosquitto.conf")
    assert "allow_anonymous false" in conf and "listener %d 127.0.0.2" % tls in conf

    # Mosquitto takes the config as written (the unit's own ExecStart): both listeners come up
    broker_dir = os.path.join(data, "broker")
    os.makedirs(broker_dir, exist_ok=True)
    conf_path = os.path.join(out, "talkpuck-mosquitto.conf")
    if os.geteuid() == 0:
        with open(conf_path, "a") as f:
            f.write("user root\n")   # the test runs as root; the unit runs as --user
    proc = subprocess.Popen([mosquitto_binary(), "-c", conf_path], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        up = set()
        while time.monotonic() < deadline and len(up) < 2 and proc.poll() is None:
            for addr, p in (("127.0.0.1", port), ("127.0.0.2", tls)):
                try:
                    socket.create_connection((addr, p), 0.2).close()
                    up.add(p)
                except OSError:
                    pass
            time.sleep(0.1)
        assert up == {port, tls}, proc.stderr.read().decode() if proc.poll() is not None else up
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()


def test_serve_takes_the_broker_and_database_from_the_environment(monkeypatch):
    monkeypatch.setenv("TALKPUCK_BROKER", "mqtt://host:secret@127.0.0.1:1883")
    monkeypatch.setenv("TALKPUCK_DB", "postgresql://x@y/z")
    args = cli.build_parser().parse_args(["serve"])
    assert args.broker == "mqtt://host:secret@127.0.0.1:1883" and args.db == "postgresql://x@y/z"
    args = cli.build_parser().parse_args(["serve", "--broker", "mqtt://127.0.0.1:2"])
    assert args.broker == "mqtt://127.0.0.1:2"


def test_bad_arguments_are_config_errors(tmp_path):
    with pytest.raises(ConfigError):
        render_units(str(tmp_path), "two words", str(tmp_path / "u"))
    with pytest.raises(ConfigError):
        render_units(str(tmp_path), "nobody", str(tmp_path / "u"), workers=100)
    with pytest.raises(ConfigError):        # --listen without `talkpuck security init`
        render_units(str(tmp_path), "nobody", str(tmp_path / "u"), listen="127.0.0.2")

"""`talkpuck provision` of a puck made by `talkpuck device add`: its CA goes to the puck with its
config (mqtts://, its password); a config naming a CA that is not there never opens the port."""
import json
import os
import stat

import pytest

from talkpuck.cli import main
from talkpuck.deploy.provision import provision
from talkpuck.errors import ConfigError
from test_provision import FakePuckSerial


def _provisioned(tmp_path):
    data = str(tmp_path / "var")
    assert main(["security", "init", "--name", "10.0.0.2", "--data-dir", data]) == 0
    assert main(["device", "add", "puck-b7", "--broker-host", "10.0.0.2", "--data-dir", data]) == 0
    devices = os.path.join(data, "security", "devices")
    with open(os.path.join(devices, "puck-b7.json")) as f:
        doc = json.load(f)
    doc.update({"board": "pico-w", "wifi": {"ssid": "rooms", "password": "secret-secret"}})
    path = os.path.join(devices, "puck-b7-config.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return data, path, doc


def test_provision_writes_the_ca_and_the_login(tmp_path):
    data, path, doc = _provisioned(tmp_path)
    dev = tmp_path / "puck"
    dev.mkdir()
    ser = FakePuckSerial(str(dev))
    assert provision("/dev/fake", path, serial_factory=lambda p: ser) == "puck-b7"
    on_puck = json.loads((dev / "config.json").read_text())
    assert on_puck["broker"] == "mqtts://10.0.0.2:8883" and on_puck["mqtt_password"] == doc["mqtt_password"]
    with open(os.path.join(data, "security", "ca.crt")) as f:
        assert (dev / "ca.crt").read_text() == f.read()


def test_a_missing_ca_never_opens_the_port(tmp_path):
    _data, path, _doc = _provisioned(tmp_path)
    os.remove(os.path.join(os.path.dirname(path), "ca.crt"))
    opened = []
    with pytest.raises(ConfigError, match="^ca:"):
        provision("/dev/fake", path, serial_factory=opened.append)
    assert opened == []


def test_cli_never_prints_a_password(tmp_path, capsys):
    data, _path, doc = _provisioned(tmp_path)
    out = capsys.readouterr()
    assert doc["mqtt_password"] not in out.out + out.err
    assert "valid from 2000-01-01" in out.out
    assert main(["device", "add", "puck-b7", "--broker-host", "h", "--data-dir", data]) == 2  # exists
    assert main(["device", "add", "host", "--broker-host", "h", "--data-dir", data]) == 2  # reserved
    assert main(["device", "list", "--data-dir", data]) == 0
    assert capsys.readouterr().out.split() == ["puck-b7"]
    assert main(["device", "remove", "puck-b7", "--data-dir", data]) == 0
    assert main(["device", "remove", "puck-b7", "--data-dir", data]) == 2
    mode = stat.S_IMODE(os.stat(os.path.join(data, "security", "passwd")).st_mode)
    assert mode == 0o600

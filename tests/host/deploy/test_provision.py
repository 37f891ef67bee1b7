"""`talkpuck provision` over a fake serial port that speaks MicroPython's raw REPL and runs the code
it is sent (in a folder standing in for the puck's filesystem)."""
import contextlib
import io
import json
import os

import pytest

from talkpuck.deploy.provision import provision
from talkpuck.errors import ConfigError


class FakePuckSerial:
    """Raw REPL: Ctrl-A -> banner; code + Ctrl-D -> OK out \\x04 err \\x04 >; runs the code in `root`."""

    def __init__(self, root, fail=False):
        self.root = root
        self.fail = fail
        self.out = bytearray()
        self.code = bytearray()
        self.raw = False
        self.resets = 0
        self.closed = False

    def write(self, b):
        for ch in bytes(b):
            if not self.raw:
                if ch == 0x01:
                    self.raw = True
                    self.out += b"raw REPL; CTRL-B to exit\r\n>"
                elif ch == 0x04:
                    self.resets += 1
            elif ch == 0x04:
                self._run(self.code.decode())
                self.code = bytearray()
            elif ch == 0x02:
                self.raw = False
            else:
                self.code.append(ch)

    def _run(self, code):
        out, err = io.StringIO(), ""
        cwd = os.getcwd()
        try:
            os.chdir(self.root)
            if self.fail:
                raise OSError(28, "ENOSPC")
            with contextlib.redirect_stdout(out):
                exec(code, {})
        except Exception as e:
            err = "Traceback (most recent call last):\r\n%r\r\n" % e
        finally:
            os.chdir(cwd)
        self.out += b"OK" + out.getvalue().encode() + b"\x04" + err.encode() + b"\x04>"

    def read(self, n):
        data = bytes(self.out[:n])
        del self.out[:n]
        return data

    def close(self):
        self.closed = True


def _config(tmp_path, **changes):
    doc = {"device": "puck-b7", "board": "pico-w", "wifi": {"ssid": "rooms", "password": "secret-secret"},
           "broker": "mqtt://10.0.0.2:1883"}
    doc.update(changes)
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_provision_writes_config_and_resets(tmp_path):
    dev = tmp_path / "puck"
    dev.mkdir()
    (dev / "config.json").write_text("old")
    ser = FakePuckSerial(str(dev))
    assert provision("/dev/fake", _config(tmp_path), serial_factory=lambda p: ser) == "puck-b7"
    assert json.loads((dev / "config.json").read_text())["device"] == "puck-b7"
    assert not (dev / "config.json.tmp").exists()
    assert ser.resets == 1 and ser.closed and not ser.raw


def test_bad_config_never_opens_the_port(tmp_path):
    opened = []
    with pytest.raises(ConfigError, match="^broker:"):
        provision("/dev/fake", _config(tmp_path, broker="tcp//x"), serial_factory=opened.append)
    assert opened == []


def test_device_error_is_reported(tmp_path):
    ser = FakePuckSerial(str(tmp_path), fail=True)
    with pytest.raises(ConfigError, match="writing config.json failed: Traceback"):
        provision("/dev/fake", _config(tmp_path), serial_factory=lambda p: ser)
    assert ser.closed

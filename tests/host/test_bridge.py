"""talkpuck.bridge without a cable or a broker: what the bridge answers to each line it reads.
(The real thing, pyserial on a pty and Mosquitto, is tests/e2e/test_usb_bridge.py.)"""
import asyncio

import pytest

from puckport import usbframe as uf
from talkpuck import cli
from talkpuck.bridge import Bridge


class Wire:
    """Stands in for SerialPort.write: keeps the lines the bridge sends."""

    def __init__(self):
        self.lines = []

    def __call__(self, data):
        self.lines.append(uf.decode(data))
        return True


def _bridge():
    b = Bridge("/dev/null-not-opened", "mqtt://127.0.0.1:1")
    b.serial.write = Wire()
    b._jobs = asyncio.Queue()
    return b


def test_console_lines_broken_frames_and_stale_sessions():
    b = _bridge()
    b._bytes(b"talkpuck puck-a1 on esp32s3-devkit: boot 1234abcd\r\n")
    assert b.stats["console"] == 1 and list(b.console) == ["talkpuck puck-a1 on esp32s3-devkit: boot 1234abcd"]
    good = uf.encode(uf.PUB, 7, 0, 0, uf.pack_pub("t", b"x", 1, False))
    bad = bytearray(good)
    bad[9] = 0x41 if bad[9] != 0x41 else 0x42
    b._bytes(bytes(bad))
    assert b.stats["broken"] == 1 and b.serial.write.lines == []  # skipped, not answered
    # an intact frame of a session the bridge does not have: DOWN, so the puck reconnects
    b._bytes(good)
    kind, session, _seq, _ack, body = b.serial.write.lines[-1]
    assert kind == uf.DOWN and session == 7 and b"no session" in bytes(body)
    # a frame split across reads is put back together
    ping = uf.encode(uf.PING, 7, 0, 0)
    b._bytes(ping[:5])
    b._bytes(ping[5:])
    assert b.stats["frames_in"] == 2


def test_connect_is_queued_and_the_bridge_never_speaks_unasked():
    b = _bridge()
    b._bytes(uf.encode(uf.CONNECT, 9, 0, 0, uf.pack_connect("puck-a1", None, "s", b"offline", b"1234")))
    assert b._jobs.get_nowait()[0] == "connect"
    b.pending.append(("talkpuck/v1/puck-a1/cmd/identify", b"{}"))
    b._pump()  # no session up: nothing goes out, the command waits
    assert b.serial.write.lines == [] and len(b.pending) == 1


def test_cli_has_the_bridge_command():
    with pytest.raises(SystemExit) as e:
        cli.main(["bridge", "--help"])
    assert e.value.code == 0
    with pytest.raises(SystemExit) as e:
        cli.main(["bridge"])  # --port is required
    assert e.value.code == 2

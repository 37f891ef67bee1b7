"""provision — `talkpuck provision`: write a checked config.json to a puck over USB serial (pyserial).

For a puck that already has the firmware (a fleet flashed once, then named one by one): the config
is checked with the firmware's own devconfig.py, then sent through MicroPython's raw REPL:

    Ctrl-C Ctrl-C        stop whatever runs
    Ctrl-A               raw REPL ("raw REPL; CTRL-B to exit" then ">")
    <code> Ctrl-D        the device answers "OK", the code's stdout, Ctrl-D, its stderr, Ctrl-D
    Ctrl-B, Ctrl-D       back to the friendly REPL, soft reset: the puck boots with the new config

The code writes config.json.tmp and renames it over config.json (atomic on littlefs). Anything on
stderr (a traceback) is a ConfigError naming the port. No audio or secrets are read back.

A config for an mqtts:// broker names its CA file (`"ca": "ca.crt"`, from `talkpuck device add`):
that file, found beside the config on the host (or at its absolute path), is written to the puck
first, under the name the config gives, so the puck never boots with a config whose CA is missing.
"""
import os
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from talkpuck.errors import ConfigError

if TYPE_CHECKING:
    from puckport.devconfig import DeviceConfig

MARK = "talkpuck-provisioned"


class SerialLike(Protocol):
    """What RawRepl and provision() use of a serial port (pyserial's Serial, or a test's fake)."""
    def read(self, size: int = 1) -> bytes: ...
    def write(self, data: bytes, /) -> object: ...
    def close(self) -> object: ...


def write_code(text: str, name: str = "config.json") -> str:
    return ("import os\n"
            "f = open(%r, 'w')\n"
            "f.write(%r)\n"
            "f.close()\n"
            "try:\n"
            "    os.remove(%r)\n"
            "except OSError:\n"
            "    pass\n"
            "os.rename(%r, %r)\n"
            "with open(%r) as f:\n"
            "    print(%r, len(f.read()))\n" % (name + ".tmp", text, name, name + ".tmp", name, name, MARK))


def ca_file(config_path: str, cfg: "DeviceConfig") -> tuple[str, str, str] | None:
    """(host path, puck path, PEM text) of the CA the config names, or None; ConfigError if missing."""
    ca: str | None = getattr(cfg, "ca", None)
    if not ca:
        return None
    src = ca if os.path.isabs(ca) else os.path.join(os.path.dirname(os.path.abspath(config_path)), ca)
    try:
        with open(src, encoding="ascii") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError("ca: cannot read %s (%s): the CA from `talkpuck device add` goes beside the config"
                          % (src, e))
    if "BEGIN CERTIFICATE" not in text:
        raise ConfigError("ca: %s is not a PEM certificate" % src)
    return src, ca, text


class RawRepl:
    """The raw-REPL conversation over any object with read(n), write(b), and a `timeout` attribute."""

    def __init__(self, ser: SerialLike, timeout_s: float = 5.0) -> None:
        self.ser = ser
        self.timeout_s = timeout_s

    def read_until(self, ending: bytes) -> bytes:
        data = b""
        deadline = time.monotonic() + self.timeout_s
        while not data.endswith(ending):
            if time.monotonic() > deadline:
                raise ConfigError("serial: no %r from the puck (is the firmware MicroPython? output: %r)"
                                  % (ending, data[-200:]))
            c = self.ser.read(1)
            if c:
                data += c
        return data

    def enter(self) -> None:
        self.ser.write(b"\r\x03\x03")
        time.sleep(0.1)
        self.ser.write(b"\x01")
        self.read_until(b"raw REPL; CTRL-B to exit\r\n>")

    def exec(self, code: str) -> tuple[str, str]:
        self.ser.write(code.encode() + b"\x04")
        if self.read_until(b"OK")[-2:] != b"OK":
            raise ConfigError("serial: the puck did not accept the code")
        out = self.read_until(b"\x04")[:-1]
        err = self.read_until(b"\x04")[:-1]
        self.read_until(b">")
        return out.decode(errors="replace"), err.decode(errors="replace")

    def leave(self, reset: bool = True) -> None:
        self.ser.write(b"\x02")
        if reset:
            self.ser.write(b"\x04")


def provision(port: str, config_path: str, serial_factory: Callable[[str], SerialLike] | None = None,
              reset: bool = True) -> str:
    """Check config_path, write it to the puck on `port` as config.json; returns the device id."""
    from talkpuck.deploy.boards import load_board
    from talkpuck.deploy.deploy import check_config

    with open(config_path, encoding="utf-8") as f:
        text = f.read()
    try:
        board_name = json.loads(text).get("board")
    except (ValueError, AttributeError):
        board_name = None
    if not isinstance(board_name, str):
        raise ConfigError("board: missing in %s" % config_path)
    cfg = check_config(config_path, load_board(board_name))
    ca = ca_file(config_path, cfg)
    if serial_factory is None:
        import serial  # pyserial, a host dependency

        serial_factory = lambda p: serial.Serial(p, 115200, timeout=0.1)  # noqa: E731
    ser = serial_factory(port)
    try:
        repl = RawRepl(ser)
        repl.enter()
        if ca is not None:
            out, err = repl.exec(write_code(ca[2], ca[1]))
            if err.strip() or MARK not in out:
                raise ConfigError("serial %s: writing %s failed: %s" % (port, ca[1], (err or out).strip()))
        out, err = repl.exec(write_code(text))
        if err.strip() or MARK not in out:
            raise ConfigError("serial %s: writing config.json failed: %s" % (port, (err or out).strip()))
        repl.leave(reset)
    finally:
        ser.close()
    return cfg.device

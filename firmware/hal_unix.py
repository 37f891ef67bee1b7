"""hal_unix — the HAL for the MicroPython unix port: the real firmware on a PC, against a real broker.

For development and end-to-end tests (tests/e2e/test_unix_firmware.py): the same app_main, core and
MQTT client as a puck, with
  mic      a raw 16 kHz mono int16 little-endian PCM file (`pcm` in config.json), paced by the
           clock at 20 ms a frame, read straight into the frame buffer; silence after its end
           (or the file again with `pcm_loop`); silence when no file is given;
  button   pressed while the file `button_file` exists (touch / rm it from a shell or a test);
  leds     nothing, or one line of hex on stdout per change, at most twice a second (`leds_out`);
  link     firmware/lib/mqtt_client.py over a plain socket, or TLS for an mqtts:// broker (the CA
           file `ca`, a checked certificate; lib/mqtt_tls.py); no Wi-Fi step, no NTP (the PC's clock);
           or, with `"link": "usb"`, lib/usb_link.py over the serial device `tty` (put in raw mode),
           to `talkpuck bridge`;
  storage  JSON files in the folder `storage`.
Run: MICROPYPATH=firmware:firmware/lib micropython firmware/main.py my-unix-config.json
"""
import asyncio
import binascii
import os
import select

from puckport.jsonstore import JsonStore
from mqtt_client import MQTTClient
from puckcore.errors import ConfigError
from puckcore.ticks import Clock, ticks_add, ticks_diff
from puckport.hal_common import HalServices

FRAME_MS = 20


class PcmFileMic:
    def __init__(self, clock, path=None, loop=False):
        self.clock = clock
        self.path = path
        self.loop = loop
        self.frames = 0
        self.finished = path is None
        self._f = open(path, "rb") if path else None
        self._due = None

    async def read(self, frame):
        now = self.clock.now_ms()
        if self._due is None:
            self._due = now
        ahead = ticks_diff(self._due, now)
        if ahead > 0:
            await asyncio.sleep_ms(ahead)
        self._due = ticks_add(self._due, FRAME_MS)
        n = 0
        if self._f is not None:
            n = self._f.readinto(frame)  # int16 little-endian, as the unix port's array('h')
            if n < 2 * len(frame) and self.loop:
                self._f.seek(0)
            elif n < 2 * len(frame):
                self.finished = True
        for i in range(n // 2, len(frame)):
            frame[i] = 0
        self.frames += 1
        return True


class FileButton:
    def __init__(self, path=None):
        self.path = path

    def value(self):
        if not self.path:
            return False
        try:
            os.stat(self.path)
            return True
        except OSError:
            return False


class StdoutLeds:
    def __init__(self, show, clock):
        self.show = show
        self.clock = clock
        self.writes = 0
        self._last = None
        self._at = 0

    def write(self, buf):
        self.writes += 1
        if not self.show:
            return
        now = self.clock.now_ms()
        if self._last is not None and (bytes(buf) == self._last or ticks_diff(now, self._at) < 500):
            return
        self._last = bytes(buf)
        self._at = now
        print("leds", binascii.hexlify(self._last).decode())


class TtyPort:
    """A serial device (or a pseudo-terminal) for lib/usb_link.py: raw mode, polled, never blocks a read."""

    def __init__(self, path):
        if not path:
            raise ValueError("link usb on the unix port needs `tty` in config.json")
        self.path = path
        self._f = None
        self._poll = None
        self._one = bytearray(1)

    def open(self):
        self.close()
        f = open(self.path, "r+b")  # OSError when the device is not there (yet)
        try:
            import termios

            termios.setraw(f.fileno())  # no echo, no line editing, no CR/LF translation
        except (ImportError, OSError, AttributeError):
            pass  # not a tty (a test's pipe), or a port without termios
        self._poll = select.poll()
        self._poll.register(f, select.POLLIN)
        self._f = f

    def read_into(self, buf):
        # a read of n bytes on a file blocks until all n came, so: one byte while poll says more wait
        f = self._f
        if f is None:
            raise OSError("tty closed")
        one = self._one
        poll = self._poll
        assert poll is not None  # opened together with self._f
        n = 0
        while n < len(buf):
            ready = 0
            for _obj, ev in poll.ipoll(0):  # ipoll reuses its tuple: no allocation
                ready = ev
            if not ready:
                break
            if ready & (select.POLLHUP | select.POLLERR) and not ready & select.POLLIN:
                raise OSError("tty %s hung up" % self.path)
            if not f.readinto(one):
                raise OSError("tty %s: end of file" % self.path)
            buf[n] = one[0]
            n += 1
        return n

    def write(self, data):
        if self._f is None:
            raise OSError("tty closed")
        self._f.write(data)

    def close(self):
        f = self._f
        self._f = None
        if f is not None:
            try:
                f.close()
            except OSError:
                pass


class UnixHal(HalServices):
    def __init__(self, cfg, board):
        HalServices.__init__(self)
        self.clock = Clock()
        self.mic = PcmFileMic(self.clock, cfg.pcm, cfg.pcm_loop)
        self.button = FileButton(cfg.button_file)
        self.leds = StdoutLeds(cfg.leds_out == "stdout", self.clock)
        self.link = MQTTClient(cfg.host, cfg.port, cfg.device, cfg.mqtt_password, None, tls_context(cfg))
        if cfg.link == "usb":
            from usb_link import UsbLink

            self.link = UsbLink(cfg.device, cfg.mqtt_password, TtyPort(cfg.tty))
        self.storage = JsonStore(cfg.storage)


def tls_context(cfg):
    """The MQTT client's SSLContext for an mqtts:// broker, else None; ConfigError if the CA is unreadable."""
    if not cfg.tls:
        return None
    from mqtt_tls import client_context

    try:
        return client_context(cfg.ca)
    except (OSError, ValueError) as e:
        raise ConfigError("ca: cannot load %s (%r)" % (cfg.ca, e))


def make_hal(cfg, board):
    return UnixHal(cfg, board)

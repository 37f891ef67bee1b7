"""hal_mcu — the HAL parts every MicroPython microcontroller puck shares: I2S mic, ring, button, Wi-Fi.

hal_esp32.py and hal_rp2.py build a `McuHal` from the checked pin map (board.json) and add what is
particular to their chip. Everything that touches `machine`, `network` or `neopixel` on a puck
lives here or in those two files.

  mic      machine.I2S RX, 16 kHz, 32-bit mono slots (INMP441/ICS-43434: L/R to GND = left), read
           through an asyncio stream into one preallocated buffer, converted to the int16 frame
           by a viper helper (lib/i2s_convert.py): no allocation per frame in the normal case
  ring     neopixel.NeoPixel; the app's RGB buffer is copied into the driver's buffer in the
           strip's byte order (board `ring.order`, GRB for WS2812B) and written
  button   polled Pin with the board's pull; value() is True while pressed
  net      network.WLAN station: joined inside the MQTT client's connect(), so a lost Wi-Fi takes
           the app's one reconnect path (an OSError) like a lost broker; after a join the RTC is
           set once by SNTP (best effort, before TLS: a non-blocking UDP query polled with
           asyncio, so the session clock never waits; the certificates start at 2000-01-01, so a
           puck without the time still verifies them)
  link     lib/mqtt_client.py, over TLS (lib/mqtt_tls.py: the installation's CA, a checked
           certificate) when the broker is mqtts://, logging in as the device id with mqtt_password
  storage  JSON documents in /data, atomic (jsonstore.py)
  watchdog machine.WDT (`watchdog_ms`, within the RP2040's 8388 ms limit), started at the first
           feed, fed by puckcore.watchdog only while audio, ring and link loop; once started it
           cannot be stopped: a Ctrl-C to the REPL resets the puck after `watchdog_ms` (use the
           safe-mode button to reach the REPL)
  chime    optional piezo on `pins.chime`: machine.PWM, two soft notes (a low duty), played by a
           task so the caller never waits
  reset    machine.reset_cause() as info.reset_reason (power, hard, soft, watchdog, deepsleep)
  usb      with `"link": "usb"` in config.json: lib/usb_link.py over the USB console itself
           (sys.stdin/stdout: native USB CDC on the ESP32-S3 and the Pico W), to `talkpuck bridge`;
           Ctrl-C from mpremote still interrupts the puck (the frames never carry 0x03/0x04)
"""
import asyncio
import select
import socket
import struct
import sys
import time

import neopixel
import network
import machine
from machine import I2S, PWM, RTC, WDT, Pin

from i2s_convert import convert
from puckport.jsonstore import JsonStore
from mqtt_client import MQTTClient
from mqtt_tls import tls_context
from puckcore.ticks import Clock, ticks_diff, ticks_ms
from puckport.hal_common import HalServices

FRAME_SAMPLES = 320  # 20 ms at 16 kHz: TurnDetector.FRAME_SAMPLES
RATE_HZ = 16000
_PULLS = {"up": Pin.PULL_UP, "down": Pin.PULL_DOWN, "none": None}


class I2SMic:
    def __init__(self, board):
        pins = board["pins"]
        mic = board["mic"]
        self.slot_bits = mic.get("slot_bits", 32)
        self.shift = mic.get("shift", 16)
        self.buf = bytearray(FRAME_SAMPLES * self.slot_bits // 8)
        self.mv = memoryview(self.buf)
        self.frames = 0
        self.short_reads = 0  # reads that needed a second call (each allocates one small memoryview)
        self.i2s = I2S(
            mic.get("i2s_id", 0),
            sck=Pin(pins["mic_sck"]),
            ws=Pin(pins["mic_ws"]),
            sd=Pin(pins["mic_sd"]),
            mode=I2S.RX,
            bits=self.slot_bits,
            format=I2S.MONO,
            rate=RATE_HZ,
            ibuf=mic.get("ibuf_bytes", 16000),
        )
        self.stream = asyncio.StreamReader(self.i2s)

    async def read(self, frame):
        # one coroutine per frame (the app's interface); nothing else is allocated normally
        if self.slot_bits == 16:
            mv = memoryview(frame)  # 16-bit slots are the frame's format already: read into it
            size = 2 * FRAME_SAMPLES
        else:
            mv = self.mv
            size = len(self.buf)
        got = await self.stream.readinto(mv)
        while got < size:  # rare: the DMA had part of a frame
            self.short_reads += 1
            got += await self.stream.readinto(mv[got:])
        if self.slot_bits != 16:
            convert(self.buf, frame, FRAME_SAMPLES, self.shift)
        self.frames += 1
        return True

    def deinit(self):
        self.i2s.deinit()


class NeoRing:
    def __init__(self, board):
        ring = board["ring"]
        self.n = ring["leds"]
        self.np = neopixel.NeoPixel(Pin(board["pins"]["led_data"]), self.n)
        order = ring.get("order", "GRB")
        # for each byte the strip wants, which byte of an RGB triple it is
        self.o0 = "RGB".index(order[0])
        self.o1 = "RGB".index(order[1])
        self.o2 = "RGB".index(order[2])
        self.writes = 0

    def write(self, rgb):
        out = self.np.buf
        n = min(len(rgb), len(out))
        a, b, c = self.o0, self.o1, self.o2
        for i in range(0, n - 2, 3):
            out[i] = rgb[i + a]
            out[i + 1] = rgb[i + b]
            out[i + 2] = rgb[i + c]
        self.np.write()
        self.writes += 1

    def off(self):
        buf = self.np.buf
        for i in range(len(buf)):
            buf[i] = 0
        self.np.write()


class PinButton:
    def __init__(self, board):
        b = board.get("button") or {}
        self.pin = Pin(board["pins"]["button"], Pin.IN, _PULLS[b.get("pull", "up")])
        self.active_low = b.get("active_low", True)

    def value(self):
        return self.pin.value() == (0 if self.active_low else 1)


class WiFi:
    join_timeout_ms = 20000
    settle_ms = 1000
    poll_ms = 200

    def __init__(self, ssid, password, hostname=None):
        self.ssid = ssid
        self.password = password
        self.hostname = hostname
        self.joins = 0
        self.wlan = network.WLAN(network.STA_IF)
        self.ntp = Sntp()

    async def ensure(self):
        """Join the network if not joined; OSError naming the cause when it cannot."""
        w = self.wlan
        if w.isconnected():
            return
        w.active(True)
        if self.hostname:
            try:
                network.hostname(self.hostname)
            except (AttributeError, ValueError, OSError):
                pass
        try:
            w.config(pm=w.PM_NONE)  # no Wi-Fi power save: commands arrive without ~100 ms naps
        except (AttributeError, ValueError, OSError):
            pass
        try:
            w.connect(self.ssid, self.password)
        except OSError:
            w.disconnect()
            w.connect(self.ssid, self.password)
        t0 = ticks_ms()
        fatal = _fatal_statuses()
        while not w.isconnected():
            status = w.status()
            # right after connect() the status may still be the previous attempt's failure
            if status in fatal and ticks_diff(ticks_ms(), t0) > self.settle_ms:
                w.disconnect()
                raise OSError("Wi-Fi %s: %s" % (self.ssid, fatal[status]))
            if ticks_diff(ticks_ms(), t0) > self.join_timeout_ms:
                w.disconnect()
                raise OSError("Wi-Fi %s: not joined after %d ms (status %r)" % (self.ssid, self.join_timeout_ms, status))
            await asyncio.sleep_ms(self.poll_ms)
        self.joins += 1
        if not self.ntp.synced:
            await self.ntp.sync()

    def rssi(self):
        try:
            return self.wlan.status("rssi") if self.wlan.isconnected() else None
        except (ValueError, OSError):
            return None


class Sntp:
    """Set the RTC from an NTP server once, best effort: never raises, never blocks the loop for the
    answer (a non-blocking UDP socket polled every `poll_ms`, given up after `timeout_ms`)."""

    server = "pool.ntp.org"
    timeout_ms = 1500
    poll_ms = 50

    def __init__(self):
        self.synced = False
        self.attempts = 0
        # seconds from 1900 (NTP) to the port's epoch (2000 on most MCU ports, 1970 on some)
        self.delta_s = 3155673600 if time.gmtime(0)[0] == 2000 else 2208988800

    async def sync(self):
        self.attempts += 1
        s = None
        try:
            addr = socket.getaddrinfo(self.server, 123, 0, socket.SOCK_DGRAM)[0][-1]
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            query = bytearray(48)
            query[0] = 0x1B  # LI 0, version 3, mode 3 (client)
            s.sendto(query, addr)
            t0 = ticks_ms()
            while ticks_diff(ticks_ms(), t0) < self.timeout_ms:
                try:
                    msg = s.recv(48)
                except OSError:  # EAGAIN: not yet
                    await asyncio.sleep_ms(self.poll_ms)
                    continue
                if len(msg) >= 44:
                    secs = struct.unpack("!I", msg[40:44])[0]
                    if secs:
                        tm = time.gmtime(secs - self.delta_s)
                        RTC().datetime((tm[0], tm[1], tm[2], tm[6] + 1, tm[3], tm[4], tm[5], 0))
                        self.synced = True
                return
        except Exception:  # no DNS, no route, no RTC: the puck works without the time
            pass
        finally:
            if s is not None:
                s.close()


class HwWatchdog:
    """machine.WDT, created at the first feed: the imports and the first Wi-Fi join come before."""

    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.wdt = None

    def feed(self):
        if self.wdt is None:
            self.wdt = WDT(timeout=self.timeout_ms)
        self.wdt.feed()


class PwmChime:
    """A small piezo (or a speaker through a transistor) on a PWM pin: two soft notes."""

    notes_hz = {"warning": (1760, 1320), "timeup": (1320, 1047)}
    note_ms = 150
    duty_u16 = 1500  # about 2 %: soft on a piezo

    def __init__(self, pin):
        self.pwm = PWM(Pin(pin), freq=1000, duty_u16=0)
        self._task = None

    def play(self, kind):
        notes = self.notes_hz[kind]
        self._task = asyncio.create_task(self._play(notes))
        return len(notes) * self.note_ms

    async def _play(self, notes):
        try:
            for hz in notes:
                self.pwm.freq(hz)
                self.pwm.duty_u16(self.duty_u16)
                await asyncio.sleep_ms(self.note_ms)
        finally:
            self.pwm.duty_u16(0)


def reset_reason():
    """machine.reset_cause() in the words of info.reset_reason (puckcore.watchdog.REASONS)."""
    cause = machine.reset_cause()
    for name, reason in (("PWRON_RESET", "power"), ("HARD_RESET", "hard"), ("WDT_RESET", "watchdog"),
                         ("DEEPSLEEP_RESET", "deepsleep"), ("SOFT_RESET", "soft")):
        if getattr(machine, name, None) == cause:
            return reason
    return "unknown"


def _fatal_statuses():
    out = {}
    for name, text in (("STAT_WRONG_PASSWORD", "wrong password"), ("STAT_NO_AP_FOUND", "network not found"),
                       ("STAT_CONNECT_FAIL", "connection failed")):
        code = getattr(network, name, None)
        if code is not None:
            out[code] = text
    return out


class StdioPort:
    """The USB console (sys.stdin/stdout) as lib/usb_link.py's port: polled, a byte at a time into the
    link's buffer (a read of n bytes on the console blocks until all n came), nothing allocated."""

    def __init__(self):
        self.inp = sys.stdin.buffer
        self.out = sys.stdout.buffer
        self.one = bytearray(1)
        self.poll = select.poll()
        self.poll.register(sys.stdin, select.POLLIN)

    def open(self):
        return None  # always there; the host side opens and closes

    def read_into(self, buf):
        n = 0
        one = self.one
        while n < len(buf):
            ready = False
            for _ in self.poll.ipoll(0):  # ipoll reuses its tuple: no allocation
                ready = True
            if not ready:
                break
            self.inp.readinto(one)  # pyright: ignore[reportAttributeAccessIssue]  (MicroPython's stdin buffer has readinto)
            buf[n] = one[0]
            n += 1
        return n

    def write(self, data):
        self.out.write(data)

    def close(self):
        return None


class McuHal(HalServices):
    storage_folder = "/data"
    watchdog_ms = 8000  # the RP2040's WDT allows at most 8388 ms

    def __init__(self, cfg, board):
        HalServices.__init__(self)
        self.clock = Clock()
        self.leds = NeoRing(board)
        self.leds.off()
        self.button = PinButton(board)
        self.mic = I2SMic(board)
        self.net = WiFi(cfg.ssid, cfg.wifi_password, cfg.device)
        self.link = MQTTClient(cfg.host, cfg.port, cfg.device, cfg.mqtt_password, self.net, tls_context(cfg))
        if cfg.link == "usb":
            from usb_link import UsbLink

            self.link = UsbLink(cfg.device, cfg.mqtt_password, StdioPort())
        self.storage = JsonStore(self.storage_folder)
        self.watchdog = HwWatchdog(self.watchdog_ms)
        if "chime" in board["pins"]:
            self.chime = PwmChime(board["pins"]["chime"])

    def rssi(self):
        return self.net.rssi()

    def reset_reason(self):
        return reset_reason()


def button_held(board):
    """True when the button is held at boot: app_main then starts no puck (safe mode, REPL free)."""
    try:
        return PinButton(board).value()
    except (KeyError, ValueError):
        return False

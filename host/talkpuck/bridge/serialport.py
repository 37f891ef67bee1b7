"""serialport — a serial port (pyserial) that reopens itself: the cable may be pulled and put back.

One reader thread per port hands every chunk it reads to `on_bytes(data)` and every change of
state to `on_state(open: bool)`; writes come from any thread (`write` returns False when the port
is not open: the caller's protocol retransmits). A failed read or write closes the port; the
thread then tries to open the same path again every `reopen_s` (a USB puck that re-enumerates
comes back under the same /dev/serial/by-id/... name; use that name).

DTR is raised and RTS kept low on open, as mpremote does: on an ESP32-S3's USB-Serial/JTAG a
DTR/RTS toggle would reset the chip.
"""
import logging
import threading
from collections.abc import Callable

import serial

log = logging.getLogger(__name__)


class SerialPort:
    reopen_s = 0.5
    read_timeout_s = 0.05

    def __init__(self, path: str, baud: int = 115200, on_bytes: Callable[[bytes], object] | None = None,
                 on_state: Callable[[bool], object] | None = None) -> None:
        self.path = path
        self.baud = baud
        self.on_bytes = on_bytes
        self.on_state = on_state
        self.opens = 0  # successful opens (1 + reconnects)
        self.faults = 0  # reads or writes that failed and closed the port
        self._ser: serial.Serial | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        return self._ser is not None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="serial " + self.path, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._close()

    def write(self, data: bytes) -> bool:
        with self._lock:
            ser = self._ser
            if ser is None:
                return False
            try:
                ser.write(data)
                return True
            except (serial.SerialException, OSError) as e:
                self.faults += 1
                log.warning("bridge: write to %s failed: %s", self.path, e)
        self._close()
        return False

    # -- the reader thread -------------------------------------------------------------------------
    def _open(self) -> None:
        ser = serial.Serial()
        ser.port = self.path
        ser.baudrate = self.baud
        ser.timeout = self.read_timeout_s
        ser.dtr = True
        ser.rts = False
        ser.open()
        with self._lock:
            self._ser = ser
        self.opens += 1
        log.info("bridge: %s open", self.path)
        if self.on_state:
            self.on_state(True)

    def _close(self) -> None:
        with self._lock:
            ser = self._ser
            self._ser = None
        if ser is None:
            return
        try:
            ser.close()
        except (serial.SerialException, OSError):
            pass
        log.info("bridge: %s closed", self.path)
        if self.on_state:
            self.on_state(False)

    def _run(self) -> None:
        while not self._stop.is_set():
            ser = self._ser
            if ser is None:
                try:
                    self._open()
                except (serial.SerialException, OSError, ValueError):
                    self._stop.wait(self.reopen_s)
                continue
            try:
                data = ser.read(max(1, ser.in_waiting))
            except (serial.SerialException, OSError, TypeError) as e:
                # a pulled cable: the device is gone (pyserial: "returned no data"); reopen later
                self.faults += 1
                log.warning("bridge: %s lost: %s", self.path, e)
                self._close()
                self._stop.wait(self.reopen_s)
                continue
            if data and self.on_bytes:
                self.on_bytes(data)

"""bridge — USB pucks to MQTT: `talkpuck bridge --port PORT` (see README.md)."""
from talkpuck.bridge.bridge import Bridge
from talkpuck.bridge.serialport import SerialPort

__all__ = ["Bridge", "SerialPort"]

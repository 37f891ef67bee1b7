"""devconfig — the puck's config file (config.json): device id, board, Wi-Fi, broker; checked once, at load.

Written by `talkpuck deploy --config` / `talkpuck provision` and read by app_main at boot; the host
checks the same file with this same module before it copies it, so a bad file never reaches a puck.
Every problem raises ConfigError naming the key (`wifi.ssid: ...`). Format (firmware/config.example.json):

    {"device": "puck-a1",                 1-32 of a-z 0-9 -, not all/host; the MQTT client id and username
     "board": "esp32s3-devkit",           a hardware/boards/ name; must match the deployed board.json
     "wifi": {"ssid": "...", "password": "..."},   required on boards with a radio
     "broker": "mqtts://192.168.1.20:8883",   mqtts:// (TLS, the default port 8883) or mqtt:// (localhost demo)
     "mqtt_password": "...",              the puck's login (user = device id); required with mqtts://
     "ca": "ca.crt",                      the installation's CA (PEM file on the puck); required with mqtts://
     "settings": {"room": "Room 2"},      optional first-boot settings (puckcore/settings.py keys)
     "link": "mqtt",                      mqtt (Wi-Fi, the default) or usb: events go over the USB serial
                                          port to `talkpuck bridge` on the laptop (lib/usb_link.py); then
                                          wifi and broker are not needed (the bridge knows the broker)
     "tty": "/dev/pts/3",                 unix port with link usb: the serial device to use
     "pcm": "...", "storage": "...", "leds_out": "none|stdout", "button_file": "..."}   unix port only
"""
import json

from puckcore.protocol import RESERVED, valid_device_id
from puckcore.errors import ConfigError
from puckcore.settings import check as check_setting
from puckport import brokerurl

DEFAULT_PORT = brokerurl.DEFAULT_PORT
KEYS = ("device", "board", "wifi", "broker", "mqtt_password", "ca", "ota_key", "settings", "pcm", "storage", "leds_out",
        "button_file", "pcm_loop", "link", "tty")
LINKS = ("mqtt", "usb")


def parse_broker(url):
    """'mqtt://host[:port]' -> (host, port) by the one parser (brokerurl); a puck logs in as its device
    id with mqtt_password, so a user in the URL is refused (ConfigError naming `broker`)."""
    host, port, user, _password = brokerurl.parse(url)
    if user is not None:
        raise ConfigError("broker: no user in the URL: the puck logs in as its device id (password: mqtt_password)")
    return host, port


def _str(doc, key, low, high, label=None):
    v = doc.get(key)
    label = label or key
    if type(v) is not str:
        raise ConfigError("%s: must be a string" % label)
    if not low <= len(v) <= high:
        raise ConfigError("%s: must be %d..%d characters" % (label, low, high))
    return v


class DeviceConfig:
    """A checked config: attributes device, board, ssid, wifi_password, host, port, tls, ca,
    mqtt_password, ota_key (hex or None), settings (dict), link (mqtt or usb), and the unix-port extras
    pcm, storage, leds_out, button_file, pcm_loop, tty."""

    def __init__(self, doc, needs_wifi=True):
        if not isinstance(doc, dict):
            raise ConfigError("config: must be a JSON object")
        for key in doc:
            if key not in KEYS:
                raise ConfigError("%s: unknown key (known: %s)" % (key, ", ".join(KEYS)))
        device = doc.get("device")
        if type(device) is not str or not valid_device_id(device):
            raise ConfigError("device: must be 1-32 characters of a-z 0-9 - and not %s, got %r"
                              % (" or ".join(RESERVED), device))
        self.device = device
        self.board = _str(doc, "board", 1, 40)
        self.link = doc.get("link", "mqtt")
        if self.link not in LINKS:
            raise ConfigError("link: must be mqtt or usb, got %r" % (self.link,))
        usb = self.link == "usb"
        self.tty = doc.get("tty")
        if self.tty is not None and (type(self.tty) is not str or not self.tty):
            raise ConfigError("tty: must be a serial device path")
        self.ssid = None
        self.wifi_password = None
        wifi = doc.get("wifi")
        if wifi is not None or (needs_wifi and not usb):
            if not isinstance(wifi, dict):
                raise ConfigError("wifi: must be an object with ssid and password")
            self.ssid = _str(wifi, "ssid", 1, 32, "wifi.ssid")
            pw = wifi.get("password", "")
            if type(pw) is not str:
                raise ConfigError("wifi.password: must be a string")
            if pw and not 8 <= len(pw) <= 63:
                raise ConfigError("wifi.password: must be empty (open network) or 8..63 characters")
            self.wifi_password = pw
        if "broker" in doc:
            self.host, self.port = parse_broker(doc["broker"])
        elif usb:
            self.host, self.port = None, 0  # the bridge on the laptop chooses the broker
        else:
            raise ConfigError("broker: missing (mqtt://host:port)")
        self.tls = "broker" in doc and brokerurl.is_tls(doc["broker"])
        self.mqtt_password = doc.get("mqtt_password", "")
        if type(self.mqtt_password) is not str:
            raise ConfigError("mqtt_password: must be a string")
        if len(self.mqtt_password) > 128:
            raise ConfigError("mqtt_password: must be at most 128 characters")
        self.ca = doc.get("ca")
        if self.ca is not None and (type(self.ca) is not str or not 1 <= len(self.ca) <= 128):
            raise ConfigError("ca: must be the path of the CA certificate file (PEM)")
        if self.tls:
            # TLS without a checked server certificate would only feel safe: both are required
            if self.ca is None:
                raise ConfigError("ca: required with an mqtts:// broker (the installation's ca.crt)")
            if not self.mqtt_password:
                raise ConfigError("mqtt_password: required with an mqtts:// broker (talkpuck device add)")
        elif self.ca is not None:
            raise ConfigError("ca: only with an mqtts:// broker")
        # the per-device key that authenticates firmware updates (HMAC-SHA256; talkpuck device add)
        self.ota_key = doc.get("ota_key")
        if self.ota_key is not None and (type(self.ota_key) is not str or len(self.ota_key) != 64
                                         or self.ota_key.strip("0123456789abcdef")):
            raise ConfigError("ota_key: must be 64 lowercase hex characters (32 bytes)")
        settings = doc.get("settings", {})
        if not isinstance(settings, dict):
            raise ConfigError("settings: must be an object")
        for key in settings:
            try:
                check_setting(key, settings[key])
            except ConfigError as e:
                raise ConfigError("settings.%s" % e)
        self.settings = settings
        self.pcm = doc.get("pcm")
        self.storage = doc.get("storage", "data")
        self.leds_out = doc.get("leds_out", "none")
        self.button_file = doc.get("button_file")
        self.pcm_loop = doc.get("pcm_loop", False)
        for key in ("pcm", "button_file"):
            v = doc.get(key)
            if v is not None and type(v) is not str:
                raise ConfigError("%s: must be a path string" % key)
        if type(self.storage) is not str or not self.storage:
            raise ConfigError("storage: must be a folder path")
        if self.leds_out not in ("none", "stdout"):
            raise ConfigError("leds_out: must be none or stdout")
        if self.pcm_loop is not True and self.pcm_loop is not False:
            raise ConfigError("pcm_loop: must be true or false")


def loads(text, needs_wifi=True):
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise ConfigError("config: not valid JSON (%s)" % (e,))
    return DeviceConfig(doc, needs_wifi)


def load(path, needs_wifi=True):
    """Read and check a config file. A missing file is a ConfigError too (the puck says so and stops)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError("config: cannot read %s (write it with talkpuck deploy --config)" % path)
    return loads(text, needs_wifi)
